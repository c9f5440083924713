"""Enrolment pages of an activity: who is in, the waiting list, quotas; enrol, cancel, transfer."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.downloads import personal_data_download
from app.core.forms import BaseForm
from app.extensions import db, limiter
from app.geo.services import unit_choices
from app.people.models import Person
from app.people.services import PeopleFilter
from app.people.services import search as search_people
from app.permissions import can, in_scope, not_found, public, require
from app.planning.models import Activity
from app.planning.services import get_visible_or_404 as _activity_or_404
from app.reference import services as reference
from app.registration import imports, self_service, services
from app.registration.forms import EnrolForm, ImportForm, QuotaForm, ReasonForm
from app.registration.models import Enrolment, EnrolmentStatus

bp = Blueprint("registration", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _enrolment_or_404(activity: Activity, enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.activity_id != activity.id or not in_scope(current_user, enrolment.person):
        not_found(enrolment)
    return enrolment


def _back(activity: Activity):
    return redirect(url_for("registration.enrolment_list", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/enrolments")
@require("registration.view")
def enrolment_list(activity_id):
    """Who is enrolled, who waits, how the quotas are filled; search people to enrol."""
    activity = _activity_or_404(activity_id)
    q = (request.args.get("q") or "").strip()[:100]
    candidates = []
    if q and can("registration.enrol"):
        candidates = db.session.scalars(search_people(current_user, PeopleFilter(q=q)).limit(50)).all()
    quota_form = QuotaForm()
    quota_form.unit_id.choices = [(None, "—")] + unit_choices()
    quota_form.category_id.choices = [(None, _("Mọi đối tượng"))] + [(c.id, c.label) for c in reference.categories()]
    enrolments = db.session.scalars(services.visible_enrolments(activity, current_user)).all()
    return render_template(
        "registration/enrolment_list.html",
        activity=activity,
        self_url=self_registration_url(activity) if can("registration.quota") else None,
        requests=self_service.pending(activity) if can("registration.quota") else [],
        q=q,
        candidates=candidates,
        summary=services.summary(activity, current_user),
        quota_form=quota_form,
        registered=[e for e in enrolments if e.status is EnrolmentStatus.registered],
        waitlisted=[e for e in enrolments if e.status is EnrolmentStatus.waitlisted],
        enrol_form=EnrolForm(),
        reason_form=ReasonForm(),
        waiting_rank=services.waiting_rank,
    )


@bp.route("/activities/<int:activity_id>/enrolments", methods=["POST"])
@require("registration.enrol")
def enrolment_create(activity_id):
    """Enrol the people chosen (each gets a seat or a place on the waiting list)."""
    activity = _activity_or_404(activity_id)
    form = EnrolForm()
    ids = [i for i in form.person_ids.data or [] if i]
    if not form.validate_on_submit() or not ids:
        flash(_("Chọn ít nhất một người."), "error")
        return _back(activity)

    def enrol_all():
        return [services.enrol(activity, db.session.get(Person, i), current_user) for i in ids]

    done = form.submit(enrol_all)
    if done is not None:
        seats = sum(1 for e in done if e.status is EnrolmentStatus.registered)
        flash(_("Đã ghi danh %(a)s người, %(b)s người vào danh sách chờ.", a=seats, b=len(done) - seats), "success")
    form.flash_form_errors()
    return _back(activity)


@bp.route("/activities/<int:activity_id>/enrolments/<int:enrolment_id>/cancel", methods=["POST"])
@require("registration.enrol")
def enrolment_cancel(activity_id, enrolment_id):
    """Cancel an enrolment with a reason."""
    activity = _activity_or_404(activity_id)
    enrolment = _enrolment_or_404(activity, enrolment_id)
    form = ReasonForm()
    if form.validate_on_submit() and form.submit(
        lambda: services.cancel(enrolment, current_user, form.reason.data) or True
    ):
        flash(_("Đã hủy đăng ký của %(n)s.", n=enrolment.person.full_name), "success")
    for error in form.form_errors + form.reason.errors:
        flash(error, "error")
    return _back(activity)


@bp.route("/activities/<int:activity_id>/enrolments/<int:enrolment_id>/transfer", methods=["POST"])
@require("registration.enrol")
def enrolment_transfer(activity_id, enrolment_id):
    """Send someone else in a person's place."""
    activity = _activity_or_404(activity_id)
    enrolment = _enrolment_or_404(activity, enrolment_id)
    form = ReasonForm()
    new_person = db.session.get(Person, form.person_id.data) if form.person_id.data else None
    if form.validate_on_submit() and form.submit(
        lambda: services.transfer(enrolment, new_person, current_user, form.reason.data)
    ):
        flash(_("Đã chuyển chỗ của %(a)s cho %(b)s.", a=enrolment.person.full_name, b=new_person.full_name), "success")
    for error in form.form_errors + form.reason.errors + form.person_id.errors:
        flash(error, "error")
    return _back(activity)


@bp.route("/activities/<int:activity_id>/quotas", methods=["POST"])
@require("registration.quota")
def quota_set(activity_id):
    """Allocate seats to a unit."""
    activity = _activity_or_404(activity_id)
    form = QuotaForm()
    if form.validate_on_submit() and form.submit(
        lambda: services.set_quota(activity, form.unit_id.data, form.category_id.data, form.seats.data) or True
    ):
        flash(_("Đã lưu chỉ tiêu."), "success")
    for errors in [form.form_errors] + [f.errors for f in form]:
        for error in errors:
            flash(error, "error")
    return _back(activity)


@bp.route("/activities/<int:activity_id>/enrolments/<int:enrolment_id>/qr.png")
@require("registration.quota")
def enrolment_qr(activity_id, enrolment_id):
    """A participant's personal QR code (for the invitation letter; scanned at the door)."""

    from app.materials.services import qr_response

    activity = _activity_or_404(activity_id)
    enrolment = _enrolment_or_404(activity, enrolment_id)
    return qr_response(enrolment.qr_payload)


# -- spreadsheet import ------------------------------------------------------------------------


def _import_dir():
    from pathlib import Path

    from flask import current_app

    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


IMPORT_FILE_HOURS = 2


def _forget_old_imports() -> None:
    """Checked files not committed within a couple of hours are deleted: they hold ID numbers."""
    import time

    for path in _import_dir().iterdir():
        if path.stat().st_mtime < time.time() - IMPORT_FILE_HOURS * 3600:
            path.unlink(missing_ok=True)


@bp.route("/activities/<int:activity_id>/import")
@require("registration.enrol")
def import_form(activity_id):
    """Upload a list of people (Excel or CSV) to enrol."""
    activity = _activity_or_404(activity_id)
    return render_template("registration/import.html", activity=activity, form=ImportForm(), report=None)


@bp.route("/activities/<int:activity_id>/import/template.xlsx")
@require("registration.enrol")
def import_template(activity_id):
    """The spreadsheet template with Vietnamese headers."""
    from flask import Response

    _activity_or_404(activity_id)
    return Response(
        imports.template_workbook(),
        mimetype=XLSX,
        headers={"Content-Disposition": "attachment; filename=mau-danh-sach-hoc-vien.xlsx"},
    )


@bp.route("/activities/<int:activity_id>/import", methods=["POST"])
@require("registration.enrol")
def import_run(activity_id):
    """Dry run: show what each row would become; nothing is written."""
    import secrets
    from pathlib import Path

    from flask import current_app

    from app.core.transactions import reads_first

    reads_first()  # the dry run writes nothing: it need not hold SQLite's write lock while it reads the file
    activity = _activity_or_404(activity_id)
    form = ImportForm()
    upload = form.file.data
    if not form.validate_on_submit() or upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Chọn tệp để tải lên.")]
        return render_template("registration/import.html", activity=activity, form=form, report=None), 422
    data = upload.read()
    extension = Path(upload.filename).suffix.lower()
    report = form.submit(
        lambda: imports.run(
            activity,
            upload.filename,
            data,
            current_user,
            commit=False,
            max_bytes=current_app.config["IMPORT_MAX_BYTES"],
        )
    )
    token = None
    if report is not None and report.errors == 0:
        _forget_old_imports()
        token = secrets.token_urlsafe(16)
        (_import_dir() / f"{token}{extension}").write_bytes(data)
        # The checked file belongs to this activity and this user, nobody else's commit.
        session.setdefault("imports", {})[token] = [activity.id, current_user.id]
        session.modified = True
    return render_template(
        "registration/import.html", activity=activity, form=form, report=report, token=token, extension=extension
    ), 200 if report is not None else 422


@bp.route("/activities/<int:activity_id>/import/commit", methods=["POST"])
@require("registration.enrol")
def import_commit(activity_id):
    """Write the import the dry run showed (all rows or none)."""
    import re

    from flask import current_app

    activity = _activity_or_404(activity_id)
    form = BaseForm()
    token, extension = request.form.get("token", ""), request.form.get("extension", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,40}", token) or extension not in (".xlsx", ".csv"):
        abort(400)
    path = _import_dir() / f"{token}{extension}"
    if session.get("imports", {}).get(token) != [activity.id, current_user.id]:
        abort(404)
    if not path.exists():
        flash(_("Tệp đã hết hạn; hãy tải lên lại."), "error")
        return redirect(url_for("registration.import_form", activity_id=activity.id))
    data = path.read_bytes()
    report = form.submit(
        lambda: imports.run(
            activity,
            f"upload{extension}",
            data,
            current_user,
            commit=True,
            max_bytes=current_app.config["IMPORT_MAX_BYTES"],
        )
    )
    path.unlink(missing_ok=True)
    session.get("imports", {}).pop(token, None)
    session.modified = True
    if report is not None and report.committed:
        flash(_("Đã nhập %(n)s dòng.", n=len(report.rows)), "success")
        return _back(activity)
    flash(_("Không nhập được: dữ liệu đã thay đổi từ lúc kiểm tra. Hãy kiểm tra lại."), "error")
    return render_template("registration/import.html", activity=activity, form=ImportForm(), report=report), 409


@bp.route("/activities/<int:activity_id>/letters.pdf")
@require("registration.quota")
def letters(activity_id):
    """Invitation letters of the registered participants, one page each, with personal QR codes."""

    from app.registration.letters import render

    activity = _activity_or_404(activity_id)
    pages = services.letters_for(activity, current_user)
    if not pages:
        flash(_("Chưa có ai đã đăng ký để in giấy triệu tập."), "error")
        return _back(activity)
    return personal_data_download(
        render(pages),
        f"giay-trieu-tap-{activity.id}.pdf",
        export="registration.letters_pdf",
        rows=len(pages),
        obj=activity,
        mimetype="application/pdf",
        inline=True,
    )


# -- self-registration ------------------------------------------------------------------------


def self_registration_url(activity: Activity) -> str | None:
    from flask import current_app

    link = self_service.link_for(activity)
    if link is None or not link.enabled:
        return None
    path = url_for("registration.self_register", token=self_service.token_for(link))
    return current_app.config["BASE_URL"].rstrip("/") + path


@bp.route("/activities/<int:activity_id>/self-registration", methods=["POST"])
@require("registration.quota")
def self_registration_toggle(activity_id):
    """Open, renew or close the public registration link."""

    activity = _activity_or_404(activity_id)
    action = request.form.get("action")
    form = BaseForm()
    if action == "close":
        form.submit(lambda: self_service.close(activity) or True)
        flash(_("Đã đóng đường dẫn tự đăng ký."), "success")
    elif action in ("open", "renew"):
        form.submit(lambda: self_service.publish(activity, renew=action == "renew"))
        flash(_("Đường dẫn tự đăng ký đang mở."), "success")
    else:
        abort(400)
    return _back(activity)


@bp.route("/activities/<int:activity_id>/self-registration/qr.png")
@require("registration.quota")
def self_registration_qr(activity_id):
    """The public registration link as a QR code, to show or print."""

    from app.materials.services import qr_response

    activity = _activity_or_404(activity_id)
    url = self_registration_url(activity) or abort(404)
    return qr_response(url)


@bp.route("/activities/<int:activity_id>/requests/<int:request_id>/decide", methods=["POST"])
@require("registration.quota")
def request_decide(activity_id, request_id):
    """Approve or reject a self-registration request."""
    from app.registration.models import RegistrationRequest

    activity = _activity_or_404(activity_id)
    item = db.session.get(RegistrationRequest, request_id)
    if item is None or item.activity_id != activity.id:
        abort(404)
    approve = request.form.get("decision") == "approve"
    form = BaseForm()
    if form.submit(lambda: self_service.decide(item, current_user, approve, request.form.get("reason"))):
        flash(_("Đã duyệt yêu cầu.") if approve else _("Đã từ chối yêu cầu."), "success")
    form.flash_form_errors()
    return _back(activity)


@bp.route("/r/<token>", methods=["GET", "POST"])
@public
@limiter.limit("30 per hour", methods=["POST"])
def self_register(token):
    """A person asks for a place from the link or QR they were given (no account)."""
    from app.people.forms import PersonForm

    activity = self_service.activity_for_token(token) or abort(404)
    form = PersonForm()
    form.ethnicity_id.choices = [(None, "—")] + [(e.id, e.label) for e in reference.ethnicities()]
    form.category_id.choices = [(None, "—")] + [(c.id, c.label) for c in reference.categories(active_only=True)]
    form.unit_id.choices = [(None, "—")] + unit_choices(on=activity.start_date)
    if form.validate_on_submit() and form.submit(
        lambda: self_service.submit(activity, form.to_data(), request.remote_addr)
    ):
        return render_template("registration/self_register_done.html", activity=activity)
    return render_template("registration/self_register.html", activity=activity, form=form)


@bp.route("/activities/<int:activity_id>/enrolments.xlsx")
@require("registration.view")
def enrolment_export(activity_id):
    """The enrolment list as .xlsx (the people the user may see; citizen IDs masked; audited)."""

    activity = _activity_or_404(activity_id)
    rows = services.export_rows(activity, current_user)
    return personal_data_download(
        services.xlsx(rows, "Danh sách học viên"),
        f"danh-sach-hoc-vien-{activity.id}.xlsx",
        export="registration.enrolments_xlsx",
        rows=len(rows) - 1,  # the header row
        obj=activity,
    )


@bp.route("/activities/<int:activity_id>/enrolments/print")
@require("registration.view")
def enrolment_print(activity_id):
    """A printable list of the registered participants, with a signature column."""
    activity = _activity_or_404(activity_id)
    enrolments = db.session.scalars(
        services.visible_enrolments(activity, current_user, (EnrolmentStatus.registered,))
    ).all()
    return render_template("registration/enrolment_print.html", activity=activity, enrolments=enrolments)
