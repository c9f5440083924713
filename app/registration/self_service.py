"""Self-registration: a public link where people ask for a place; organisers decide."""

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from app.audit import services as audit
from app.core.i18n import lazy_gettext as _l
from app.core.text import fold
from app.core.time import utcnow
from app.errors import ConflictError
from app.extensions import db
from app.people import services as people
from app.people.models import Person
from app.planning.models import Activity
from app.registration import services as registration
from app.registration.models import (
    RegistrationRequest,
    RequestStatus,
    SelfRegistrationLink,
    new_qr_token,
)

SALT = "self-registration-v1"
MAX_AGE_DAYS = 365
STORED = (
    "full_name",
    "gender",
    "birth_date",
    "birth_year",
    "phone",
    "id_number",
    "unit_id",
    "level",
    "position",
    "workplace",
    "ethnicity_id",
    "category_id",
)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def link_for(activity: Activity) -> SelfRegistrationLink | None:
    return db.session.get(SelfRegistrationLink, activity.id)


def publish(activity: Activity, *, renew: bool = False) -> str:
    """Open the public link (a new one when ``renew``: old links stop working); return its token."""
    link = link_for(activity)
    reopening = link is not None and not link.enabled
    link = link or SelfRegistrationLink(activity_id=activity.id)
    link.enabled = True
    if renew or reopening or link.nonce is None:  # a closed link stays dead: reopening makes a new one
        link.nonce = new_qr_token()
    db.session.add(link)
    db.session.flush()
    audit.record("self_registration.open", activity, after={"renewed": renew})
    return token_for(link)


def close(activity: Activity) -> None:
    link = link_for(activity)
    if link is not None:
        link.enabled = False
        audit.record("self_registration.close", activity)
        db.session.flush()


def token_for(link: SelfRegistrationLink) -> str:
    return _serializer().dumps({"a": link.activity_id, "n": link.nonce})


def activity_for_token(token: str) -> Activity | None:
    """The activity a link opens, while the link is open and the activity takes enrolments."""
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE_DAYS * 24 * 3600)
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    link = db.session.get(SelfRegistrationLink, payload.get("a"))
    if link is None or not link.enabled or link.nonce != payload.get("n"):
        return None
    activity = db.session.get(Activity, link.activity_id)
    return activity if activity is not None and activity.status in registration.OPEN_FOR_ENROLMENT else None


def _json_ready(cleaned: dict) -> dict:
    out = {key: cleaned.get(key) for key in STORED}
    out["gender"] = out["gender"].value if out["gender"] else None
    out["level"] = out["level"].value if out["level"] else None
    out["birth_date"] = out["birth_date"].isoformat() if out["birth_date"] else None
    return out


def _match(cleaned: dict) -> tuple[Person | None, str | None]:
    """The registry's person this request is about, and why we think so (shown to the organiser)."""
    if cleaned["id_number"]:
        found = db.session.scalar(select(Person).where(Person.id_number == cleaned["id_number"]))
        if found is not None:
            return found, "id_number"
    if cleaned["phone"]:
        found = db.session.scalar(
            select(Person).where(
                Person.phone == cleaned["phone"],
                Person.search_name == fold(cleaned["full_name"]),
                Person.merged_into_id.is_(None),
            )
        )
        if found is not None:
            return found, "phone_and_name"
    return None, None


def _pending_duplicate(activity: Activity, data: dict, person: Person | None) -> RegistrationRequest | None:
    """A pending request from the same person (sent twice, or corrected): it is updated, not doubled."""
    for request in pending(activity):
        same_person = person is not None and request.matched_person_id == person.id
        same_phone_name = (
            data.get("phone")
            and request.data.get("phone") == data["phone"]
            and fold(request.data.get("full_name")) == fold(data.get("full_name"))
        )
        if same_person or same_phone_name:
            return request
    return None


def submit(activity: Activity, data: dict, ip: str | None) -> RegistrationRequest:
    """Record a request from the public form.

    :raises ValidationError: the same checks as registering a person (a clear message per field).
    """
    cleaned, _warnings = people.clean(data, None)
    person, reason = _match(cleaned)
    stored = {**_json_ready(cleaned), "match": reason}
    request = _pending_duplicate(activity, stored, person)
    action = "self_registration.request_update" if request is not None else "self_registration.request"
    if request is None:
        request = RegistrationRequest(activity_id=activity.id)
        db.session.add(request)
    request.data, request.ip, request.matched_person_id = stored, ip, getattr(person, "id", None)
    db.session.flush()
    audit.record(action, request, after={"activity_id": activity.id, "matched_person_id": request.matched_person_id})
    return request


def pending(activity: Activity):
    return db.session.scalars(
        select(RegistrationRequest)
        .where(RegistrationRequest.activity_id == activity.id, RegistrationRequest.status == RequestStatus.pending)
        .order_by(RegistrationRequest.created_at)
    ).all()


def decide(request: RegistrationRequest, user, approve: bool, reason: str | None = None):
    """Approve (the person is matched or registered, then enrolled) or reject with a reason.

    :raises ConflictError: the request was decided already. Enrolment errors pass through.
    """
    from datetime import date

    if request.status is not RequestStatus.pending:
        raise ConflictError("already_decided", _l("Yêu cầu này đã được xử lý."))
    if approve:
        person = request.matched_person
        if person is None:
            data = dict(request.data)
            data["birth_date"] = date.fromisoformat(data["birth_date"]) if data.get("birth_date") else None
            person = people.save_person(data, user, confirmed=True)
        enrolment = registration.enrol(
            request.activity, person, user, source="walk_in" if request.walk_in_session_id else "self"
        )
        request.enrolment_id = enrolment.id
        if request.walk_in_session_id:
            from app.attendance.services import admit_walk_in

            admit_walk_in(request, enrolment, user)
    else:
        request.decision_reason = registration.reason_text(reason)
    request.status = RequestStatus.approved if approve else RequestStatus.rejected
    request.decided_by_id, request.decided_at = user.id, utcnow()
    db.session.flush()
    audit.record("self_registration.decide", request, after={"status": request.status.value})
    return request
