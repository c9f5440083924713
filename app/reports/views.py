"""Report pages: the leaders' dashboard, breakdown tables, drill-downs and exports.

Every page reads one ``ReportFilter`` from the query string, so a link from a figure to the rows
behind it, or to an export, carries exactly the filter the figure was computed with.
"""

from datetime import date

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.budget.models import BudgetLine
from app.core.exports import XLSX_MIME, download
from app.core.paging import paginate_rows
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.permissions import require, require_unit_in_scope, scope_unit_ids
from app.planning.models import Activity, ActivityKind
from app.reference.models import TrainingTopic
from app.reports import dashboard as dashboards
from app.reports import exports, trained
from app.reports.filters import PERIODS, FilterError, ReportFilter, parse

bp = Blueprint("reports", __name__)
UNIT_BREAKDOWNS = ("district", "unit")  # breakdowns whose key is a unit's id


def _filter() -> tuple[ReportFilter, bool]:
    """The request's filter; on a bad value, a flashed error and this year's default (nothing lost:
    the form is shown again with what was typed)."""
    try:
        report_filter = parse(request.args, default_year=date.today().year)
    except FilterError as error:
        flash(str(error), "error")
        return ReportFilter(year=date.today().year), False
    require_unit_in_scope(report_filter.unit_id)  # another district's unit: 404, as its people are
    return report_filter, True


def _choices(report_filter: ReportFilter) -> dict:
    """Options of the filter form, limited to what the user may choose."""
    allowed = scope_unit_ids(current_user)
    units = select(AdminUnit).where(AdminUnit.level.in_([UnitLevel.district, UnitLevel.commune]))
    if allowed is None:
        province_ids = select(AdminUnit.id).where(AdminUnit.level == UnitLevel.province)
        units = units.where(AdminUnit.parent_id.in_(province_ids))  # the level under the province
    else:
        units = units.where(AdminUnit.id.in_(sorted(allowed)))
    years = sorted({y for y in db.session.scalars(select(BudgetLine.year).distinct())} | {date.today().year})
    return {
        "years": sorted(years, reverse=True),
        "periods": PERIODS,
        "units": db.session.scalars(units.order_by(AdminUnit.level, AdminUnit.name)).all(),
        "kinds": list(ActivityKind),
        "topics": db.session.scalars(select(TrainingTopic).order_by(TrainingTopic.sort_order)).all(),
        "line_codes": db.session.execute(
            select(BudgetLine.code, BudgetLine.name)
            .where(BudgetLine.year == (report_filter.year or date.today().year))
            .order_by(BudgetLine.sort_order, BudgetLine.code)
        ).all(),
        "sources": dashboards.funding_sources(report_filter.year),
    }


@bp.route("/reports")
@require("reports.view")
def dashboard():
    """The leaders' landing page: the period's figures at a glance, each linked to its rows."""
    report_filter, valid = _filter()
    return render_template(
        "reports/dashboard.html",
        board=dashboards.build(report_filter, current_user, with_breakdowns=False),
        tables={by: trained.BREAKDOWNS[by] for by in dashboards.DASHBOARD_BREAKDOWNS},
        f=report_filter,
        choices=_choices(report_filter),
    ), (200 if valid else 400)


@bp.route("/reports/table")
@require("reports.view")
def table():
    """One breakdown table of the dashboard, as a piece of page its script puts in place (and a
    page of its own without the script: the section links to the full breakdown page)."""
    try:  # no flashed message: this is a piece of a page, and the page says what was wrong
        report_filter = parse(request.args, default_year=date.today().year)
    except FilterError:
        abort(400)
    require_unit_in_scope(report_filter.unit_id)
    by = request.args.get("by")
    if by not in trained.BREAKDOWNS:
        abort(400)
    return render_template(
        "reports/_table.html", table=trained.breakdown(by, report_filter, current_user), f=report_filter
    )


@bp.route("/reports/trained")
@require("reports.view")
def breakdown():
    """People trained by one breakdown, as a table that adds up to its total."""
    report_filter, valid = _filter()
    by = request.args.get("by", "district")
    if by not in trained.BREAKDOWNS:
        flash(_("Không có cách phân tổ này."), "error")
        by, valid = "district", False
    return render_template(
        "reports/breakdown.html",
        table=trained.breakdown(by, report_filter, current_user),
        breakdowns=trained.BREAKDOWNS,
        f=report_filter,
        choices=_choices(report_filter),
    ), (200 if valid else 400)


def _group() -> tuple[str | None, str | None]:
    by = request.args.get("by") or None
    if by is not None and by not in trained.BREAKDOWNS:
        abort(404)
    key = (request.args.get("key") or trained.UNKNOWN) if by else None
    if by in UNIT_BREAKDOWNS and key.isdigit():
        require_unit_in_scope(int(key))  # a drill-down into another district's unit
    return by, key


def _group_label(by: str | None, key: str | None) -> str | None:
    if by is None:
        return None
    return trained.key_labels(by, [key]).get(key, _("Chưa xác định"))


@bp.route("/reports/people")
@require("people.view")
def people():
    """The people behind a figure (personal data: on screen for staff, never in published exports)."""
    report_filter, _valid = _filter()
    by, key = _group()
    page = paginate_rows(trained.people_behind(report_filter, current_user, by, key))
    return render_template(
        "reports/people.html", page=page, f=report_filter, by=by, key=key, group=_group_label(by, key)
    )


@bp.route("/reports/activities")
@require("reports.view")
def activities():
    """The activities behind a figure, with how many (of the user's) people each trained."""
    report_filter, _valid = _filter()
    by, key = _group()
    held = request.args.get("held") == "1"  # the activities held (the dashboard's count), trained in or not
    among = trained.activities_query(report_filter, current_user).with_only_columns(Activity.id) if held else None
    page = paginate_rows(trained.activities_behind(report_filter, current_user, by, key, among))
    return render_template(
        "reports/activities.html", page=page, f=report_filter, by=by, key=key, group=_group_label(by, key)
    )


def _publication() -> bool:
    return request.args.get("publish") == "1"


def _document(render, extension: str, mimetype: str, inline: bool = False):
    """An export of the filtered report; always in Vietnamese, the language the province files."""
    report_filter, valid = _filter()
    if not valid:
        abort(400)
    with force_locale("vi"):
        board = dashboards.build(report_filter, current_user)
        content = render(board, exports.all_breakdowns(report_filter, current_user, board.total), _publication())
    return download(content, exports.filename(report_filter, extension), mimetype, inline=inline)


@bp.route("/reports/export.xlsx")
@require("reports.view")
def export_xlsx():
    """One sheet per breakdown, Vietnamese headers, numbers as numbers."""
    return _document(exports.xlsx_bytes, "xlsx", XLSX_MIME)


@bp.route("/reports/export.docx")
@require("reports.view")
def export_docx():
    """A draft of the periodic report in the administrative format, for staff to finish and sign."""
    return _document(exports.docx_bytes, "docx", exports.DOCX_MIME)


@bp.route("/reports/export.pdf")
@require("reports.view")
def export_pdf():
    return _document(exports.pdf_bytes, "pdf", "application/pdf", inline=True)
