"""JSON API v1: enrolments (shared API.md, "Registration and attendance")."""

from flask import jsonify
from flask_login import current_user

from app.api.blueprint import body_json, bp, paginate
from app.core.forms import int_or_none
from app.core.i18n import lazy_gettext as _l
from app.errors import ValidationError
from app.extensions import db
from app.people.models import Person
from app.permissions import can, in_scope, not_found, require
from app.planning.services import get_visible_or_404 as _activity_or_404
from app.registration import services
from app.registration.models import Enrolment, EnrolmentStatus


def _enrolment(enrolment: Enrolment) -> dict:
    body = {
        "id": enrolment.id,
        "person_id": enrolment.person_id,
        "status": enrolment.status.value,
        "position": enrolment.position if enrolment.status is EnrolmentStatus.waitlisted else None,
        "unit_id": enrolment.unit_id,
        "replaces_id": enrolment.replaces_id,
    }
    if can("registration.quota"):  # organisers print letters and scan at the door
        body["qr_code"] = enrolment.qr_payload
    return body


@bp.route("/activities/<int:activity_id>/enrolments")
@require("registration.view")
def enrolment_list(activity_id):
    """Enrolments of an activity whose people the caller may see."""
    activity = _activity_or_404(activity_id)
    statuses = tuple(EnrolmentStatus)
    return paginate(services.visible_enrolments(activity, current_user, statuses), _enrolment, default_per_page=200)


@bp.route("/activities/<int:activity_id>/enrolments", methods=["POST"])
@require("registration.enrol")
def enrolment_create(activity_id):
    """Enrol a person: ``registered`` while seats last, then ``waitlisted``."""
    activity = _activity_or_404(activity_id)
    person_id = int_or_none(body_json().get("person_id"))
    if person_id is None:
        raise ValidationError(
            "unknown_person",
            _l("Chọn một người trong danh sách."),
            {"person_id": _l("Chọn một người trong danh sách.")},
        )
    enrolment = services.enrol(activity, db.session.get(Person, person_id), current_user, source="api")
    db.session.commit()
    return jsonify(_enrolment(enrolment)), 201


@bp.route("/activities/<int:activity_id>/enrolments/<int:enrolment_id>/cancel", methods=["POST"])
@require("registration.enrol")
def enrolment_cancel(activity_id, enrolment_id):
    """Cancel an enrolment with a reason; the waiting list moves up."""
    activity = _activity_or_404(activity_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.activity_id != activity.id or not in_scope(current_user, enrolment.person):
        not_found(enrolment)
    reason = body_json().get("reason")
    promoted = services.cancel(enrolment, current_user, reason if isinstance(reason, str) else None)
    db.session.commit()
    return jsonify({**_enrolment(enrolment), "promoted": _enrolment(promoted) if promoted else None})
