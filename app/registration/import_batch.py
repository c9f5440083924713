"""The whole-file path of the spreadsheet import: decide every row in memory, then write in bulk.

Row by row, an import of 10.000 people spent about eleven statements and a savepoint on each
line. Here the registry and the activity's enrolments are read once, in a few set queries, and
each row is decided against that picture in file order — which also sees what the rows before
it created, as the row-by-row path did through the database. Nothing is written until every
row is decided and none failed; then people, enrolments and audit rows go in with one
statement per table.

The rules mirror ``people.services`` (look-alikes, ID uniqueness) and ``registration.services``
(``enrol``: checks, quotas, waiting list), with the same error codes and messages;
``tests/registration/test_import_batch.py`` holds this path to the row-by-row one.
"""

from dataclasses import dataclass

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert, select

from app.audit import services as audit
from app.audit.models import AuditEntry
from app.core.i18n import lazy_gettext as _l
from app.core.text import fold, name_sort_key
from app.errors import ConflictError, ValidationError
from app.extensions import db
from app.geo.models import AdminUnit
from app.geo.services import descendant_unit_ids
from app.people import services as people
from app.people.models import Person
from app.permissions import can, scope_unit_ids
from app.planning.models import Activity
from app.registration import services as registration
from app.registration.models import Enrolment, EnrolmentStatus, Quota, new_qr_token

E = EnrolmentStatus
CHUNK = 500  # values per IN (...): well under SQLite's and PostgreSQL's parameter limits
LOOK_ALIKE_LIMIT = 20  # people.look_alikes reads at most this many


# -- people -------------------------------------------------------------------------------------


@dataclass(eq=False)
class PlannedPerson:
    """A person a row will create: the cleaned data, and the id once written.

    It answers the attributes the matching rules read from a ``Person``, so a later row of the
    same file can match it (or collide with its ID number) exactly as it would a saved record.
    """

    data: dict
    id: int | None = None
    merged_into_id = None

    def __getattr__(self, name):
        try:
            return self.__dict__["data"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def search_name(self) -> str:
        return fold(self.data["full_name"])

    @property
    def year_of_birth(self) -> int | None:
        return self.data["birth_date"].year if self.data["birth_date"] else self.data["birth_year"]

    @property
    def unit(self) -> AdminUnit:
        return db.session.get(AdminUnit, self.data["unit_id"])


def _chunks(values) -> list:
    values = sorted(values)
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


class Registry:
    """The people a file can meet: registered ones (read once) and the file's own new ones."""

    def __init__(self, rows: list[dict]):
        numbers = {row["id_number"] for row in rows if row["id_number"]}
        names = {fold(row["full_name"]) for row in rows}
        # Holders of the file's ID numbers as they were before the import, merged records included
        # (the row-by-row path fetched them the same way, once, before its first row).
        self.holders: dict[str, Person] = {}
        for chunk in _chunks(numbers):
            self.holders.update(
                {p.id_number: p for p in db.session.scalars(select(Person).where(Person.id_number.in_(chunk)))}
            )
        # Every look-alike shares the name, so reading the file's names is enough to find them all.
        self.by_name: dict[str, list] = {}
        for chunk in _chunks(names):
            query = select(Person).where(Person.search_name.in_(chunk), Person.merged_into_id.is_(None))
            for person in db.session.scalars(query.order_by(Person.id)):
                self.by_name.setdefault(person.search_name, []).append(person)
        self.created: list[PlannedPerson] = []
        self._created_ids: dict[str, PlannedPerson] = {}
        self._related: dict[int, set[int]] = {}

    def holder(self, id_number: str) -> Person | None:
        return self.holders.get(id_number)

    def look_alikes(self, data: dict) -> list:
        """What ``people.look_alikes`` would return, read from memory."""
        birth_date, birth_year, phone = data["birth_date"], data["birth_year"], data.get("phone")
        related = self._related_units(data["unit_id"])
        found = []
        for person in self.by_name.get(fold(data["full_name"]), ()):
            if birth_date:
                same_birth = person.birth_date == birth_date or (
                    person.birth_date is None and person.birth_year == birth_date.year
                )
            else:
                same_birth = person.birth_year is not None and person.birth_year == birth_year
            if (same_birth and person.unit_id in related) or (phone and person.phone == phone):
                found.append(person)
        return found[:LOOK_ALIKE_LIMIT]

    def _related_units(self, unit_id: int) -> set[int]:
        if unit_id not in self._related:
            self._related[unit_id] = people.related_unit_ids(unit_id)
        return self._related[unit_id]

    def new_person(self, data: dict, user) -> PlannedPerson:
        """The person ``people.save_person`` would create; nothing is kept until ``add``.

        :raises ValidationError: ``duplicate_id_number`` — an earlier row created someone with this ID.
        """
        number = data["id_number"]
        holder = (self._created_ids.get(number) or self.holders.get(number)) if number else None
        if holder is not None:
            if can("people.view", holder, user):
                message = _l("Số định danh này đã được đăng ký cho %(name)s.", name=holder.full_name)
            else:
                message = _l("Số định danh này đã được đăng ký cho một người thuộc đơn vị khác.")
            raise ValidationError("duplicate_id_number", message, {"id_number": message})
        return PlannedPerson(data)

    def add(self, person: PlannedPerson) -> None:
        """Keep a person whose row succeeded: later rows see it, as they would a saved record."""
        self.created.append(person)
        self.by_name.setdefault(person.search_name, []).append(person)
        if person.id_number:
            self._created_ids[person.id_number] = person


# -- seats --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Slot:
    """An enrolment of the activity: one already there, or one the import makes or reuses."""

    id: int | None
    person_key: object  # a person id, or the PlannedPerson itself until it has one
    status: EnrolmentStatus
    position: int | None
    unit_id: int
    category_id: int | None
    person: object = None  # set when the import takes this slot


@dataclass(eq=False)
class QuotaCount:
    """A quota with the seats it already holds (registered or waiting), counted as
    ``registration._quota_filled`` counts them: a category's quota counts that category; a unit's
    general quota counts its people of every other category (``others``: the unit's category quotas).
    """

    quota: Quota
    units: set[int]
    others: set[int]
    filled: int = 0

    def counts(self, slot: Slot) -> bool:
        if slot.unit_id not in self.units:
            return False
        if self.quota.category_id is not None:
            return slot.category_id == self.quota.category_id
        return slot.category_id is None or slot.category_id not in self.others

    @property
    def specificity(self) -> tuple:
        """Lower is more specific: a category's quota before a general one, a commune before its district."""
        return (self.quota.category_id is None, len(self.units), self.quota.id)


class Seats:
    """The activity's seats and waiting list as ``registration.enrol`` sees them, row after row."""

    def __init__(self, activity: Activity, user):
        self.activity = activity
        rows = db.session.execute(
            select(
                Enrolment.id,
                Enrolment.person_id,
                Enrolment.status,
                Enrolment.position,
                Enrolment.unit_id,
                Enrolment.category_id,
            )
            .where(Enrolment.activity_id == activity.id)
            .order_by(Enrolment.position, Enrolment.id)  # the order fill_free_seats promotes in
        )
        self.slots = [Slot(*row) for row in rows]
        self.by_person = {slot.person_key: slot for slot in self.slots}
        self.planned: list[Slot] = []  # what the import takes, in file order
        self.registered = sum(1 for s in self.slots if s.status is E.registered)
        self.waitlisted = sum(1 for s in self.slots if s.status is E.waitlisted)
        self.last_position = self._highest_position()
        self.allowed = scope_unit_ids(user)
        self.quotas = self._quotas() if self.allowed is not None else []  # organisers are not held to quotas

    def _quotas(self) -> list[QuotaCount]:
        query = select(Quota).where(Quota.activity_id == self.activity.id).order_by(Quota.id)
        rows = db.session.scalars(query).all()
        quotas = [
            QuotaCount(
                quota,
                descendant_unit_ids(quota.unit_id),
                {q.category_id for q in rows if q.unit_id == quota.unit_id and q.category_id is not None},
            )
            for quota in rows
        ]
        for count in quotas:
            count.filled = sum(1 for s in self.slots if s.status in registration.ACTIVE and count.counts(s))
        return quotas

    def _highest_position(self) -> int:
        return max((s.position for s in self.slots if s.position is not None), default=0)

    def enrol(self, person, user) -> EnrolmentStatus:
        """Decide the person's place as ``registration.enrol`` would, and keep it in the plan.

        :raises ConflictError: ``not_open``, ``already_enrolled``, ``no_quota``, ``quota_full``.
        :raises ValidationError: ``unknown_person``. Nothing changes when an error is raised.
        """
        if self.activity.status not in registration.OPEN_FOR_ENROLMENT:
            raise ConflictError("not_open", _l("Chỉ hoạt động đã phê duyệt hoặc đang nhận đăng ký mới nhận người."))
        if person is None or person.merged_into_id or not can("people.view", person, user):
            raise ValidationError(
                "unknown_person",
                _l("Chọn một người trong danh sách."),
                {"person_id": _l("Chọn một người trong danh sách.")},
            )
        key = person if isinstance(person, PlannedPerson) else person.id
        existing = self.by_person.get(key)
        if existing is not None and existing.status in registration.ACTIVE:
            raise ConflictError(
                "already_enrolled",
                _l("%(name)s đã có tên trong hoạt động này (%(s)s).", name=person.full_name, s=existing.status.label),
            )
        quota = self._quota_for(person)
        if quota is not None and quota.filled >= quota.quota.seats:
            seats = quota.quota.seats
            raise ConflictError("quota_full", _l("Đơn vị đã dùng hết %(n)s chỉ tiêu được phân bổ.", n=seats))
        self._fill_free_seats()
        full = self.registered >= self.activity.capacity or self.waitlisted > 0
        slot = existing or Slot(None, key, E.cancelled, None, person.unit_id, person.category_id)
        slot.status = E.waitlisted if full else E.registered
        slot.position = self.last_position + 1 if full else None
        slot.unit_id, slot.category_id, slot.person = person.unit_id, person.category_id, person
        self._take(slot, reused=existing is not None)
        return slot.status

    def _quota_for(self, person) -> QuotaCount | None:
        """As ``registration._quota_for``: the most specific quota covering the person within the user's unit."""
        if not self.quotas:
            return None
        covering = [
            count
            for count in self.quotas
            if person.unit_id in count.units
            and count.quota.unit_id in self.allowed
            and count.quota.category_id in (None, person.category_id)
        ]
        if covering:
            return min(covering, key=lambda count: count.specificity)
        raise ConflictError("no_quota", _l("Đơn vị của bạn chưa được phân bổ chỉ tiêu cho người này ở hoạt động này."))

    def _fill_free_seats(self) -> None:
        """Nobody overtakes the waiting list: free seats go first to those waiting, in their order."""
        free = self.activity.capacity - self.registered
        if free <= 0 or self.waitlisted == 0:
            return
        for slot in [s for s in self.slots if s.status is E.waitlisted][:free]:
            slot.status = E.registered
            self.registered, self.waitlisted = self.registered + 1, self.waitlisted - 1

    def _take(self, slot: Slot, *, reused: bool) -> None:
        self.planned.append(slot)
        if reused:
            # Its old position may have been the highest one, and it gives it up (or takes a new one).
            self.last_position = self._highest_position()
        else:
            self.slots.append(slot)
            self.by_person[slot.person_key] = slot
            self.last_position = max(self.last_position, slot.position or 0)
        if slot.status is E.registered:
            self.registered += 1
        else:
            self.waitlisted += 1
        for count in self.quotas:
            if count.counts(slot):
                count.filled += 1


# -- writing ------------------------------------------------------------------------------------


def write(activity: Activity, user, registry: Registry, seats: Seats) -> None:
    """Write what the rows decided, all of it or (on any database error) none of it.

    Order as in ``registration.enrol``: the waiting list's due promotions come before the first
    new seat is counted, so they are made (by the service itself) before the enrolments go in.
    """
    creator_id, origin = getattr(user, "id", None), _origin()
    with db.session.begin_nested():
        _insert_people(registry.created, creator_id)
        trail = [
            _entry(origin, "person.create", "people", p.id, audit.snapshot(p, people.FIELDS)) for p in registry.created
        ]
        if seats.planned:
            registration.fill_free_seats(activity)
        _write_enrolments(activity, seats.planned, creator_id)
        trail += [
            _entry(
                origin,
                "enrolment.create",
                "enrolments",
                slot.id,
                {"person_id": slot.person.id, "status": slot.status.value, "activity_id": activity.id},
            )
            for slot in seats.planned
        ]
        if trail:
            db.session.execute(insert(AuditEntry), trail)


def _insert_people(created: list[PlannedPerson], creator_id: int | None) -> None:
    if not created:
        return
    # A bulk insert skips Person's @validates: derive the name keys the way it does.
    values = [
        {
            **person.data,
            "search_name": fold(person.data["full_name"]),
            "sort_key": name_sort_key(person.data["full_name"]),
            "created_by_id": creator_id,
        }
        for person in created
    ]
    ids = db.session.execute(insert(Person).returning(Person.id, sort_by_parameter_order=True), values).scalars()
    for person, person_id in zip(created, ids, strict=True):
        person.id = person_id


def _write_enrolments(activity: Activity, slots: list[Slot], creator_id: int | None) -> None:
    """Insert the new enrolments and take the cancelled ones again."""
    new, reused = [s for s in slots if s.id is None], [s for s in slots if s.id is not None]
    if new:
        values = [
            {
                "activity_id": activity.id,
                "person_id": slot.person.id,
                "status": slot.status,
                "position": slot.position,
                "unit_id": slot.unit_id,
                "category_id": slot.category_id,
                "source": "import",
                "created_by_id": creator_id,
                "qr_token": new_qr_token(),
            }
            for slot in new
        ]
        stmt = insert(Enrolment).returning(Enrolment.id, sort_by_parameter_order=True)
        for slot, enrolment_id in zip(new, db.session.execute(stmt, values).scalars(), strict=True):
            slot.id = enrolment_id
    for slot in reused:  # a cancelled enrolment taken again keeps its row, with a new QR (as in enrol)
        enrolment = db.session.get(Enrolment, slot.id)
        enrolment.qr_token = new_qr_token()
        enrolment.status, enrolment.position = slot.status, slot.position
        enrolment.unit_id, enrolment.category_id = slot.unit_id, slot.category_id
        enrolment.source, enrolment.created_by_id = "import", creator_id
        enrolment.cancelled_at = enrolment.cancel_reason = None
    db.session.flush()


def _entry(origin: tuple, action: str, object_type: str, object_id: int, after: dict) -> dict:
    """The row ``audit.record`` would add for a creation (no ``before``), as plain values."""
    actor_id, ip = origin
    return {
        "actor_id": actor_id,
        "ip": ip,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": None,
        "after": after,
    }


def _origin() -> tuple[int | None, str | None]:
    """Who and from where, found as ``audit.record`` finds them: the request's signed-in user."""
    if not has_request_context():
        return None, None
    actor = current_user if current_user and current_user.is_authenticated else None
    return getattr(actor, "id", None), request.remote_addr
