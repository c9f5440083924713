"""Budget pages: a year's lines and funding sources with their money, and finance's edits."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.budget import services
from app.budget.forms import AllocationForm, BudgetLineForm, FundingSourceForm
from app.budget.models import Allocation, BudgetLine, FundingSource
from app.extensions import db
from app.permissions import require

bp = Blueprint("budget", __name__, url_prefix="/budget")
BLANK = [(None, "—")]


def _year() -> int:
    return services.chosen_year(request.args.get("year"))


@bp.route("/")
@require("budget.view")
def overview():
    """A year's budget: lines with allocated, committed and available money; funding sources."""
    year = _year()
    form = AllocationForm()
    _allocation_choices(form, year)
    allocations = db.session.scalars(
        select(Allocation).join(BudgetLine).where(BudgetLine.year == year).order_by(BudgetLine.code)
    ).all()
    return render_template(
        "budget/overview.html",
        year=year,
        years=services.years(),
        lines=services.line_figures(year),
        sources=services.source_figures(year),
        allocations=allocations,
        form=form,
    )


def _allocation_choices(form: AllocationForm, year: int) -> None:
    form.budget_line_id.choices = BLANK + [
        (line.id, line.label) for line in db.session.scalars(services.lines_query(year))
    ]
    form.funding_source_id.choices = BLANK + [(s.id, s.label) for s in db.session.scalars(services.sources_query(year))]


@bp.route("/allocations", methods=["POST"])
@require("budget.edit")
def allocation_set():
    """Set the amount a funding source gives a budget line."""
    form = AllocationForm()
    year = _year()
    _allocation_choices(form, year)
    if form.validate_on_submit() and form.submit(
        lambda: services.set_allocation(
            form.budget_line_id.data or 0, form.funding_source_id.data or 0, form.amount.data
        )
    ):
        flash(_("Đã lưu phân bổ."), "success")
    for errors in [form.form_errors] + [f.errors for f in form]:
        for error in errors:
            flash(error, "error")
    return redirect(url_for("budget.overview", year=year))


@bp.route("/lines/new", methods=["GET", "POST"])
@require("budget.edit")
def line_create():
    """Add a budget line."""
    form = BudgetLineForm()
    if request.method == "GET":
        form.year.data = _year()
    return _edit(form, None, BudgetLine)


@bp.route("/lines/<int:line_id>/edit", methods=["GET", "POST"])
@require("budget.edit")
def line_edit(line_id):
    """Edit a budget line."""
    line = db.session.get(BudgetLine, line_id) or abort(404)
    form = BudgetLineForm(obj=line)
    if request.method == "GET":
        form.kind.data = line.kind.value
    return _edit(form, line, BudgetLine)


@bp.route("/sources/new", methods=["GET", "POST"])
@require("budget.edit")
def source_create():
    """Add a funding source."""
    form = FundingSourceForm()
    if request.method == "GET":
        form.year.data = _year()
    return _edit(form, None, FundingSource)


@bp.route("/sources/<int:source_id>/edit", methods=["GET", "POST"])
@require("budget.edit")
def source_edit(source_id):
    """Edit a funding source."""
    source = db.session.get(FundingSource, source_id) or abort(404)
    return _edit(FundingSourceForm(obj=source), source, FundingSource)


def _edit(form, row, model):
    if isinstance(form, BudgetLineForm):
        form.parent_id.choices = BLANK + [
            (line.id, f"{line.year} · {line.label}")
            for line in db.session.scalars(services.lines_query())
            if row is None or line.id != row.id
        ]
        save = services.save_line
    else:
        save = services.save_source
    if form.validate_on_submit():
        saved = form.submit(lambda: save(row, form.to_data()))
        if saved is not None:
            flash(_("Đã lưu."), "success")
            return redirect(url_for("budget.overview", year=saved.year))
    return render_template("budget/row_form.html", form=form, row=row, is_line=model is BudgetLine)
