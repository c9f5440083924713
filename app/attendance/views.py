"""Attendance pages: the door (display, check-in, scanner), the lists, marking and corrections."""

import base64
from datetime import UTC

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app.attendance import codes, reports, services, sheets
from app.attendance.models import Attendance, Refusal
from app.audit.downloads import personal_data_download
from app.core.forms import BaseForm, int_or_none
from app.core.transactions import reads_first
from app.errors import json_error, wants_json
from app.extensions import csrf, db, limiter
from app.materials.services import qr_png, qr_response
from app.people.models import Person
from app.permissions import can, in_scope, not_found, public, require
from app.planning import services as planning
from app.planning.models import ActivitySession
from app.planning.services import get_visible_or_404 as _activity_or_404

bp = Blueprint("attendance", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def session_or_404(session_id: int) -> ActivitySession:
    session = db.session.get(ActivitySession, session_id)
    if session is None or not planning.can_see(current_user, session.activity):
        abort(404, description="out_of_scope" if session is not None else None)
    return session


def checkin_url(session: ActivitySession) -> tuple[str, codes.SessionCode]:
    """The URL the session's QR carries now (absolute: a phone's camera opens it)."""
    code = codes.current(session.id, services.now())
    path = url_for("attendance.check_in", session_id=session.id, code=code.code)
    return current_app.config["BASE_URL"].rstrip("/") + path, code


# -- activity and session lists ---------------------------------------------------------------------


@bp.route("/activities/<int:activity_id>/attendance")
@require("attendance.view")
def activity_attendance(activity_id):
    """Each session's count, and each participant's attendance across sessions."""
    activity = _activity_or_404(activity_id)
    sessions, rates = reports.activity_rates(activity, current_user)
    attended = [row.person for row in rates if row.count]
    return render_template(
        "attendance/activity.html",
        activity=activity,
        sessions=sessions,
        counts={s.id: services.counts(s) for s in sessions},
        rates=rates,
        groups=reports.breakdown(attended),
        group_labels=reports.GROUPS,
        attended=len(attended),
        women=reports.women(attended),
    )


@bp.route("/activities/<int:activity_id>/attendance.xlsx")
@require("attendance.view")
def activity_attendance_export(activity_id):
    activity = _activity_or_404(activity_id)
    sessions, rates = reports.activity_rates(activity, current_user)
    return personal_data_download(
        sheets.activity_xlsx(activity, sessions, rates),
        f"diem-danh-hoat-dong-{activity.id}.xlsx",
        export="attendance.activity_xlsx",
        rows=len(rates),
        obj=activity,
    )


@bp.route("/sessions/<int:session_id>/attendance")
@require("attendance.view")
def session_attendance(session_id):
    """Who is present, how and when; refused attempts and flags for the organiser."""
    session = session_or_404(session_id)
    rows = reports.session_rows(session, current_user)
    present = [row.person for row in rows if row.attendance]
    refusals = []
    if can("attendance.record"):
        refusals = db.session.scalars(
            db.select(Refusal).where(Refusal.session_id == session.id).order_by(Refusal.at.desc()).limit(50)
        ).all()
    return render_template(
        "attendance/session.html",
        session=session,
        activity=session.activity,
        rows=rows,
        counts=services.counts(session),
        groups=reports.breakdown(present),
        group_labels=reports.GROUPS,
        refusals=refusals,
        messages=services.MESSAGES,
        window=services.window(session),
        form=BaseForm(),
    )


@bp.route("/sessions/<int:session_id>/attendance.xlsx")
@require("attendance.view")
def session_attendance_export(session_id):
    session = session_or_404(session_id)
    rows = reports.session_rows(session, current_user)
    return personal_data_download(
        sheets.session_xlsx(session, rows),
        f"diem-danh-buoi-{session.id}.xlsx",
        export="attendance.session_xlsx",
        rows=len(rows),
        obj=session,
    )


@bp.route("/sessions/<int:session_id>/sign-in-sheet.pdf")
@require("attendance.view")
def sign_in_sheet(session_id):
    """The paper sheet (danh sách điểm danh) with a signature column, for when all else fails."""
    session = session_or_404(session_id)
    rows = [row for row in reports.session_rows(session, current_user) if row.enrolment is not None]
    return personal_data_download(
        sheets.sign_in_pdf(session, rows),
        f"danh-sach-diem-danh-{session.id}.pdf",
        export="attendance.sign_in_pdf",
        rows=len(rows),
        obj=session,
        mimetype="application/pdf",
        inline=True,
    )


# -- marking by hand and corrections ----------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/attendance/mark", methods=["POST"])
@require("attendance.record")
def mark(session_id):
    """Mark the chosen people present, with a reason (at the desk, or from the paper sheet)."""
    session = session_or_404(session_id)
    ids = [i for i in (int_or_none(v) for v in request.form.getlist("person_id")) if i]
    form = BaseForm()
    if not ids:
        flash(_("Chọn ít nhất một người."), "error")
    else:

        def mark_all():
            people = [db.session.get(Person, i) for i in ids]
            paper = request.form.get("paper") == "1"
            reason = request.form.get("reason")
            return [
                services.mark(
                    session, p if p and in_scope(current_user, p) else None, current_user, reason, paper=paper
                )
                for p in people
            ]

        results = form.submit(mark_all)
        if results:
            recorded = sum(1 for r in results if r.status == "checked_in")
            flash(_("Đã ghi nhận có mặt: %(n)s người.", n=recorded), "success")
        form.flash_form_errors()
    return redirect(url_for("attendance.session_attendance", session_id=session.id))


@bp.route("/sessions/<int:session_id>/attendance/<int:attendance_id>/remove", methods=["POST"])
@require("attendance.record")
def remove(session_id, attendance_id):
    """Correct a mistaken check-in, with a reason."""
    session = session_or_404(session_id)
    attendance = db.session.get(Attendance, attendance_id)
    if attendance is None or attendance.session_id != session.id or not in_scope(current_user, attendance.person):
        not_found(attendance)
    form = BaseForm()
    if form.submit(lambda: services.remove(attendance, current_user, request.form.get("reason")) or True):
        flash(_("Đã xóa lượt điểm danh."), "success")
    form.flash_form_errors()
    return redirect(url_for("attendance.session_attendance", session_id=session.id))


# -- the screen at the door ---------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/display")
@require("attendance.record")
def display(session_id):
    """Full-screen rotating QR with the live count, for a projector or a tablet at the door."""
    session = session_or_404(session_id)
    url, code = checkin_url(session)
    return render_template(
        "attendance/display.html",
        session=session,
        activity=session.activity,
        qr=_data_uri(url),
        url=url,
        code=code,
        counts=services.counts(session),
        step=current_app.config["ATTENDANCE_CODE_STEP_SECONDS"],
    )


def _data_uri(url: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(url)).decode()


def display_state(session: ActivitySession) -> dict:
    url, code = checkin_url(session)
    return {
        "url": url,
        "server_now": services.now().replace(tzinfo=UTC).isoformat(),
        "refresh_at": code.refresh_at.isoformat(),
        "expires_at": code.expires_at.isoformat(),
        **services.counts(session).as_dict(),
    }


@bp.route("/sessions/<int:session_id>/display.json")
@require("attendance.record")
def display_json(session_id):
    session = session_or_404(session_id)
    state = display_state(session)
    return jsonify({**state, "qr": _data_uri(state["url"])})


@bp.route("/sessions/<int:session_id>/qr.png")
@require("attendance.record")
def session_qr(session_id):
    session = session_or_404(session_id)
    return qr_response(checkin_url(session)[0])


# -- the organiser's scanner --------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/scanner")
@require("attendance.record")
def scanner(session_id):
    """Camera or USB scanner; scans queue on the device while the network is down."""
    session = session_or_404(session_id)
    return render_template(
        "attendance/scanner.html", session=session, activity=session.activity, counts=services.counts(session)
    )


@bp.route("/sessions/<int:session_id>/scans", methods=["POST"])
@require("attendance.record")
def scans(session_id):
    """Scans from the scanner page (one or a queued batch): one result per scan, in order."""
    session = session_or_404(session_id)
    body = request.get_json(silent=True)
    items = body.get("scans") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or len(items) > 500:
        return jsonify({"error": {"code": "bad_request", "message": _("Yêu cầu không hợp lệ."), "fields": {}}}), 400
    results = [scan_one(session, item) for item in items]
    return jsonify({"results": results, "counts": services.counts(session).as_dict()})


def scan_one(session: ActivitySession, item) -> dict:
    """Record one scanner scan in its own transaction; a refusal is logged and reported, not raised."""
    if not isinstance(item, dict):
        item = {}
    nonce = str(item.get("nonce") or "")[:64] or None
    try:
        result = services.scan_personal(
            session,
            str(item.get("code") or "")[:200],
            current_user,
            nonce=nonce,
            scanned_at=item.get("scanned_at"),
            device_id=str(item.get("device") or "")[:64] or None,
        )
        db.session.commit()
    except services.Refused as error:
        services.log_refusal(error, session, "personal_qr", user=current_user, ip=request.remote_addr)
        return {"nonce": nonce, **refusal_body(error)}
    except services.DomainError as error:
        db.session.rollback()
        return {"nonce": nonce, **refusal_body(error)}
    return {"nonce": nonce, **result_body(result, identity=True)}


def refusal_body(error) -> dict:
    body = {"status": "refused", "code": error.code, "message": str(error.message)}
    person = getattr(error, "person", None)
    if person is not None and can("attendance.record"):
        body["person"] = identity_hint(person)
    return body


def result_body(result: services.Result, *, identity: bool = False) -> dict:
    attendance = result.attendance
    from app.core.formats import datetime_vn

    body = {
        "status": result.status,
        "checked_in_at": attendance.checked_in_at.replace(tzinfo=UTC).isoformat(),
        "checked_in_at_text": datetime_vn(attendance.checked_in_at)[-5:],
        "method": attendance.method.value,
        "late": attendance.late,
        "replayed": result.replayed,
        "person": {"full_name": attendance.person.full_name},
    }
    if identity:
        body["person"] = identity_hint(attendance.person)
    return body


def identity_hint(person: Person) -> dict:
    """Enough for a human at the door to confirm who stands there, without a photo."""
    return {
        "full_name": person.full_name,
        "unit": person.unit.full_name if person.unit else None,
        "birth_year": person.year_of_birth,
        "id_last_digits": person.id_number[-3:] if person.id_number else None,
        "phone_last_digits": person.phone[-3:] if person.phone else None,
    }


# -- the participant's phone (public: the rotating code is the proof of presence) ---------------------


_SESSION_WITH_ACTIVITY = (
    select(ActivitySession).options(joinedload(ActivitySession.activity)).where(ActivitySession.id == bindparam("id"))
)


def _remembered_person() -> tuple[str | None, int | None]:
    return codes.read_device_cookie(request.cookies.get(codes.DEVICE_COOKIE))


@bp.route("/c/<int:session_id>/<code>", methods=["GET", "POST"])
@public
@csrf.exempt  # a JSON POST cannot be forged cross-site without CORS; forms are checked below
@limiter.limit(lambda: current_app.config["CHECKIN_RATE_LIMIT"], methods=["POST"])
def check_in(session_id, code):
    """What a phone's camera opens from the session's QR: identify once, then one tap."""
    if request.method == "POST" and not request.is_json and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    if request.method == "POST":
        reads_first()  # the lock only for the insert: docs/performance.md, "QR check-in burst"
    session = db.session.scalar(_SESSION_WITH_ACTIVITY, {"id": session_id})
    if session is None:
        return _refused(services.refuse("invalid"), None)
    device_id, person_id = _remembered_person()
    ticket = request.form.get("ticket") if not request.is_json else None
    try:
        services.check_session_code(session, code, ticket)
        services.check_activity(session.activity)
    except services.Refused as error:
        return _refused(error, session, device_id)
    if request.method == "GET":
        return _check_in_page(session, code, person_id)
    return _check_in_post(session, code, device_id, person_id)


def _check_in_page(session, code, person_id):
    enrolment = None
    if person_id:
        enrolment = services.enrolment_of(session.activity_id, person_id)
    present = None
    if enrolment is not None:
        present = db.session.scalar(
            db.select(Attendance).where(Attendance.session_id == session.id, Attendance.person_id == person_id)
        )
    return render_template(
        "attendance/check_in.html",
        session=session,
        activity=session.activity,
        code=code,
        ticket=codes.ticket_for(session.id),
        nonce=codes.new_device_id(),
        enrolment=enrolment,
        present=present,
    )


def _check_in_post(session, code, device_id, person_id):
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data if hasattr(data, "get") else {}
    remembered = str(data.get("remembered") or "") == "1" and person_id
    try:
        if remembered:
            found = services.remembered_for(session, person_id)
        else:
            found = services.identify_for(session, _text(data, "phone"), _text(data, "id_number"))
        result = services.self_check_in(
            session,
            found.enrolment,
            device_id=device_id or codes.new_device_id(),
            nonce=_text(data, "nonce"),
            known_device=device_id is not None,
            earlier=found.earlier,
        )
        body = result_body(result)
        db.session.commit()
    except services.Refused as error:
        return _refused(error, session, device_id, phone=_text(data, "phone"), id_number=_text(data, "id_number"))
    except services.DomainError as error:
        db.session.rollback()
        if wants_json():
            return json_error(error.status, error.code, error.message, error.fields)
        return render_template(
            "attendance/check_in.html",
            session=session,
            activity=session.activity,
            code=code,
            ticket=codes.ticket_for(session.id),
            nonce=codes.new_device_id(),
            enrolment=None,
            present=None,
            error=error.message,
        ), error.status
    if wants_json():
        response = jsonify(body)
    else:
        response = make_response(
            render_template("attendance/checked_in.html", session=session, activity=session.activity, result=result)
        )
    codes.remember_device(response, result.attendance.device_id, result.attendance.person_id)
    return response


def _text(data, name: str) -> str | None:
    value = data.get(name)
    return str(value)[:100] if value is not None else None


def _refused(error: services.Refused, session, device_id=None, phone=None, id_number=None):
    services.log_refusal(error, session, "self_scan", device_id=device_id, ip=request.remote_addr)
    if wants_json():
        return json_error(error.status, error.code, error.message)
    walk_in = session is not None and error.code == "not_enrolled" and error.person is not None
    return render_template(
        "attendance/refused.html",
        session=session,
        error=error,
        walk_in=walk_in,
        ticket=codes.ticket_for(session.id) if walk_in else None,
        phone=phone,
        id_number=id_number,
    ), error.status


@bp.route("/c/<int:session_id>/walk-in", methods=["POST"])
@public
@limiter.limit(lambda: current_app.config["CHECKIN_RATE_LIMIT"])
def walk_in(session_id):
    """A registry member not on the list asks to join; the organiser approves at the desk."""
    session = db.session.get(ActivitySession, session_id) or abort(404)
    if not codes.ticket_valid(session.id, request.form.get("ticket")):
        return _refused(services.refuse("expired"), session)
    try:
        services.identify(session.activity, request.form.get("phone"), request.form.get("id_number"))
        # On the list after all (an organiser just enrolled them): they check in as everyone does.
        message = _("Bạn đã có tên trong danh sách. Hãy quét lại mã QR tại hội trường để điểm danh.")
        return render_template(
            "attendance/walk_in_sent.html", session=session, activity=session.activity, message=message
        )
    except services.Refused as error:
        if error.code != "not_enrolled" or error.person is None:
            return _refused(error, session)
        services.request_walk_in(session, error.person, request.remote_addr)
        db.session.commit()
    except services.DomainError:
        abort(400)
    return render_template("attendance/walk_in_sent.html", session=session, activity=session.activity)


@bp.route("/c/forget", methods=["POST"])
@public
def forget_device():
    """ "Not me": this phone stops remembering who checked in with it."""
    response = make_response(render_template("attendance/forgotten.html"))
    response.delete_cookie(codes.DEVICE_COOKIE)
    return response
