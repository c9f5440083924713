"""Pages for a participant's data-subject requests: see everything, download it, anonymise."""

import json

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.downloads import personal_data_download
from app.people.models import Person
from app.permissions import get_in_scope_or_404, require
from app.privacy import services
from app.privacy.forms import AnonymiseForm

bp = Blueprint("privacy", __name__, url_prefix="/people")


@bp.route("/<int:person_id>/data")
@require("people.subject_data")
def subject_data(person_id):
    """Everything held about one person (answering a request to see one's data)."""
    person = get_in_scope_or_404(Person, person_id)
    return render_template(
        "privacy/subject_data.html", person=person, record=services.subject_record(person), form=AnonymiseForm()
    )


@bp.route("/<int:person_id>/data.json")
@require("people.subject_data")
def subject_export(person_id):
    """The same as one JSON file for the person; the download is audited."""
    person = get_in_scope_or_404(Person, person_id)
    content = json.dumps(services.subject_record(person), ensure_ascii=False, indent=2, default=str)
    return personal_data_download(
        content.encode(),
        f"du-lieu-ca-nhan-{person.id}.json",
        export="privacy.subject_json",
        rows=1,
        obj=person,
        mimetype="application/json",
    )


@bp.route("/<int:person_id>/anonymise", methods=["POST"])
@require("people.anonymise")
def anonymise(person_id):
    """Erase the person's identity for good, keeping the figures (reason and confirmation required)."""
    person = get_in_scope_or_404(Person, person_id)
    form = AnonymiseForm()
    if form.validate_on_submit():
        files = form.submit(lambda: services.anonymise(person, current_user, form.reason.data))
        if files is not None:
            services.erase_files(files)
            flash(_("Đã ẩn danh hồ sơ. Các số liệu tổng hợp được giữ nguyên."), "success")
            return redirect(url_for("privacy.subject_data", person_id=person.id))
    return render_template(
        "privacy/subject_data.html", person=person, record=services.subject_record(person), form=form
    )
