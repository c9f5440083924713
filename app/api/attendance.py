"""JSON API v1: attendance (shared API.md, "Registration and attendance")."""

from datetime import UTC

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import select

from app.api.blueprint import body_json, bp, paginate
from app.attendance import services
from app.attendance import views as pages
from app.attendance.models import Attendance
from app.core.forms import int_or_none
from app.core.i18n import lazy_gettext as _l
from app.errors import ValidationError
from app.extensions import db
from app.materials.services import qr_response
from app.people.models import Person
from app.permissions import require, scope_unit_ids


@bp.route("/sessions/<int:session_id>/checkin-code")
@require("attendance.record")
def checkin_code(session_id):
    """The URL in the session's rotating QR now, when to show the next and when this one stops working."""
    session = pages.session_or_404(session_id)
    state = pages.display_state(session)
    return jsonify(state)


@bp.route("/sessions/<int:session_id>/qr.png")
@require("attendance.record")
def checkin_qr(session_id):
    """The session's current check-in QR as a PNG image."""
    session = pages.session_or_404(session_id)
    return qr_response(pages.checkin_url(session)[0])


@bp.route("/checkins", methods=["POST"])
@require("attendance.record")
def checkin_create():
    """An organiser's scan of a personal QR (live or replayed from an offline queue).

    The same ``nonce`` twice is one scan. Refusals answer with the error format and their code.
    """
    body = body_json()
    session_id = int_or_none(body.get("session_id"))
    if session_id is None:
        message = _l("Chọn buổi điểm danh.")
        raise ValidationError("session_required", message, {"session_id": message})
    session = pages.session_or_404(session_id)
    try:
        result = services.scan_personal(
            session,
            str(body.get("code") or "")[:200],
            current_user,
            nonce=str(body.get("nonce") or "")[:64] or None,
            scanned_at=body.get("scanned_at"),
            device_id=str(body.get("device") or "")[:64] or None,
        )
    except services.Refused as error:
        services.log_refusal(error, session, "personal_qr", user=current_user, ip=request.remote_addr)
        raise
    db.session.commit()
    body = pages.result_body(result, identity=True)
    return jsonify(body), 201 if result.status == "checked_in" and not result.replayed else 200


def _attendance(attendance: Attendance) -> dict:
    return {
        "id": attendance.id,
        "person_id": attendance.person_id,
        "checked_in_at": attendance.checked_in_at.replace(tzinfo=UTC).isoformat(),
        "method": attendance.method.value,
        "status": "late" if attendance.late else "present",
        "flags": list(attendance.flags or []),
    }


@bp.route("/sessions/<int:session_id>/attendance")
@require("attendance.view")
def session_attendance(session_id):
    """Who is recorded present at a session (the people the caller may see)."""
    session = pages.session_or_404(session_id)
    query = (
        select(Attendance)
        .join(Person, Person.id == Attendance.person_id)
        .where(Attendance.session_id == session.id)
        .order_by(Attendance.checked_in_at, Attendance.id)
    )
    allowed = scope_unit_ids()
    if allowed is not None:
        query = query.where(Person.unit_id.in_(allowed))
    return paginate(query, _attendance, default_per_page=200)
