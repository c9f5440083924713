"""Pages for administrative units: list by level and date, detail with successors, admin edits."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.core.forms import int_or_none, parse_vn_date
from app.extensions import db
from app.geo import services
from app.geo.models import AdminUnit, UnitLevel
from app.permissions import require
from app.reference.forms import UnitForm

bp = Blueprint("geo", __name__, url_prefix="/units")


@bp.route("/")
@require("reference.view")
def unit_list():
    """List administrative units."""
    level = request.args.get("level")
    level = UnitLevel(level) if level in {lv.value for lv in UnitLevel} else None
    try:
        on = parse_vn_date(request.args["on"]) if request.args.get("on") else None
    except ValueError:
        on = None
        flash(_("Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 05/02/2023."), "error")
    parent_id = request.args.get("parent_id", "")
    query = services.list_units(
        level=level,
        on=on,
        q=(request.args.get("q") or "").strip()[:60] or None,
        parent_id=int_or_none(parent_id),
    )
    page = db.paginate(query, per_page=100, error_out=False)
    return render_template("geo/unit_list.html", page=page, level=level, on=on, UnitLevel=UnitLevel)


@bp.route("/<int:unit_id>")
@require("reference.view")
def unit_detail(unit_id):
    """Show a unit with its parent, children, predecessors and successors."""
    unit = db.session.get(AdminUnit, unit_id) or abort(404)
    return render_template("geo/unit_detail.html", unit=unit, today=date.today())


@bp.route("/new", methods=["GET", "POST"])
@require("reference.edit")
def unit_create():
    """Add a unit."""
    return _edit(None)


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@require("reference.edit")
def unit_edit(unit_id):
    """Edit a unit."""
    return _edit(db.session.get(AdminUnit, unit_id) or abort(404))


def _edit(unit):
    form = UnitForm(obj=unit)
    if unit is not None and request.method == "GET":
        form.kind.data, form.level.data = unit.kind.value, unit.level.value
    form.parent_id.choices = [(None, "—")] + services.unit_choices()
    if form.validate_on_submit():
        saved = form.submit(lambda: services.save_unit(unit, form.to_data()))
        if saved is not None:
            flash(_("Đã lưu."), "success")
            return redirect(url_for("geo.unit_detail", unit_id=saved.id))
    return render_template("geo/unit_form.html", form=form, unit=unit)
