"""Recording attendance: three ways in (session QR, personal QR, by hand), one row per person and session.

Every way ends in ``_record``, which is idempotent twice over: a retry with the same client
nonce returns the first result, and a second check-in of the same person answers "already
checked in at 08:03". The unique keys on (session, person) and (session, nonce) are the final
guard: the row is inserted with ON CONFLICT DO NOTHING, so two racing requests on PostgreSQL
(or anything that slips past SQLite's write lock) still leave exactly one row.

Refusals raise ``Refused`` with a stable code; ``log_refusal`` keeps a record of them apart
from the refused transaction, which is rolled back.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.attendance import codes
from app.attendance.models import Attendance, Method, Refusal
from app.audit import services as audit
from app.core.formats import VIETNAM
from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.core.transactions import start_writing
from app.errors import DomainError, ValidationError
from app.extensions import db
from app.people import services as people_services
from app.people.identity import typed_identity
from app.people.models import Gender, Person
from app.planning.models import Activity, ActivitySession, ActivityStatus
from app.registration import services as registration
from app.registration.models import Enrolment, EnrolmentStatus

# Participants may check in while the activity runs; organisers may correct until it is settled.
CHECK_IN_STATUSES = (ActivityStatus.approved, ActivityStatus.open, ActivityStatus.in_progress, ActivityStatus.completed)


class Refused(DomainError):
    """A check-in refused for a reason the person at the door must read; ``code`` is stable."""

    def __init__(self, code: str, message, status: int = 422, person: Person | None = None):
        super().__init__(code, message, status=status)
        self.person = person


MESSAGES = {
    "invalid": _l("Mã điểm danh không hợp lệ. Hãy quét lại mã đang hiển thị tại hội trường."),
    "expired": _l("Mã điểm danh đã hết hạn. Hãy quét lại mã đang hiển thị tại hội trường."),
    "wrong_session": _l("Mã này thuộc một buổi hoặc một hoạt động khác."),
    "unknown_person": _l("Không tìm thấy người có số điện thoại hoặc số định danh này. Hãy gặp ban tổ chức."),
    "not_enrolled": _l("Bạn chưa có tên trong danh sách học viên của hoạt động này."),
    "ambiguous": _l("Số điện thoại này dùng chung cho nhiều học viên; hãy nhập số định danh cá nhân."),
    "cancelled": _l("Đăng ký của bạn ở hoạt động này đã bị hủy. Hãy gặp ban tổ chức."),
    "waitlisted": _l("Bạn đang ở danh sách chờ, chưa có chỗ ở hoạt động này. Hãy gặp ban tổ chức."),
    "not_open": _l("Hoạt động này chưa được phê duyệt hoặc đã bị hủy; chưa điểm danh được."),
    "frozen": _l("Hoạt động đã quyết toán: số liệu điểm danh đã khóa."),
    "nonce_reused": _l("Mã lần quét này đã dùng cho một người khác."),
    "outside_window": _l("Ngoài giờ điểm danh của buổi này."),
    "too_old": _l("Lượt quét này đã quá cũ để ghi nhận; hãy điểm danh bằng tay kèm lý do."),
}
STATUSES = {"cancelled": 409, "waitlisted": 409, "not_open": 409, "frozen": 409, "nonce_reused": 409}


def refuse(code: str, person: Person | None = None, message=None) -> Refused:
    return Refused(code, message or MESSAGES[code], STATUSES.get(code, 422), person)


def now() -> datetime:
    """Naive UTC now; tests freeze time here."""
    return utcnow()


def local(moment: datetime) -> datetime:
    """A naive-UTC time as Vietnam wall-clock time (sessions are planned in it)."""
    return moment.replace(tzinfo=UTC).astimezone(VIETNAM).replace(tzinfo=None)


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=int(current_app.config[name]))


@dataclass
class Window:
    opens: datetime  # Vietnam wall-clock, like the session's times
    closes: datetime
    late_after: datetime
    suspicious_after: datetime


def window(session: ActivitySession) -> Window:
    return Window(
        opens=session.starts_at - _minutes("ATTENDANCE_OPENS_BEFORE_MINUTES"),
        closes=session.ends_at,
        late_after=session.starts_at + _minutes("ATTENDANCE_LATE_AFTER_MINUTES"),
        suspicious_after=session.starts_at + _minutes("ATTENDANCE_SUSPICIOUS_AFTER_MINUTES"),
    )


def _outside_window(session: ActivitySession, at: datetime) -> Refused:
    limits = window(session)
    return refuse(
        "outside_window",
        message=_l(
            "Ngoài giờ điểm danh của buổi này (từ %(a)s đến %(b)s ngày %(d)s).",
            a=limits.opens.strftime("%H:%M"),
            b=limits.closes.strftime("%H:%M"),
            d=session.starts_at.strftime("%d/%m/%Y"),
        ),
    )


@dataclass
class Result:
    status: str  # "checked_in" or "already_checked_in"
    attendance: Attendance
    replayed: bool = False  # the same nonce again: this is the first scan's answer
    notes: list = field(default_factory=list)

    @property
    def person(self) -> Person:
        return self.attendance.person


# -- the checks every way in shares -------------------------------------------------------------


def check_activity(activity: Activity) -> None:
    if activity.status is ActivityStatus.settled:
        raise refuse("frozen")
    if activity.status not in CHECK_IN_STATUSES:
        raise refuse("not_open")


def check_enrolment(enrolment: Enrolment | None, person: Person | None) -> Enrolment:
    if enrolment is None:
        raise refuse("not_enrolled", person)
    if enrolment.status is EnrolmentStatus.cancelled:
        raise refuse("cancelled", person)
    if enrolment.status is EnrolmentStatus.waitlisted:
        raise refuse("waitlisted", person)
    return enrolment


def _check_time(session: ActivitySession, arrived: datetime) -> None:
    limits, at = window(session), local(arrived)
    if not limits.opens <= at <= limits.closes:
        raise _outside_window(session, arrived)


def enrolment_of(activity_id: int, person_id: int) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(Enrolment.activity_id == activity_id, Enrolment.person_id == person_id)
    )


# -- recording ---------------------------------------------------------------------------------


# The check-in's statements are built once: building a statement costs more than running it here
# (docs/performance.md, "QR check-in burst").
_INSERTS = {
    name: insert(Attendance.__table__).on_conflict_do_nothing().returning(Attendance.__table__.c.id)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_BY_NONCE = select(Attendance).where(
    Attendance.session_id == bindparam("session_id"), Attendance.nonce == bindparam("nonce")
)
_BY_PERSON = select(Attendance).where(
    Attendance.session_id == bindparam("session_id"), Attendance.person_id == bindparam("person_id")
)


def _insert(values: dict) -> int | None:
    """Insert one attendance row; None when a unique key says it exists already."""
    statement = _INSERTS[db.session.get_bind().dialect.name]
    return db.session.execute(statement, values).scalar()


def _flags(session: ActivitySession, person: Person, arrived: datetime, device_id: str | None, method: Method) -> list:
    flags = []
    if method in (Method.self_scan, Method.personal_qr) and local(arrived) > window(session).suspicious_after:
        flags.append("long_after_start")
    if method is Method.self_scan and device_id:
        others = db.session.scalar(
            select(func.count(Attendance.id)).where(
                Attendance.session_id == session.id,
                Attendance.device_id == device_id,
                Attendance.person_id != person.id,
            )
        )
        if others:
            flags.append("shared_device")
    return flags


def _existing(session: ActivitySession, person: Person, nonce: str | None) -> Result | None:
    if nonce:
        prior = db.session.scalar(_BY_NONCE, {"session_id": session.id, "nonce": nonce})
        if prior is not None:
            if prior.person_id != person.id:
                raise refuse("nonce_reused", person)
            return Result("checked_in", prior, replayed=True)
    return _answer_to_earlier(db.session.scalar(_BY_PERSON, {"session_id": session.id, "person_id": person.id}), nonce)


def _answer_to_earlier(earlier: Attendance | None, nonce: str | None) -> Result | None:
    """What a scan answers when the person's check-in to the session is there already: the same
    scan again (same nonce) gets the first answer; another scan hears "already checked in"."""
    if earlier is None:
        return None
    if nonce and earlier.nonce == nonce:
        return Result("checked_in", earlier, replayed=True)
    return Result("already_checked_in", earlier)


def _record(
    session: ActivitySession,
    enrolment: Enrolment,
    method: Method,
    arrived: datetime,
    *,
    user=None,
    device_id: str | None = None,
    nonce: str | None = None,
    reason: str | None = None,
    checked: bool = False,
    known_device: bool = True,
) -> Result:
    """:param checked: the caller already looked for an earlier check-in (the insert still guards).
    :param known_device: False for a phone seen for the first time (no other check-ins to compare)."""
    person = enrolment.person
    nonce = (nonce or "")[:64] or None
    earlier = None if checked else _existing(session, person, nonce)
    if earlier is not None:
        return earlier
    values = {
        "session_id": session.id,
        "person_id": person.id,
        "enrolment_id": enrolment.id,
        "checked_in_at": arrived,
        "recorded_at": now(),
        "method": method,
        "late": local(arrived) > window(session).late_after,
        "flags": _flags(session, person, arrived, device_id if known_device else None, method),
        "device_id": device_id,
        "recorded_by_id": getattr(user, "id", None),
        "nonce": nonce,
        "reason": reason,
    }
    new_id = _insert(values)
    if new_id is None:  # a concurrent request recorded it first: the database said so
        return _existing(session, person, nonce)
    # The row is exactly what was inserted: make it a persistent object without reading it back.
    attendance = Attendance(id=new_id, **values)
    make_transient_to_detached(attendance)
    db.session.add(attendance)
    set_committed_value(attendance, "person", person)
    set_committed_value(attendance, "session", session)
    audit.record_now(
        "attendance.create",
        "attendances",
        new_id,
        after={"session_id": session.id, "person_id": person.id, "method": method.value, "reason": reason},
        actor=user,
    )
    return Result("checked_in", attendance)


# -- 1. the participant scans the session's code --------------------------------------------------


def check_session_code(session: ActivitySession, code: str, ticket: str | None = None) -> None:
    """:raises Refused: ``invalid`` or ``expired`` — unless a ticket from a valid scan still holds."""
    problem = codes.check(session.id, code, now())
    if problem and not codes.ticket_valid(session.id, ticket):
        raise refuse(problem)


def _people_by(column):
    """The people with a number, each with their place in an activity and their check-in to one
    of its sessions (none when ``session_id`` is NULL): the whole lookup of a check-in in one query."""
    return (
        select(Person, Enrolment, Attendance)
        .outerjoin(Enrolment, and_(Enrolment.person_id == Person.id, Enrolment.activity_id == bindparam("activity_id")))
        .outerjoin(
            Attendance, and_(Attendance.person_id == Person.id, Attendance.session_id == bindparam("session_id"))
        )
        .where(column == bindparam("value"), Person.merged_into_id.is_(None))
    )


_PEOPLE_BY = {"phone": _people_by(Person.phone), "id_number": _people_by(Person.id_number)}


@dataclass
class Found:
    """Whoever identified themselves at a check-in: their enrolment, and their check-in to the
    session when they have one already (``None``: not yet)."""

    enrolment: Enrolment
    earlier: Attendance | None


def identify(activity: Activity, phone: str | None, id_number: str | None) -> Enrolment:
    """The enrolment of the person who typed this phone number or citizen ID.

    :raises ValidationError: nothing usable typed. :raises Refused: ``unknown_person``,
        ``ambiguous``, ``not_enrolled``, ``cancelled``, ``waitlisted``.
    """
    return _identified(activity.id, None, phone, id_number).enrolment


def identify_for(session: ActivitySession, phone: str | None, id_number: str | None) -> Found:
    """As ``identify``, for a check-in to ``session``: with the person's check-in to it, if any,
    found by the same query (a check-in reads the database twice: the session, then this)."""
    return _identified(session.activity_id, session.id, phone, id_number)


def remembered_for(session: ActivitySession, person_id: int) -> Found:
    """A remembered phone's person, their enrolment and any check-in to ``session``, in one query.

    :raises Refused: ``not_enrolled``, ``cancelled``, ``waitlisted`` (without naming the person:
        a phone's cookie is no proof of who holds it now).
    """
    row = db.session.execute(
        _REMEMBERED, {"person_id": person_id, "activity_id": session.activity_id, "session_id": session.id}
    ).first()
    enrolment, earlier = (row[0], row[1]) if row is not None else (None, None)
    return Found(check_enrolment(enrolment, None), earlier)


_REMEMBERED = (
    select(Enrolment, Attendance)
    .options(joinedload(Enrolment.person))
    .outerjoin(
        Attendance, and_(Attendance.person_id == Enrolment.person_id, Attendance.session_id == bindparam("session_id"))
    )
    .where(Enrolment.person_id == bindparam("person_id"), Enrolment.activity_id == bindparam("activity_id"))
)


def _identified(activity_id: int, session_id: int | None, phone: str | None, id_number: str | None) -> Found:
    kind, value = typed_identity(phone, id_number)
    rows = db.session.execute(
        _PEOPLE_BY[kind], {"value": value, "activity_id": activity_id, "session_id": session_id}
    ).all()
    if not rows:
        raise refuse("unknown_person")
    registered = [row for row in rows if row[1] is not None and row[1].status is EnrolmentStatus.registered]
    if len(registered) > 1:
        raise refuse("ambiguous")
    person, enrolment, earlier = registered[0] if registered else rows[0]
    if enrolment is not None:
        # The identity map holds objects weakly: keep the person on the enrolment, or it is fetched again.
        set_committed_value(enrolment, "person", person)
    return Found(check_enrolment(enrolment, person), earlier)


NOT_LOOKED_UP = object()  # self_check_in(earlier=...) not given: look for an earlier check-in


def self_check_in(
    session: ActivitySession,
    enrolment: Enrolment,
    *,
    device_id: str | None,
    nonce: str | None = None,
    known_device: bool = True,
    earlier: Attendance | None | object = NOT_LOOKED_UP,
) -> Result:
    """Check in the person who scanned the session's code (the code was checked by the caller).

    :param earlier: the person's check-in to the session as the caller's lookup found it
        (``Found.earlier``); by default it is looked up here. A nonce another person used
        already is then caught by the insert's unique key instead (``nonce_reused`` all the same).
    """
    check_activity(session.activity)
    check_enrolment(enrolment, enrolment.person)
    arrived = now()
    if earlier is NOT_LOOKED_UP:
        answer = _existing(session, enrolment.person, nonce)
    else:
        answer = _answer_to_earlier(earlier, nonce)
    if answer is not None:  # a second tap after the window closed still says "already"
        return answer
    _check_time(session, arrived)
    # Everything above only read; the write lock is taken for the insert alone. Its unique keys
    # decide between racing requests, so nothing read above needs the lock.
    start_writing()
    return _record(
        session,
        enrolment,
        Method.self_scan,
        arrived,
        device_id=device_id,
        nonce=nonce,
        checked=True,
        known_device=known_device,
    )


# -- 2. an organiser scans the participant's personal QR --------------------------------------------


def scanned_time(scanned_at: str | None) -> datetime:
    """When an (possibly offline) scan happened, as naive UTC; the server's time when not given.

    :raises ValidationError: not an ISO 8601 time. :raises Refused: ``too_old``.
    """
    current = now()
    if not scanned_at:
        return current
    try:
        moment = datetime.fromisoformat(str(scanned_at).replace("Z", "+00:00"))
    except ValueError:
        message = _l("Thời điểm quét không hợp lệ (cần ISO 8601).")
        raise ValidationError("invalid_scanned_at", message, {"scanned_at": message}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)  # a scanner that forgot the offset is in Vietnam
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment < codes.offline_cutoff(current):
        raise refuse("too_old")
    return min(moment, current)  # a scanner's clock running ahead does not move arrivals forward


def scan_personal(
    session: ActivitySession,
    payload: str,
    user,
    *,
    nonce: str | None = None,
    scanned_at: str | None = None,
    device_id: str | None = None,
) -> Result:
    """Check in the person whose invitation-letter QR an organiser scanned."""
    check_activity(session.activity)
    arrived = scanned_time(scanned_at)
    enrolment = registration.find_by_qr(payload)
    if enrolment is None:
        raise refuse("invalid")
    if enrolment.activity_id != session.activity_id:
        raise refuse("wrong_session", enrolment.person)
    check_enrolment(enrolment, enrolment.person)
    earlier = _existing(session, enrolment.person, nonce)
    if earlier is not None:
        return earlier
    _check_time(session, arrived)
    return _record(session, enrolment, Method.personal_qr, arrived, user=user, device_id=device_id, nonce=nonce)


# -- 3. by hand, with a reason ---------------------------------------------------------------------


def mark(
    session: ActivitySession,
    person: Person | None,
    user,
    reason: str | None,
    *,
    paper: bool = False,
    arrived: datetime | None = None,
) -> Result:
    """An organiser marks a registered person present (from the paper sheet, or when scanning failed)."""
    reason = registration.reason_text(reason)
    check_activity(session.activity)
    if person is None:
        raise ValidationError("unknown_person", _l("Chọn một người trong danh sách."))
    enrolment = check_enrolment(enrolment_of(session.activity_id, person.id), person)
    method = Method.paper if paper else Method.manual
    if arrived is None:
        # At the desk during the window it is now; from a paper sheet or afterwards, the
        # sheet says only that they came, so they count from the start (not late).
        during = window(session).opens <= local(now()) <= window(session).closes
        arrived = now() if during and not paper else _utc(session.starts_at)
    return _record(session, enrolment, method, arrived, user=user, reason=reason)


def _utc(wall_clock: datetime) -> datetime:
    return wall_clock.replace(tzinfo=VIETNAM).astimezone(UTC).replace(tzinfo=None)


def remove(attendance: Attendance, user, reason: str | None) -> None:
    """Correct a mistaken check-in: the row goes, the audit log keeps what it was and why."""
    reason = registration.reason_text(reason)
    if attendance.session.activity.status is ActivityStatus.settled:
        raise refuse("frozen")
    before = {
        "session_id": attendance.session_id,
        "person_id": attendance.person_id,
        "method": attendance.method.value,
        "checked_in_at": attendance.checked_in_at.isoformat(),
    }
    # Every field goes to nothing: the entry reads as the row's removal, with its reason.
    audit.record(
        "attendance.remove", attendance, before=before, after={**dict.fromkeys(before), "reason": reason}, actor=user
    )
    db.session.delete(attendance)
    db.session.flush()


# -- refusals are kept apart from the refused transaction -------------------------------------------


def log_refusal(
    error: Refused,
    session: ActivitySession | None,
    method: str,
    *,
    user=None,
    device_id=None,
    ip=None,
    detail: str | None = None,
) -> None:
    """Record a refused attempt and commit it (call after the refused transaction was rolled back)."""
    db.session.rollback()
    if has_request_context():
        g.sqlite_begin = "BEGIN IMMEDIATE"
    refusal = Refusal(
        session_id=getattr(session, "id", None),
        person_id=getattr(error.person, "id", None),
        code=error.code,
        method=method,
        device_id=device_id,
        ip=ip,
        user_id=getattr(user, "id", None),
        detail=(detail or "")[:200] or None,
    )
    db.session.add(refusal)
    db.session.flush()
    # The audit trail has every refusal too, so one search shows them beside the check-ins.
    audit.record(
        audit.REFUSAL_ACTION,
        refusal,
        after={"code": error.code, "method": method, "session_id": refusal.session_id, "person_id": refusal.person_id},
        actor=user,
    )
    db.session.commit()


# -- figures ---------------------------------------------------------------------------------------


@dataclass
class Counts:
    present: int
    enrolled: int
    women_present: int
    late: int

    def as_dict(self) -> dict:
        return {
            "present": self.present,
            "enrolled": self.enrolled,
            "women_present": self.women_present,
            "late": self.late,
        }


def counts(session: ActivitySession) -> Counts:
    present, women, late = db.session.execute(
        select(
            func.count(Attendance.id),
            func.count(Attendance.id).filter(Person.gender == Gender.female),
            func.count(Attendance.id).filter(Attendance.late.is_(True)),
        )
        .join(Person, Person.id == Attendance.person_id)
        .where(Attendance.session_id == session.id)
    ).one()
    enrolled = db.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.activity_id == session.activity_id, Enrolment.status == EnrolmentStatus.registered
        )
    )
    return Counts(present, enrolled, women, late)


# -- walk-ins: known people not on the list ask at the door; the organiser decides ------------------


def request_walk_in(session: ActivitySession, person: Person, ip: str | None):
    """A pending request to join (and be counted at) this session; one per person and activity."""
    from app.registration.models import RegistrationRequest, RequestStatus

    pending = db.session.scalar(
        select(RegistrationRequest).where(
            RegistrationRequest.activity_id == session.activity_id,
            RegistrationRequest.matched_person_id == person.id,
            RegistrationRequest.status == RequestStatus.pending,
        )
    )
    if pending is not None:
        return pending
    request = RegistrationRequest(
        activity_id=session.activity_id,
        data={"full_name": person.full_name, "phone": person.phone, "unit_id": person.unit_id, "walk_in": True},
        matched_person_id=person.id,
        ip=ip,
        walk_in_session_id=session.id,
        walk_in_at=now(),
    )
    db.session.add(request)
    db.session.flush()
    audit.record("attendance.walk_in_request", request, after={"session_id": session.id, "person_id": person.id})
    return request


def admit_walk_in(request, enrolment: Enrolment, user) -> Result | None:
    """Count an approved walk-in as present at the session they came to (if they got a seat)."""
    session = db.session.get(ActivitySession, request.walk_in_session_id) if request.walk_in_session_id else None
    if session is None or enrolment.status is not EnrolmentStatus.registered:
        return None
    return _record(
        session,
        enrolment,
        Method.walk_in,
        request.walk_in_at or now(),
        user=user,
        reason=str(_l("Người đến trực tiếp, được duyệt")),
    )


# -- a merged duplicate's attendance is the kept record's ------------------------------------------


def _move_attendance(keep: Person, removed: Person) -> None:
    """Merging records of one person moves their attendance too, so reports count them once.
    Present at the same session under both records: the kept record's row stays."""
    for row in db.session.scalars(select(Attendance).where(Attendance.person_id == removed.id)).all():
        before = {"person_id": removed.id, "session_id": row.session_id}
        if db.session.scalar(_BY_PERSON, {"session_id": row.session_id, "person_id": keep.id}) is not None:
            audit.record("attendance.remove", row, before=before, after={"person_id": None, "reason": "merge"})
            db.session.delete(row)
            continue
        # The enrolment follows the person (registration's merge hook runs first and moves it).
        enrolment = enrolment_of(row.session.activity_id, keep.id)
        row.person_id = keep.id
        row.enrolment_id = enrolment.id if enrolment is not None else row.enrolment_id
        audit.record("attendance.merge", row, before=before, after={"person_id": keep.id, "session_id": row.session_id})
    db.session.flush()


people_services.MERGE_HOOKS.append(_move_attendance)
