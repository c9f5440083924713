"""Factories: the smallest valid objects, with overrides for what a test is about."""

import itertools
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.services import issue_token
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.people.models import Gender, Person
from app.reference.models import Ethnicity, ParticipantCategory

_counter = itertools.count(1)
PASSWORD = "Mật-khẩu-thử-2023"
LOC_BINH = "188"  # Huyện Lộc Bình
CAO_LOC = "183"  # Huyện Cao Lộc
GIVEN_NAMES = ["Bình", "Cường", "Dũng", "Giang", "Khánh", "Lâm", "Nam", "Phong", "Quân", "Sơn", "Tâm", "Vinh"]


def unit(code: str, on: date = date(2023, 6, 1)) -> AdminUnit:
    """The unit with this code in force on ``on`` (2023 by default: the seed plan's year)."""
    from app.geo.services import find_by_code

    found = find_by_code(code, on)
    assert found is not None, f"no unit {code}"
    return found


def commune_of(district_code: str) -> AdminUnit:
    district = unit(district_code)
    return db.session.scalars(
        select(AdminUnit).where(AdminUnit.parent_id == district.id).order_by(AdminUnit.code)
    ).first()


def ethnicity(code: str = "07") -> Ethnicity:
    return db.session.scalar(select(Ethnicity).where(Ethnicity.code == code))


def category(code: str = "village_cadre") -> ParticipantCategory:
    return db.session.scalar(select(ParticipantCategory).where(ParticipantCategory.code == code))


def make_user(role: Role = Role.organiser, unit_code: str | None = None, password: str = PASSWORD, **fields) -> User:
    n = next(_counter)
    if role is Role.district and unit_code is None:
        unit_code = LOC_BINH
    user = User(
        username=fields.pop("username", f"user{n}-{role.value}"),
        full_name=fields.pop("full_name", f"Người dùng {n}"),
        role=role,
        unit_id=unit(unit_code).id if unit_code else None,
        **fields,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_person(**fields) -> Person:
    n = next(_counter)
    defaults = dict(
        full_name=f"Hoàng Văn {GIVEN_NAMES[n % len(GIVEN_NAMES)]}",
        gender=Gender.male,
        birth_date=date(1985, 3, 4),
        birth_year=1985,
        level=UnitLevel.village,
        ethnicity=ethnicity(),
        category=category(),
    )
    if "unit" not in fields and "unit_id" not in fields:
        fields["unit"] = commune_of(fields.pop("district_code", LOC_BINH))
    defaults.update(fields)
    person = Person(**defaults)
    db.session.add(person)
    db.session.flush()
    return person


def bearer_token(app, user, lifetime=timedelta(hours=1)) -> str:
    raw, _ = issue_token(user, lifetime)
    db.session.flush()
    return raw


# -- planning and budget ----------------------------------------------------------------------


def budget_line(code: str = "DA7.TDA1.01", year: int = 2023):
    from app.budget.models import BudgetLine

    return db.session.scalar(select(BudgetLine).where(BudgetLine.year == year, BudgetLine.code == code))


def funding_source(code: str = "NSTW-2023", year: int = 2023):
    from app.budget.models import FundingSource

    return db.session.scalar(select(FundingSource).where(FundingSource.year == year, FundingSource.code == code))


def make_plan(**fields):
    from app.planning.models import Plan

    plan = Plan(
        **{
            "year": 2023,
            "title": "Kế hoạch thực hiện Dự án 7 năm 2023",
            "target_classes": 4,
            "target_trainees": 300,
            "target_study_tours": 1,
            "target_women_percent": 40,
            **fields,
        }
    )
    db.session.add(plan)
    db.session.flush()
    return plan


def make_venue(capacity: int | None = 100, **fields):
    from app.planning.models import Venue

    venue = Venue(**{"name": f"Hội trường số {next(_counter)}", "capacity": capacity, **fields})
    db.session.add(venue)
    db.session.flush()
    return venue


def make_trainer(**fields):
    from app.planning.models import Trainer

    trainer = Trainer(**{"full_name": f"Giảng viên {GIVEN_NAMES[next(_counter) % len(GIVEN_NAMES)]}", **fields})
    db.session.add(trainer)
    db.session.flush()
    return trainer


def make_activity(**fields):
    from app.planning.models import Activity, ActivityKind, ActivityStatus

    start = fields.pop("start_date", date(2023, 5, 10))
    defaults = {
        "kind": ActivityKind.training,
        "title": f"Lớp tập huấn số {next(_counter)}",
        "start_date": start,
        "end_date": start + timedelta(days=1),
        "capacity": 60,
        "budget_line": budget_line(),
        "funding_source": funding_source(),
        "status": ActivityStatus.draft,
        "estimated_cost": 50_000_000,
    }
    defaults.update(fields)
    activity = Activity(**defaults)
    db.session.add(activity)
    db.session.flush()
    return activity


def make_session(activity, day: int = 0, afternoon: bool = False, **fields):
    from datetime import datetime, time

    from app.planning.models import ActivitySession

    when = activity.start_date + timedelta(days=day)
    begin, end = (time(13, 30), time(17, 0)) if afternoon else (time(7, 30), time(11, 30))
    session = ActivitySession(
        activity=activity,
        title=fields.pop("title", f"Buổi {when:%d/%m}"),
        starts_at=datetime.combine(when, begin),
        ends_at=datetime.combine(when, end),
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    return session


def present(session, *people) -> None:
    """Record people present at a session (a row as any check-in method writes it), for tests
    about what attendance leads to rather than how it is taken."""
    from app.attendance.models import Attendance, Method

    for person in people:
        db.session.add(
            Attendance(
                session_id=session.id,
                person_id=person.id,
                checked_in_at=session.starts_at,
                method=Method.manual,
                flags=[],
            )
        )
    db.session.flush()
