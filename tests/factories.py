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
