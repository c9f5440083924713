"""Money pages: spending norms, an activity's estimate, payments and advances, allowance lists,
and budget execution. Only finance changes money (``costs.edit``)."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.downloads import personal_data_download
from app.budget import services as budget
from app.core.formats import money_vn
from app.core.forms import BaseForm, parse_vn_date
from app.costs import estimates, services, spending
from app.costs.allowances import allowance_list
from app.costs.allowances import pdf_bytes as allowance_pdf
from app.costs.allowances import xlsx_bytes as allowance_xlsx
from app.costs.execution import execution as execution_report
from app.costs.forms import (
    AdvanceForm,
    EstimateLineForm,
    ExpenditureForm,
    NormForm,
    RebuildForm,
    SettleForm,
    VoidForm,
)
from app.costs.models import Advance, EstimateLine, Expenditure, Place, SpendingNorm
from app.extensions import db
from app.permissions import can, require
from app.planning.models import Activity
from app.planning.services import get_visible_or_404

bp = Blueprint("costs", __name__)
BLANK = [(None, "—")]
PAYMENT = ("budget_line_id", "funding_source_id", "voucher_no", "voucher_date", "amount")


@bp.route("/costs/norms")
@require("costs.view")
def norm_list():
    """The norms in force on a day (today unless ?on=dd/mm/yyyy)."""
    try:
        day = parse_vn_date(request.args["on"]) if request.args.get("on") else date.today()
    except ValueError:
        flash(_("Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 05/02/2023."), "error")
        day = date.today()
    return render_template("costs/norm_list.html", day=day, norms=services.current_norms(day))


@bp.route("/costs/norms/<int:norm_id>")
@require("costs.view")
def norm_detail(norm_id):
    """One norm's levels over time."""
    norm = db.session.get(SpendingNorm, norm_id) or abort(404)
    return _detail(norm, NormForm())


def _detail(norm: SpendingNorm, form: NormForm, status: int = 200):
    return render_template(
        "costs/norm_detail.html", norm=norm, history=services.history(norm.code, norm.variant), form=form
    ), status


@bp.route("/costs/norms/<int:norm_id>/supersede", methods=["POST"])
@require("costs.norms")
def norm_supersede(norm_id):
    """Finance records a new level from a date (a new circular or resolution)."""
    norm = db.session.get(SpendingNorm, norm_id) or abort(404)
    form = NormForm()
    if form.validate_on_submit():
        data = {
            "amount": form.amount.data,
            "valid_from": form.valid_from.data,
            "legal_basis": form.legal_basis.data,
            "notes": form.notes.data,
        }
        new = form.submit(lambda: services.supersede(norm, data, current_user))
        if new is not None:
            flash(_("Đã ghi mức chi mới từ ngày %(d)s.", d=new.valid_from.strftime("%d/%m/%Y")), "success")
            return redirect(url_for("costs.norm_detail", norm_id=new.id))
    return _detail(norm, form, 422)


# -- an activity's money: estimate, payments, advances ----------------------------------------------


def _activity(activity_id: int) -> Activity:
    return get_visible_or_404(activity_id)


def _year_choices(form, year: int) -> None:
    form.budget_line_id.choices = BLANK + [
        (line.id, line.label) for line in db.session.scalars(budget.lines_query(year))
    ]
    form.funding_source_id.choices = BLANK + [(s.id, s.label) for s in db.session.scalars(budget.sources_query(year))]


def _costs_page(activity: Activity, status: int = 200, rebuild_form=None, line_form=None):
    estimate = estimates.estimate_of(activity)
    rebuild_form = rebuild_form or RebuildForm(
        place=(estimate.place if estimate else estimates.default_place(activity)).value
    )
    context = {
        "activity": activity,
        "estimate": estimate,
        "rebuild_form": rebuild_form,
        "line_form": line_form or EstimateLineForm(),
        "form": BaseForm(),
    }
    if can("costs.spending"):
        context["expenditures"] = db.session.scalars(spending.expenditures_query(activity_id=activity.id)).all()
        context["advances"] = db.session.scalars(spending.advances_query(activity_id=activity.id)).all()
    return render_template("costs/activity_costs.html", **context), status


@bp.route("/activities/<int:activity_id>/costs")
@require("costs.view")
def activity_costs(activity_id):
    """The activity's estimate line by line; for finance and leaders also what was paid and advanced."""
    return _costs_page(_activity(activity_id))


@bp.route("/activities/<int:activity_id>/estimate/rebuild", methods=["POST"])
@require("costs.edit")
def estimate_rebuild(activity_id):
    """Work the estimate out again from the plan and the norms of its days (replaces the lines)."""
    activity = _activity(activity_id)
    form = RebuildForm()
    if form.validate_on_submit():
        place = Place(form.place.data)
        result = form.submit(lambda: estimates.rebuild(activity, place, current_user, form.override_reason.data))
        if result is not None:
            estimate, warnings = result
            flash(_("Đã lập dự toán từ kế hoạch và định mức: %(m)s.", m=money_vn(estimate.total)), "success")
            for warning in warnings:
                flash(warning, "warning")
            return redirect(url_for("costs.activity_costs", activity_id=activity.id))
    return _costs_page(activity, 422, rebuild_form=form)


def _line_or_404(activity: Activity, line_id: int) -> EstimateLine:
    line = db.session.get(EstimateLine, line_id)
    if line is None or line.estimate.activity_id != activity.id:
        abort(404)
    return line


@bp.route("/activities/<int:activity_id>/estimate/lines", methods=["POST"])
@require("costs.edit")
def estimate_line_add(activity_id):
    """Add a line finance types itself (a cost no norm covers)."""
    return _save_line(_activity(activity_id), None)


@bp.route("/activities/<int:activity_id>/estimate/lines/<int:estimate_line_id>", methods=["GET", "POST"])
@require("costs.edit")
def estimate_line_edit(activity_id, estimate_line_id):
    """Change one line: what, how many, at what rate."""
    activity = _activity(activity_id)
    return _save_line(activity, _line_or_404(activity, estimate_line_id))


def _save_line(activity: Activity, line: EstimateLine | None):
    form = EstimateLineForm(obj=line)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in ("description", "unit", "quantity", "unit_amount")}
        saved = form.submit(lambda: estimates.save_line(activity, line, data, current_user, form.override_reason.data))
        if saved is not None:
            flash(_("Đã lưu dòng dự toán."), "success")
            return redirect(url_for("costs.activity_costs", activity_id=activity.id))
    elif request.method == "GET":
        return render_template("costs/estimate_line.html", activity=activity, line=line, form=form)
    if line is not None:
        return render_template("costs/estimate_line.html", activity=activity, line=line, form=form), 422
    return _costs_page(activity, 422, line_form=form)


@bp.route("/activities/<int:activity_id>/estimate/lines/<int:estimate_line_id>/delete", methods=["POST"])
@require("costs.edit")
def estimate_line_delete(activity_id, estimate_line_id):
    activity = _activity(activity_id)
    line = _line_or_404(activity, estimate_line_id)
    form = BaseForm()
    if form.validate_on_submit() and form.submit(lambda: estimates.delete_line(activity, line, current_user)):
        flash(_("Đã xóa dòng dự toán."), "success")
    else:
        form.flash_form_errors()
    return redirect(url_for("costs.activity_costs", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/expenditures/new", methods=["GET", "POST"])
@require("costs.edit")
def expenditure_create(activity_id):
    """Book a payment with its voucher against the activity."""
    activity = _activity(activity_id)
    form = ExpenditureForm(budget_line_id=activity.budget_line_id, funding_source_id=activity.funding_source_id)
    _year_choices(form, activity.budget_line.year)
    form.advance_id.choices = BLANK + [
        (a.id, f"{a.voucher_no} — {a.payee} — {money_vn(a.amount)}") for a in spending.open_advances(activity)
    ]
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in PAYMENT + ("description", "payee", "advance_id")}
        data["activity_id"] = activity.id
        if form.submit(lambda: spending.record_expenditure(data, current_user, form.override_reason.data)):
            flash(_("Đã ghi khoản chi."), "success")
            return redirect(url_for("costs.activity_costs", activity_id=activity.id))
    status = 422 if request.method == "POST" else 200
    return render_template("costs/payment_form.html", activity=activity, form=form, kind="expenditure"), status


@bp.route("/activities/<int:activity_id>/advances/new", methods=["GET", "POST"])
@require("costs.edit")
def advance_create(activity_id):
    """Advance money to a person for the activity."""
    activity = _activity(activity_id)
    form = AdvanceForm(budget_line_id=activity.budget_line_id, funding_source_id=activity.funding_source_id)
    _year_choices(form, activity.budget_line.year)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in PAYMENT + ("payee", "purpose")}
        data["activity_id"] = activity.id
        if form.submit(lambda: spending.record_advance(data, current_user)):
            flash(_("Đã ghi khoản tạm ứng."), "success")
            return redirect(url_for("costs.activity_costs", activity_id=activity.id))
    status = 422 if request.method == "POST" else 200
    return render_template("costs/payment_form.html", activity=activity, form=form, kind="advance"), status


def _advance_or_404(advance_id: int) -> Advance:
    advance = db.session.get(Advance, advance_id) or abort(404)
    if advance.activity_id is not None:
        get_visible_or_404(advance.activity_id)
    return advance


@bp.route("/costs/advances/<int:advance_id>")
@require("costs.spending")
def advance_detail(advance_id):
    """An advance with the payments made from it, and (for finance) its settlement."""
    advance = _advance_or_404(advance_id)
    return render_template("costs/advance.html", advance=advance, form=SettleForm())


@bp.route("/costs/advances/<int:advance_id>/settle", methods=["POST"])
@require("costs.edit")
def advance_settle(advance_id):
    advance = _advance_or_404(advance_id)
    form = SettleForm()
    if form.validate_on_submit():
        data = {"settlement_voucher_no": form.settlement_voucher_no.data, "settled_on": form.settled_on.data}
        if form.submit(lambda: spending.settle_advance(advance, data, current_user)):
            flash(_("Đã thanh toán tạm ứng."), "success")
            return redirect(url_for("costs.advance_detail", advance_id=advance.id))
    return render_template("costs/advance.html", advance=advance, form=form), 422


@bp.route("/costs/expenditures/<int:expenditure_id>/void", methods=["POST"])
@require("costs.edit")
def expenditure_void(expenditure_id):
    """Cancel a mistaken entry, with a reason; it stays in the books, marked."""
    expenditure = db.session.get(Expenditure, expenditure_id) or abort(404)
    if expenditure.activity_id is not None:
        get_visible_or_404(expenditure.activity_id)
    form = VoidForm()
    if form.validate_on_submit() and form.submit(
        lambda: spending.void_expenditure(expenditure, form.reason.data, current_user)
    ):
        flash(_("Đã hủy khoản chi."), "success")
    else:
        form.flash_form_errors(fields=True)
    if expenditure.activity_id is not None:
        return redirect(url_for("costs.activity_costs", activity_id=expenditure.activity_id))
    return redirect(url_for("costs.expenditure_list"))


@bp.route("/costs/expenditures")
@require("costs.spending")
def expenditure_list():
    """A year's payments, newest first, with their total."""
    year = _year()
    rows = db.session.scalars(spending.expenditures_query(year)).all()
    total = sum(e.amount for e in rows if e.voided_at is None)
    return render_template("costs/expenditure_list.html", year=year, years=budget.years(), rows=rows, total=total)


@bp.route("/costs/expenditures.xlsx")
@require("costs.spending")
def expenditure_export():
    year = _year()
    rows = db.session.scalars(spending.expenditures_query(year)).all()
    # Payees are often people: the ledger is logged like any list of names and money.
    return personal_data_download(
        spending.ledger_xlsx(rows), f"so-chi-{year}.xlsx", export="costs.ledger_xlsx", rows=len(rows)
    )


# -- allowance lists and execution -------------------------------------------------------------------


@bp.route("/activities/<int:activity_id>/allowances")
@require("costs.allowances")
def allowances(activity_id):
    """Meal support owed to each learner from their attendance, to check before printing."""
    activity = _activity(activity_id)
    return render_template("costs/allowances.html", activity=activity, listing=allowance_list(activity, current_user))


@bp.route("/activities/<int:activity_id>/allowances.pdf")
@require("costs.allowances")
def allowances_pdf(activity_id):
    activity = _activity(activity_id)
    listing = allowance_list(activity, current_user)
    return personal_data_download(
        allowance_pdf(listing),
        f"danh-sach-chi-ho-tro-{activity.id}.pdf",
        export="costs.allowances_pdf",
        rows=len(listing.rows),
        obj=activity,
        mimetype="application/pdf",
        inline=True,
    )


@bp.route("/activities/<int:activity_id>/allowances.xlsx")
@require("costs.allowances")
def allowances_xlsx(activity_id):
    activity = _activity(activity_id)
    listing = allowance_list(activity, current_user)
    return personal_data_download(
        allowance_xlsx(listing),
        f"danh-sach-chi-ho-tro-{activity.id}.xlsx",
        export="costs.allowances_xlsx",
        rows=len(listing.rows),
        obj=activity,
    )


@bp.route("/costs/execution")
@require("costs.spending")
def execution():
    """Budget execution: per line and source, carried-over money apart, cost per trainee."""
    year = _year()
    return render_template("costs/execution.html", report=execution_report(year), years=budget.years(), year=year)


def _year() -> int:
    return budget.chosen_year(request.args.get("year"))
