"""Enrolling people: capacity and the waiting list, quotas per unit, cancelling and transferring.

Concurrency: every change to an activity's enrolments first locks the activity — a row lock on
PostgreSQL (SELECT ... FOR UPDATE); on SQLite, write requests start with BEGIN IMMEDIATE (see
app/__init__.py), which serialises them. Counting seats and taking one then happen in one
protected step, so two people can never take the last seat.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app.audit import services as audit
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.core.time import utcnow
from app.errors import ConflictError, ValidationError
from app.extensions import db
from app.geo.services import descendant_unit_ids
from app.people import services as people_services
from app.people.models import Gender, Person
from app.permissions import can, scope_unit_ids
from app.planning.models import Activity, ActivityStatus
from app.registration.models import Enrolment, EnrolmentStatus, Quota, new_qr_token

E = EnrolmentStatus
OPEN_FOR_ENROLMENT = (ActivityStatus.approved, ActivityStatus.open)
ACTIVE = (E.registered, E.waitlisted)


def _lock(activity: Activity) -> None:
    """Lock the activity for the rest of this transaction (once: a lock taken is held until the end)."""
    transaction = db.session().get_transaction()
    held = db.session().info.setdefault("activity_locks", {})
    if held.get(activity.id) is transaction:
        return
    db.session.execute(select(Activity.id).where(Activity.id == activity.id).with_for_update())
    held[activity.id] = transaction


def _count(activity: Activity, status: EnrolmentStatus, unit_ids=None, category_id=None) -> int:
    query = select(func.count(Enrolment.id)).where(Enrolment.activity_id == activity.id, Enrolment.status == status)
    if unit_ids is not None:
        query = query.where(Enrolment.unit_id.in_(unit_ids))
    if category_id is not None:
        query = query.where(Enrolment.category_id == category_id)
    return db.session.scalar(query)


def _next_position(activity: Activity) -> int:
    last = db.session.scalar(select(func.max(Enrolment.position)).where(Enrolment.activity_id == activity.id))
    return (last or 0) + 1


def _quota_for(activity: Activity, person: Person, user) -> Quota | None:
    """The quota a district officer fills when enrolling this person (None: no quotas apply).

    :raises ConflictError: the activity has quotas but none covers the person within the officer's unit.
    """
    allowed = scope_unit_ids(user)
    if allowed is None:  # organisers allocate quotas; they are not held to them
        return None
    quotas = db.session.scalars(select(Quota).where(Quota.activity_id == activity.id)).all()
    if not quotas:
        return None
    covering = []
    for quota in quotas:
        units = descendant_unit_ids(quota.unit_id)
        covers = person.unit_id in units and quota.unit_id in allowed
        if covers and (quota.category_id is None or quota.category_id == person.category_id):
            covering.append((quota.category_id is None, len(units), quota.id, quota))
    if covering:
        # The most specific allocation applies: the person's category over "any category", then
        # the smallest unit (a commune's seats before its district's).
        return min(covering, key=lambda c: c[:3])[3]
    raise ConflictError("no_quota", _l("Đơn vị của bạn chưa được phân bổ chỉ tiêu cho người này ở hoạt động này."))


def _quota_filled(activity: Activity, quota: Quota) -> int:
    """Seats used under a quota. Quotas of one unit split its people: a category's quota counts
    that category, the unit's general quota everyone else (so quotas add up to the capacity)."""
    query = select(func.count(Enrolment.id)).where(
        Enrolment.activity_id == activity.id,
        Enrolment.status.in_(ACTIVE),
        Enrolment.unit_id.in_(descendant_unit_ids(quota.unit_id)),
    )
    if quota.category_id is not None:
        return db.session.scalar(query.where(Enrolment.category_id == quota.category_id))
    specific = select(Quota.category_id).where(
        Quota.activity_id == activity.id, Quota.unit_id == quota.unit_id, Quota.category_id.is_not(None)
    )
    return db.session.scalar(query.where(or_(Enrolment.category_id.is_(None), Enrolment.category_id.not_in(specific))))


def enrol(activity: Activity, person: Person, user, source: str = "organiser") -> Enrolment:
    """Give a person a seat, or a place on the waiting list when the activity is full.

    :raises ConflictError: ``not_open`` (not approved or open), ``already_enrolled``, ``no_quota``,
        ``quota_full``. :raises ValidationError: the person is outside the user's reach.
    """
    if activity.status not in OPEN_FOR_ENROLMENT:
        raise ConflictError("not_open", _l("Chỉ hoạt động đã phê duyệt hoặc đang nhận đăng ký mới nhận người."))
    if person is None or person.merged_into_id or not can("people.view", person, user):
        raise ValidationError(
            "unknown_person",
            _l("Chọn một người trong danh sách."),
            {"person_id": _l("Chọn một người trong danh sách.")},
        )
    _lock(activity)
    existing = db.session.scalar(
        select(Enrolment).where(Enrolment.activity_id == activity.id, Enrolment.person_id == person.id)
    )
    if existing is not None and existing.status in ACTIVE:
        raise ConflictError(
            "already_enrolled",
            _l("%(name)s đã có tên trong hoạt động này (%(s)s).", name=person.full_name, s=existing.status.label),
        )
    quota = _quota_for(activity, person, user)
    if quota is not None and _quota_filled(activity, quota) >= quota.seats:
        raise ConflictError("quota_full", _l("Đơn vị đã dùng hết %(n)s chỉ tiêu được phân bổ.", n=quota.seats))
    # Nobody overtakes the waiting list: a seat freed by a larger capacity goes to those waiting first.
    fill_free_seats(activity)
    full = _count(activity, E.registered) >= activity.capacity or _count(activity, E.waitlisted) > 0
    enrolment = existing or Enrolment(activity_id=activity.id, person_id=person.id)
    if existing is not None:  # back after a cancel: letters printed before no longer open the door
        enrolment.qr_token = new_qr_token()
    enrolment.status = E.waitlisted if full else E.registered
    enrolment.position = _next_position(activity) if full else None
    enrolment.unit_id, enrolment.category_id = person.unit_id, person.category_id
    enrolment.source, enrolment.created_by_id = source, getattr(user, "id", None)
    enrolment.cancelled_at = enrolment.cancel_reason = None
    db.session.add(enrolment)
    db.session.flush()
    audit.record(
        "enrolment.create",
        enrolment,
        after={"person_id": person.id, "status": enrolment.status.value, "activity_id": activity.id},
    )
    return enrolment


def reason_text(reason: str | None) -> str:
    """A required reason, NFC and bounded."""
    return _reason(reason)


def _reason(reason: str | None) -> str:
    reason = nfc(reason) or ""
    if not reason:
        raise ValidationError("reason_required", _l("Nhập lý do."), {"reason": _l("Nhập lý do.")})
    if len(reason) > 1000:
        message = _l("Tối đa %(n)s ký tự (đang có %(m)s).", n=1000, m=len(reason))
        raise ValidationError("invalid_reason", message, {"reason": message})
    return reason


def _check_changeable(enrolment: Enrolment) -> None:
    if enrolment.status not in ACTIVE:
        raise ConflictError("not_active", _l("Đăng ký này đã bị hủy."))
    if enrolment.activity.is_frozen:
        raise ConflictError("activity_frozen", _l("Hoạt động đã quyết toán hoặc đã hủy: không sửa được nữa."))


def cancel(enrolment: Enrolment, user, reason: str | None, *, promote: bool = True) -> Enrolment | None:
    """Cancel an enrolment; a freed seat goes to the first person on the waiting list.

    :return: the enrolment promoted from the waiting list, if one was.
    :raises ConflictError: ``not_active`` — already cancelled (also when a concurrent request did it first).
    """
    reason = _reason(reason)
    _lock(enrolment.activity)
    db.session.refresh(enrolment)  # what another request may have done before we held the lock
    _check_changeable(enrolment)
    freed_seat = enrolment.status is E.registered
    enrolment.status, enrolment.cancelled_at, enrolment.cancel_reason = E.cancelled, utcnow(), reason
    audit.record(
        "enrolment.cancel",
        enrolment,
        before={"status": "registered" if freed_seat else "waitlisted"},
        after={"status": "cancelled", "reason": reason},
    )
    db.session.flush()
    promoted = fill_free_seats(enrolment.activity) if freed_seat and promote else []
    return promoted[0] if promoted else None


def fill_free_seats(activity: Activity) -> list[Enrolment]:
    """Give every free seat to the waiting list, first come first served (the caller holds the lock)."""
    free = activity.capacity - _count(activity, E.registered)
    if free <= 0:
        return []
    waiting = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.activity_id == activity.id, Enrolment.status == E.waitlisted)
        .order_by(Enrolment.position, Enrolment.id)
        .limit(free)
    ).all()
    for enrolment in waiting:
        enrolment.status = E.registered
        audit.record("enrolment.promote", enrolment, before={"status": "waitlisted"}, after={"status": "registered"})
    db.session.flush()
    return list(waiting)


def transfer(enrolment: Enrolment, new_person: Person | None, user, reason: str | None) -> Enrolment:
    """Send someone else in the person's place (cử người đi thay): same seat or waiting-list place.

    :raises ValidationError: no reason, or a person outside the user's reach.
    :raises ConflictError: the new person is already enrolled, or the enrolment is not active.
    """
    reason = _reason(reason)
    _check_changeable(enrolment)
    if new_person is None or new_person.merged_into_id or not can("people.view", new_person, user):
        raise ValidationError(
            "unknown_person",
            _l("Chọn một người trong danh sách."),
            {"person_id": _l("Chọn một người trong danh sách.")},
        )
    if enrolment.activity.status not in OPEN_FOR_ENROLMENT + (ActivityStatus.in_progress,):
        raise ConflictError("not_open", _l("Chỉ hoạt động đã phê duyệt hoặc đang nhận đăng ký mới nhận người."))
    _lock(enrolment.activity)
    quota = _quota_for(enrolment.activity, new_person, user)
    if (
        quota is not None
        and _quota_filled(enrolment.activity, quota) >= quota.seats
        and enrolment.unit_id not in descendant_unit_ids(quota.unit_id)
    ):
        raise ConflictError("quota_full", _l("Đơn vị đã dùng hết %(n)s chỉ tiêu được phân bổ.", n=quota.seats))
    taken = db.session.scalar(
        select(Enrolment).where(Enrolment.activity_id == enrolment.activity_id, Enrolment.person_id == new_person.id)
    )
    if taken is not None and taken.status in ACTIVE:
        raise ConflictError(
            "already_enrolled",
            _l("%(name)s đã có tên trong hoạt động này (%(s)s).", name=new_person.full_name, s=taken.status.label),
        )
    status, position = enrolment.status, enrolment.position
    cancel(enrolment, user, reason, promote=False)
    replacement = taken or Enrolment(activity_id=enrolment.activity_id, person_id=new_person.id)
    replacement.status, replacement.position, replacement.replaces_id = status, position, enrolment.id
    replacement.unit_id, replacement.category_id = new_person.unit_id, new_person.category_id
    replacement.source, replacement.created_by_id = "transfer", getattr(user, "id", None)
    replacement.cancelled_at = replacement.cancel_reason = None
    db.session.add(replacement)
    db.session.flush()
    audit.record(
        "enrolment.transfer",
        replacement,
        after={"person_id": new_person.id, "replaces": enrolment.id, "reason": reason},
    )
    return replacement


def visible_enrolments(activity: Activity, user, statuses=ACTIVE):
    """A select() of the activity's enrolments whose people the user may see, in list order."""
    query = (
        select(Enrolment)
        .join(Person, Person.id == Enrolment.person_id)
        .where(Enrolment.activity_id == activity.id, Enrolment.status.in_(statuses))
    )
    allowed = scope_unit_ids(user)
    if allowed is not None:
        query = query.where(Person.unit_id.in_(allowed))
    return query.order_by(Enrolment.status, Enrolment.position, Person.sort_key)


def waiting_rank(enrolment: Enrolment) -> int | None:
    """Place on the waiting list counted over everyone waiting (1 = next to get a seat)."""
    if enrolment.status is not E.waitlisted:
        return None
    return db.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.activity_id == enrolment.activity_id,
            Enrolment.status == E.waitlisted,
            Enrolment.position <= enrolment.position,
        )
    )


def find_by_qr(payload: str) -> Enrolment | None:
    """The enrolment a personal QR code stands for (None for anything else)."""
    prefix, _, token = (payload or "").strip().partition(":")
    if prefix != "DA7E1" or not token:
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.qr_token == token))


# -- quotas ------------------------------------------------------------------------------------


def set_quota(activity: Activity, unit_id: int | None, category_id: int | None, seats: int | None) -> Quota | None:
    """Allocate seats to a unit (0 removes the allocation).

    :raises ValidationError: unknown unit, negative seats, or allocations above the activity's capacity.
    """
    from app.geo.models import AdminUnit

    errors = {}
    if unit_id is None or db.session.get(AdminUnit, unit_id) is None:
        errors["unit_id"] = _l("Đơn vị hành chính không tồn tại.")
    if seats is None or seats < 0:
        errors["seats"] = _l("Số chỉ tiêu phải từ 0 trở lên.")
    from app.reference.models import ParticipantCategory

    if category_id is not None and db.session.get(ParticipantCategory, category_id) is None:
        errors["category_id"] = _l("Đối tượng không có trong danh mục.")
    if errors:
        raise ValidationError("invalid_quota", _l("Chỉ tiêu không hợp lệ."), errors)
    check_quota = select(Quota).where(
        Quota.activity_id == activity.id,
        Quota.unit_id == unit_id,
        Quota.category_id.is_(None) if category_id is None else Quota.category_id == category_id,
    )
    quota = db.session.scalar(check_quota)
    others = db.session.scalar(
        select(func.coalesce(func.sum(Quota.seats), 0)).where(
            Quota.activity_id == activity.id, Quota.id != (quota.id if quota else -1)
        )
    )
    if others + seats > activity.capacity:
        message = _l(
            "Tổng chỉ tiêu (%(t)s) vượt số người dự kiến của hoạt động (%(c)s).", t=others + seats, c=activity.capacity
        )
        raise ValidationError("quota_over_capacity", message, {"seats": message})
    before = {"seats": quota.seats} if quota else None
    if seats == 0:
        if quota is not None:
            db.session.delete(quota)
        audit.record("quota.remove", activity, before=before, after={"unit_id": unit_id})
        db.session.flush()
        return None
    quota = quota or Quota(activity_id=activity.id, unit_id=unit_id, category_id=category_id, seats=seats)
    quota.seats = seats
    db.session.add(quota)
    db.session.flush()
    audit.record("quota.set", quota, before=before, after={"seats": seats, "unit_id": unit_id})
    return quota


@dataclass
class QuotaLine:
    quota: Quota
    filled: int
    women: int


@dataclass
class Summary:
    registered: int
    waitlisted: int
    women: int
    target_women_percent: int | None
    quotas: list[QuotaLine]

    @property
    def women_share(self) -> float | None:
        return self.women / self.registered if self.registered else None


def summary(activity: Activity, user) -> Summary:
    """Seats taken, the waiting list, women enrolled against the plan's target, quotas filled."""
    registered = db.session.scalars(
        select(Enrolment)
        .join(Person, Person.id == Enrolment.person_id)
        .where(Enrolment.activity_id == activity.id, Enrolment.status == E.registered)
    ).all()
    women = sum(1 for e in registered if e.person.gender is Gender.female)
    allowed = scope_unit_ids(user)
    lines = []
    for quota in db.session.scalars(select(Quota).where(Quota.activity_id == activity.id)):
        if allowed is not None and quota.unit_id not in allowed:
            continue
        units = descendant_unit_ids(quota.unit_id)
        members = [
            e
            for e in registered
            if e.unit_id in units and (quota.category_id is None or e.category_id == quota.category_id)
        ]
        lines.append(
            QuotaLine(
                quota, _quota_filled(activity, quota), sum(1 for e in members if e.person.gender is Gender.female)
            )
        )
    target = activity.plan.target_women_percent if activity.plan else None
    return Summary(len(registered), _count(activity, E.waitlisted), women, target, lines)


# -- people merged as duplicates ---------------------------------------------------------------


def _move_enrolments(keep: Person, removed: Person) -> None:
    """When two records are one person, the enrolments of the removed one move to the kept one.
    Where both were enrolled in the same activity, the kept record takes the better place
    (a seat over the waiting list over cancelled) and a seat given up goes to the waiting list."""
    rank = {E.registered: 0, E.waitlisted: 1, E.cancelled: 2}
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.person_id == removed.id)):
        clash = db.session.scalar(
            select(Enrolment).where(Enrolment.activity_id == enrolment.activity_id, Enrolment.person_id == keep.id)
        )
        if clash is None:
            enrolment.person_id = keep.id
            continue
        _lock(enrolment.activity)
        if rank[enrolment.status] < rank[clash.status]:
            clash.status, clash.position = enrolment.status, enrolment.position
            clash.cancelled_at = clash.cancel_reason = None
        if enrolment.status in ACTIVE:
            enrolment.status, enrolment.cancelled_at = E.cancelled, utcnow()
            enrolment.cancel_reason = "Gộp hồ sơ trùng"
            audit.record("enrolment.cancel", enrolment, after={"status": "cancelled", "reason": "merge"})
        db.session.flush()
        fill_free_seats(enrolment.activity)
    db.session.flush()


people_services.MERGE_HOOKS.append(_move_enrolments)


# -- invitation letters --------------------------------------------------------------------------


def letters_for(activity: Activity, user) -> list:
    """The invitation letter of every registered person the user may see, ready to render."""
    from datetime import date

    from app.core.formats import date_words_vn
    from app.materials.services import qr_png
    from app.reference.services import issuing_organisation, signer_on
    from app.registration.letters import Letter

    issuing = issuing_organisation(activity)
    signer = signer_on(date.today(), activity.plan.signatory if activity.plan else None, issuing)
    first_session = activity.sessions[0] if activity.sessions else None
    starts = (
        f"{first_session.starts_at:%H} giờ {first_session.starts_at:%M}, ngày {activity.start_date:%d/%m/%Y}"
        if first_session
        else f"ngày {activity.start_date:%d/%m/%Y}"
    )
    when = starts if activity.end_date == activity.start_date else f"từ {starts} đến ngày {activity.end_date:%d/%m/%Y}"
    venue = (
        f"{activity.venue.name}{', ' + activity.venue.address if activity.venue.address else ''}"
        if activity.venue
        else activity.venue_text or ""
    )
    enrolments = db.session.scalars(visible_enrolments(activity, user, (E.registered,))).all()
    return [
        Letter(
            parent_body=issuing.parent.name if issuing and issuing.parent else "",
            issuing_body=issuing.name if issuing else "",
            number_line=f"Số:       /GTT-{issuing.short_name if issuing and issuing.short_name else ''}",
            date_line=date_words_vn(issuing.place_name if issuing and issuing.place_name else "", date.today()),
            salutation="Bà" if e.person.gender is Gender.female else "Ông",
            full_name=e.person.full_name,
            position=e.person.position or "",
            unit=e.person.workplace or e.person.unit.full_name,
            activity_title=activity.title,
            when=when,
            venue=venue,
            authority_line=signer.authority_line or "" if signer else "",
            signer_title=signer.title if signer else "",
            signer_name=signer.full_name if signer else "",
            qr_png=qr_png(e.qr_payload),
            qr_caption="Mã điểm danh cá nhân — không chia sẻ cho người khác.",
        )
        for e in enrolments
    ]


# -- lists -----------------------------------------------------------------------------------------

EXPORT_HEADER = [
    "STT",
    "Họ và tên",
    "Giới tính",
    "Năm sinh",
    "Dân tộc",
    "Số định danh",
    "Điện thoại",
    "Chức vụ",
    "Nơi công tác",
    "Đơn vị hành chính",
    "Trạng thái",
    "Thứ tự chờ",
]


def export_rows(activity: Activity, user) -> list[list]:
    """The enrolment list as spreadsheet rows (Vietnamese headers first), within the user's reach."""
    from app.core.exports import spreadsheet_safe

    enrolments = db.session.scalars(visible_enrolments(activity, user)).all()
    rows = [EXPORT_HEADER]
    for index, e in enumerate(enrolments, start=1):
        p = e.person
        rows.append(
            [
                spreadsheet_safe(v)
                for v in (
                    index,
                    p.full_name,
                    str(p.gender.label),
                    p.year_of_birth,
                    p.ethnicity.name if p.ethnicity else "",
                    p.masked_id_number or "",
                    p.phone or "",
                    p.position or "",
                    p.workplace or "",
                    p.unit.full_name,
                    str(e.status.label),
                    e.position if e.status is E.waitlisted else None,
                )
            ]
        )
    return rows


def xlsx(rows: list[list], title: str) -> bytes:
    import openpyxl

    from app.core.exports import workbook_bytes

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append(row)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 20
    return workbook_bytes(workbook)
