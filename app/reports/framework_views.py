"""Results-framework pages, on the reports blueprint: a period's table and spreadsheet for every
reader; periods, targets, entered figures and indicator definitions for those who keep it."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.exports import download
from app.core.forms import int_or_none
from app.extensions import db
from app.geo.models import AdminUnit
from app.permissions import require, scope_unit_ids
from app.reports import framework
from app.reports.framework_forms import IndicatorForm, PeriodForm, ValueForm
from app.reports.models import Indicator, ReportingPeriod
from app.reports.views import bp


def _scope_name() -> str | None:
    """The reader's unit when their computed figures are limited to it."""
    if scope_unit_ids(current_user) is None:
        return None
    unit = db.session.get(AdminUnit, current_user.unit_id) if current_user.unit_id else None
    return unit.full_name if unit is not None else _("(chưa gán đơn vị)")


def _period_or_404(period_id) -> ReportingPeriod:
    found = db.session.get(ReportingPeriod, period_id) if period_id is not None else None
    return found or abort(404)


def _indicator_or_404(indicator_id) -> Indicator:
    return db.session.get(Indicator, indicator_id) or abort(404)


@bp.route("/reports/framework", endpoint="framework")
@require("reports.view")
def framework_page():
    """A period's results framework: baseline, target and actual of each indicator."""
    periods = framework.periods()
    period = None
    if request.args.get("period_id"):
        period = _period_or_404(int_or_none(request.args["period_id"]))
    elif periods:
        period = periods[0]
    return render_template(
        "reports/framework.html",
        periods=periods,
        period=period,
        rows=framework.build(period, current_user) if period else [],
        scope_name=_scope_name(),
        figure=framework.format_figure,
    )


@bp.route("/reports/framework/periods/<int:period_id>/export.xlsx")
@require("reports.view")
def framework_export(period_id):
    """The period's framework as a spreadsheet (a district officer's computed figures: their units)."""
    period = _period_or_404(period_id)
    content = framework.xlsx_bytes(period, framework.build(period, current_user), _scope_name())
    return download(content, f"khung-ket-qua-{period.year}-{period.kind.value}-{period.id}.xlsx")


# -- periods ----------------------------------------------------------------------------------------


@bp.route("/reports/framework/periods/new", methods=["GET", "POST"])
@require("reports.framework")
def framework_period_create():
    """Add a reporting period (6-month, annual, baseline, mid-term, final, ad hoc)."""
    return _save_period(None)


@bp.route("/reports/framework/periods/<int:period_id>/edit", methods=["GET", "POST"])
@require("reports.framework")
def framework_period_edit(period_id):
    """Change a period's kind, year, title or dates."""
    return _save_period(_period_or_404(period_id))


def _save_period(period: ReportingPeriod | None):
    form = PeriodForm(obj=period)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in framework.PERIOD_FIELDS}
        saved = form.submit(lambda: framework.save_period(period, data, current_user))
        if saved is not None:
            flash(_("Đã lưu kỳ báo cáo “%(t)s”.", t=saved.title), "success")
            return redirect(url_for("reports.framework", period_id=saved.id))
    status = 422 if request.method == "POST" else 200
    return render_template("reports/framework_period.html", period=period, form=form), status


# -- an indicator's figures for a period ------------------------------------------------------------


@bp.route("/reports/framework/periods/<int:period_id>/indicators/<int:indicator_id>", methods=["GET", "POST"])
@require("reports.framework")
def framework_value_edit(period_id, indicator_id):
    """Set an indicator's target for the period and, for a manual one, the figure and its source."""
    period, indicator = _period_or_404(period_id), _indicator_or_404(indicator_id)
    entry = framework.entry_for(indicator, period)
    form = ValueForm(obj=entry)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in framework.VALUE_FIELDS}
        result = form.submit(lambda: framework.save_value(indicator, period, data, current_user) or True)
        if result is not None:
            flash(_("Đã lưu số liệu “%(n)s” của kỳ “%(t)s”.", n=indicator.name, t=period.title), "success")
            return redirect(url_for("reports.framework", period_id=period.id))
    status = 422 if request.method == "POST" else 200
    row = framework.build(period, current_user, only=indicator)[0]
    return render_template(
        "reports/framework_value.html",
        period=period,
        indicator=indicator,
        computation=framework.COMPUTATIONS.get(indicator.computation or ""),
        row=row,
        form=form,
        figure=framework.format_figure,
    ), status


# -- indicator definitions --------------------------------------------------------------------------


@bp.route("/reports/framework/indicators")
@require("reports.framework")
def framework_indicator_list():
    """Every indicator, those no longer used included."""
    return render_template(
        "reports/framework_indicators.html",
        indicators=framework.indicators(active_only=False),
        computations=framework.COMPUTATIONS,
        figure=framework.format_figure,
    )


@bp.route("/reports/framework/indicators/new", methods=["GET", "POST"])
@require("reports.framework")
def framework_indicator_create():
    """Add an indicator entered by hand each period."""
    return _save_indicator(None)


@bp.route("/reports/framework/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
@require("reports.framework")
def framework_indicator_edit(indicator_id):
    """Change an indicator's name, baseline, standing target, measure or whether it is used."""
    return _save_indicator(_indicator_or_404(indicator_id))


def _save_indicator(indicator: Indicator | None):
    form = IndicatorForm(obj=indicator) if indicator is not None else IndicatorForm(active=True)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in framework.INDICATOR_FIELDS}
        saved = form.submit(lambda: framework.save_indicator(indicator, data, current_user))
        if saved is not None:
            flash(_("Đã lưu chỉ số “%(n)s”.", n=saved.name), "success")
            return redirect(url_for("reports.framework_indicator_list"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "reports/framework_indicator.html",
        indicator=indicator,
        computation=framework.COMPUTATIONS.get(indicator.computation or "") if indicator else None,
        form=form,
    ), status
