"""Pages of the people registry: list and search, detail, create, edit, export."""

import csv
import io
from datetime import date

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.downloads import personal_data_download
from app.core.exports import spreadsheet_safe
from app.core.forms import BaseForm, int_or_none
from app.extensions import db
from app.geo.models import UnitLevel
from app.geo.services import unit_choices
from app.people import services
from app.people.forms import MergeForm, PersonForm
from app.people.models import Gender, Person
from app.people.services import PeopleFilter, PossibleDuplicate
from app.permissions import get_in_scope_or_404, require, require_unit_in_scope, scope_unit_ids
from app.reference import services as reference

bp = Blueprint("people", __name__, url_prefix="/people")


def _filters_from_request() -> PeopleFilter:
    args = request.args

    def as_int(name):
        return int_or_none(args.get(name))

    def as_enum(enum_type, name):
        try:
            return enum_type(args.get(name))
        except ValueError:
            return None

    unit_id = as_int("unit_id")
    require_unit_in_scope(unit_id)  # another district's unit: 404, as its people are
    return PeopleFilter(
        q=(args.get("q") or "").strip()[:100] or None,
        unit_id=unit_id,
        gender=as_enum(Gender, "gender"),
        level=as_enum(UnitLevel, "level"),
        category_id=as_int("category_id"),
        ethnicity_id=as_int("ethnicity_id"),
    )


def _fill_choices(form: PersonForm) -> None:
    blank = [(None, "—")]
    form.ethnicity_id.choices = blank + [(e.id, e.label) for e in reference.ethnicities()]
    form.category_id.choices = blank + [(c.id, c.label) for c in reference.categories(active_only=True)]
    form.unit_id.choices = blank + unit_choices(scope_unit_ids())


@bp.route("/")
@require("people.view")
def person_list():
    """List and search people."""
    filters = _filters_from_request()
    query = services.search(current_user, filters)
    page = db.paginate(query, per_page=50, max_per_page=200, error_out=False)
    return render_template(
        "people/person_list.html",
        page=page,
        filters=filters,
        gender_counts=services.counts_by_gender(query),
        units=unit_choices(scope_unit_ids()),
        categories=reference.categories(),
        ethnicities=reference.ethnicities(),
        Gender=Gender,
        UnitLevel=UnitLevel,
    )


@bp.route("/<int:person_id>")
@require("people.view")
def person_detail(person_id):
    """Show one person (citizen ID masked)."""
    person = get_in_scope_or_404(Person, person_id)
    return render_template("people/person_detail.html", person=person, revealed_id=None, form=BaseForm())


@bp.route("/<int:person_id>/reveal-id", methods=["POST"])
@require("people.reveal_id")
def person_reveal_id(person_id):
    """Show one person with the full citizen ID, once, and audit that it was seen."""
    person = get_in_scope_or_404(Person, person_id)
    form = BaseForm()
    if not form.validate_on_submit():
        abort(400)
    revealed = services.reveal_id_number(person, current_user)
    db.session.commit()
    response = make_response(
        render_template("people/person_detail.html", person=person, revealed_id=revealed, form=form)
    )
    response.headers["Cache-Control"] = "no-store"  # the full number must not stay in a cache
    return response


@bp.route("/new", methods=["GET", "POST"])
@require("people.edit")
def person_create():
    """Register a person."""
    form = PersonForm()
    return _edit(form, None)


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@require("people.edit")
def person_edit(person_id):
    """Edit a person."""
    person = get_in_scope_or_404(Person, person_id)
    form = PersonForm(obj=person)
    if request.method == "GET":
        form.gender.data = person.gender.value
        form.level.data = person.level.value
        form.birth_year.data = str(person.birth_year) if person.birth_year and not person.birth_date else ""
    return _edit(form, person)


def _edit(form: PersonForm, person: Person | None):
    _fill_choices(form)
    review = None
    if form.validate_on_submit():
        try:
            saved = form.submit(
                lambda: services.save_person(form.to_data(), current_user, person, confirmed=form.confirmed.data),
                passthrough=(PossibleDuplicate,),
            )
        except PossibleDuplicate as duplicate:
            review = duplicate
            form.confirmed.data = False
        else:
            if saved is not None:
                flash(_("Đã lưu thông tin của %(name)s.", name=saved.full_name), "success")
                return redirect(url_for("people.person_detail", person_id=saved.id))
    return render_template("people/person_form.html", form=form, person=person, review=review)


@bp.route("/duplicates")
@require("people.edit")
def duplicate_list():
    """Groups of records that are probably the same person."""
    return render_template("people/duplicate_list.html", groups=services.duplicate_groups(current_user))


@bp.route("/merge", methods=["POST"])
@require("people.edit")
def person_merge():
    """Merge records into the one chosen to keep."""
    form = MergeForm()
    if form.validate_on_submit():
        kept = form.submit(
            lambda: services.merge(form.keep_id.data, [i for i in form.person_ids.data if i], current_user)
        )
        if kept is not None:
            flash(_("Đã gộp hồ sơ vào %(name)s.", name=kept.full_name), "success")
            return redirect(url_for("people.person_detail", person_id=kept.id))
    for error in form.form_errors or [_("Chọn một hồ sơ giữ lại và ít nhất một hồ sơ khác để gộp.")]:
        flash(error, "error")
    return redirect(url_for("people.duplicate_list"))


EXPORT_HEADER = [
    "Họ và tên",
    "Giới tính",
    "Ngày sinh",
    "Năm sinh",
    "Dân tộc",
    "Số định danh",
    "Điện thoại",
    "Cấp",
    "Đối tượng",
    "Chức vụ",
    "Nơi công tác",
    "Đơn vị hành chính",
    "Mã đơn vị",
]


@bp.route("/export.csv")
@require("people.export")
def person_export():
    """Download the (filtered) list as CSV for Excel; citizen IDs masked; the download is audited."""
    people = db.session.scalars(services.search(current_user, _filters_from_request())).all()
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    for person in people:
        writer.writerow(
            spreadsheet_safe(cell)
            for cell in [
                person.full_name,
                person.gender.label,
                person.birth_date.strftime("%d/%m/%Y") if person.birth_date else "",
                person.year_of_birth or "",
                person.ethnicity.name if person.ethnicity else "",
                person.masked_id_number or "",
                person.phone or "",
                person.level.label,
                person.category.name if person.category else "",
                person.position or "",
                person.workplace or "",
                person.unit.name,
                person.unit.code,
            ]
        )
    return personal_data_download(
        buffer.getvalue().encode(),
        f"danh-sach-nguoi-{date.today():%Y%m%d}.csv",
        export="people.csv",
        rows=len(people),
        mimetype="text/csv; charset=utf-8",
    )
