"""Attendance lists and figures: per session, per activity (rates across sessions), by group.

Every list is limited to the people the user may see (a district officer: their own people),
by the same rule as the enrolment lists.
"""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.attendance.models import Attendance
from app.core.i18n import lazy_gettext as _l
from app.extensions import db
from app.people.models import Gender, Person
from app.permissions import scope_unit_ids
from app.planning.models import Activity, ActivitySession
from app.registration.models import Enrolment, EnrolmentStatus


@dataclass
class SessionRow:
    person: Person
    enrolment: Enrolment | None
    attendance: Attendance | None


def _scoped(query, user):
    allowed = scope_unit_ids(user)
    return query if allowed is None else query.where(Person.unit_id.in_(allowed))


def session_rows(session: ActivitySession, user) -> list[SessionRow]:
    """Everyone registered for the session's activity, and anyone recorded present, in list order."""
    attendances = {
        a.person_id: a
        for a in db.session.scalars(
            _scoped(
                select(Attendance)
                .join(Person, Person.id == Attendance.person_id)
                .options(contains_eager(Attendance.person))  # the join has the person: no query each
                .where(Attendance.session_id == session.id),
                user,
            )
        )
    }
    enrolments = db.session.scalars(
        _scoped(
            select(Enrolment)
            .join(Person, Person.id == Enrolment.person_id)
            .options(contains_eager(Enrolment.person))
            .where(
                Enrolment.activity_id == session.activity_id,
                (Enrolment.status == EnrolmentStatus.registered) | Enrolment.person_id.in_(list(attendances) or [0]),
            ),
            user,
        )
    ).all()
    rows = [SessionRow(e.person, e, attendances.pop(e.person_id, None)) for e in enrolments]
    rows += [SessionRow(a.person, None, a) for a in attendances.values()]
    return sorted(rows, key=lambda row: row.person.sort_key or "")


@dataclass
class PersonRate:
    person: Person
    enrolment: Enrolment
    attended: list[bool]  # one per session, in session order

    @property
    def count(self) -> int:
        return sum(self.attended)

    @property
    def rate(self) -> float | None:
        return self.count / len(self.attended) if self.attended else None


def activity_rates(activity: Activity, user=None) -> tuple[list[ActivitySession], list[PersonRate]]:
    """Each registered person's attendance across the activity's sessions (certificates and
    allowances read the rate). ``user`` None means no scope limit (internal use)."""
    sessions = sorted(activity.sessions, key=lambda s: s.starts_at)
    query = (
        select(Enrolment)
        .join(Person, Person.id == Enrolment.person_id)
        .where(Enrolment.activity_id == activity.id, Enrolment.status == EnrolmentStatus.registered)
        .options(contains_eager(Enrolment.person))  # the join already has the person: no query each
    )
    enrolments = db.session.scalars(_scoped(query, user) if user is not None else query).all()
    present = set(
        db.session.execute(
            select(Attendance.person_id, Attendance.session_id).where(
                Attendance.session_id.in_([s.id for s in sessions] or [0])
            )
        ).all()
    )
    rows = [PersonRate(e.person, e, [(e.person_id, s.id) in present for s in sessions]) for e in enrolments]
    return sessions, sorted(rows, key=lambda row: row.person.sort_key or "")


GROUPS = {
    "gender": _l("Giới tính"),
    "level": _l("Cấp"),
    "unit": _l("Đơn vị"),
}


def breakdown(people: list[Person]) -> dict[str, list[tuple[str, int]]]:
    """Counts of the given (distinct) people by gender, level and unit; each adds up to the total."""
    unknown = str(_l("Chưa rõ"))
    by_gender = Counter(str(p.gender.label) if p.gender else unknown for p in people)
    by_level = Counter(str(p.level.label) if p.level else unknown for p in people)
    by_unit = Counter(p.unit.full_name if p.unit else unknown for p in people)
    return {
        "gender": sorted(by_gender.items(), key=lambda kv: -kv[1]),
        "level": sorted(by_level.items(), key=lambda kv: -kv[1]),
        "unit": sorted(by_unit.items(), key=lambda kv: (-kv[1], kv[0])),
    }


def women(people: list[Person]) -> int:
    return sum(1 for p in people if p.gender is Gender.female)


@dataclass
class Trained:
    person_times: int  # (person, activity) pairs with at least one session attended
    women: int

    @property
    def women_share(self) -> float | None:
        return self.women / self.person_times if self.person_times else None


def trained(activity_ids: list[int]) -> Trained:
    """Who was trained in these activities: each person counted once per activity attended."""
    if not activity_ids:
        return Trained(0, 0)
    pairs = db.session.execute(
        select(ActivitySession.activity_id, Attendance.person_id, Person.gender)
        .join(ActivitySession, ActivitySession.id == Attendance.session_id)
        .join(Person, Person.id == Attendance.person_id)
        .where(ActivitySession.activity_id.in_(activity_ids))
        .distinct()
    ).all()
    return Trained(len(pairs), sum(1 for _, _, gender in pairs if gender is Gender.female))
