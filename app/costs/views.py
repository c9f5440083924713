"""Spending norms: what is in force on a day, each norm's history, and a new level from a date."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.forms import parse_vn_date
from app.costs import services
from app.costs.forms import NormForm
from app.costs.models import SpendingNorm
from app.extensions import db
from app.permissions import require

bp = Blueprint("costs", __name__)


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
