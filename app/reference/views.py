"""Pages to read and (for admins) edit reference tables; one set of views serves them all."""

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.i18n import lazy_gettext as _l
from app.extensions import db
from app.permissions import require
from app.reference import forms, services
from app.reference.models import Ethnicity, Organisation, ParticipantCategory, Signatory, TrainingTopic

bp = Blueprint("reference", __name__, url_prefix="/reference")


@dataclass(frozen=True)
class Table:
    model: type
    form: type
    title: object
    columns: tuple  # (attribute, header)
    order: tuple


TABLES = {
    "ethnicities": Table(
        Ethnicity,
        forms.EthnicityForm,
        _l("Dân tộc"),
        (
            ("code", _l("Mã")),
            ("name", _l("Tên")),
            ("code_2008", _l("Mã 2008")),
            ("is_minority", _l("Thiểu số")),
            ("active", _l("Đang dùng")),
        ),
        (Ethnicity.sort_order, Ethnicity.code),
    ),
    "categories": Table(
        ParticipantCategory,
        forms.CategoryForm,
        _l("Đối tượng tham gia"),
        (
            ("code", _l("Mã")),
            ("name", _l("Tên")),
            ("name_en", _l("Tên tiếng Anh")),
            ("on_state_payroll", _l("Hưởng lương NSNN")),
            ("active", _l("Đang dùng")),
        ),
        (ParticipantCategory.sort_order, ParticipantCategory.code),
    ),
    "topics": Table(
        TrainingTopic,
        forms.NamedItemForm,
        _l("Chuyên đề tập huấn"),
        (("code", _l("Mã")), ("name", _l("Tên")), ("name_en", _l("Tên tiếng Anh")), ("active", _l("Đang dùng"))),
        (TrainingTopic.sort_order, TrainingTopic.code),
    ),
    "organisations": Table(
        Organisation,
        forms.OrganisationForm,
        _l("Cơ quan, đơn vị"),
        (
            ("code", _l("Mã")),
            ("name", _l("Tên")),
            ("short_name", _l("Viết tắt")),
            ("valid_from", _l("Từ ngày")),
            ("valid_to", _l("Đến ngày")),
        ),
        (Organisation.code,),
    ),
    "signatories": Table(
        Signatory,
        forms.SignatoryForm,
        _l("Người ký"),
        (
            ("full_name", _l("Họ và tên")),
            ("authority_line", _l("Thẩm quyền")),
            ("title", _l("Chức vụ")),
            ("valid_from", _l("Từ ngày")),
            ("valid_to", _l("Đến ngày")),
        ),
        (Signatory.valid_from.desc(), Signatory.id),
    ),
}


def _table(kind: str) -> Table:
    return TABLES.get(kind) or abort(404)


@bp.route("/")
@require("reference.view")
def index():
    """List the reference tables."""
    return render_template("reference/index.html", tables=TABLES)


@bp.route("/<kind>")
@require("reference.view")
def row_list(kind):
    """List the rows of one reference table."""
    table = _table(kind)
    rows = db.session.scalars(select(table.model).order_by(*table.order)).all()
    return render_template("reference/row_list.html", kind=kind, table=table, rows=rows)


@bp.route("/<kind>/new", methods=["GET", "POST"])
@require("reference.edit")
def row_create(kind):
    """Add a reference row."""
    return _edit(kind, None)


@bp.route("/<kind>/<int:row_id>/edit", methods=["GET", "POST"])
@require("reference.edit")
def row_edit(kind, row_id):
    """Edit a reference row."""
    table = _table(kind)
    return _edit(kind, db.session.get(table.model, row_id) or abort(404))


def _edit(kind, row):
    table = _table(kind)
    form = table.form(obj=row)
    if hasattr(form, "parent_id"):
        form.parent_id.choices = [(None, "—")] + [
            (o.id, o.name)
            for o in db.session.scalars(select(Organisation).order_by(Organisation.code))
            if row is None or o.id != row.id
        ]
    if hasattr(form, "organisation_id"):
        form.organisation_id.choices = [(None, "—")] + [
            (o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.code))
        ]
    if form.validate_on_submit():
        data = {name: field.data for name, field in form._fields.items() if name not in ("csrf_token", "next")}
        if form.submit(lambda: services.save_row(table.model, row, data)) is not None:
            flash(_("Đã lưu."), "success")
            return redirect(url_for("reference.row_list", kind=kind))
    return render_template("reference/row_form.html", kind=kind, table=table, form=form, row=row, back=request.referrer)
