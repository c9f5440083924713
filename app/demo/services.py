"""Build the demo database: reference data, one user per role and ~300 grassroots cadres.

Generated with a seeded ``random.Random`` so every demo database holds the same people;
the demo passwords are random per instance and kept in ``instance/demo_logins.txt``.
"""

import os
import random
import secrets
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.demo.planning import load_demo_planning
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.geo.services import find_by_code, valid_on
from app.people.models import Gender, Person
from app.reference.models import Ethnicity, ParticipantCategory
from app.reference.services import load_reference_data

PEOPLE_COUNT = 300
DEMO_DAY = date(2023, 6, 1)  # the seed plan's year: people point at the 2023 units
DEMO_USERS = [
    ("demo-admin", Role.admin, "Quản trị viên (dùng thử)", None),
    ("demo-organiser", Role.organiser, "Hoàng Thị Mai (Phòng BTXH-TE)", None),
    ("demo-finance", Role.finance, "Lương Văn Tùng (Phòng KH-TC)", None),
    ("demo-district", Role.district, "Vi Thị Hạnh (Huyện Lộc Bình)", "188"),
    ("demo-leader", Role.leader, "Lãnh đạo Sở (dùng thử)", None),
]

FAMILY = [
    "Hoàng",
    "Nông",
    "Lương",
    "Vi",
    "Lăng",
    "Lộc",
    "Hà",
    "Chu",
    "Triệu",
    "Lý",
    "Nguyễn",
    "Trần",
    "Lê",
    "Đinh",
    "Mã",
    "Hứa",
    "Dương",
    "Bế",
    "La",
    "Tô",
    "Ninh",
    "Lành",
    "Hoàng",
    "Nông",
    "Nguyễn",
]
FEMALE_MIDDLE = ["Thị", "Thị", "Thị Thu", "Thị Thanh", "Thị Kim", "Thị Hồng", "Thị Minh"]
FEMALE_GIVEN = [
    "Hường",
    "Lan",
    "Hoa",
    "Mai",
    "Hương",
    "Thúy",
    "Huyền",
    "Nga",
    "Thảo",
    "Yến",
    "Hằng",
    "Linh",
    "Loan",
    "Dung",
    "Nhung",
    "Phượng",
    "Vân",
    "Ánh",
    "Diệp",
    "Quỳnh",
    "Xuân",
    "Ngọc",
    "Liên",
    "Hạnh",
]
MALE_MIDDLE = ["Văn", "Văn", "Văn", "Đình", "Minh", "Quang", "Đức", "Xuân"]
MALE_GIVEN = [
    "Hùng",
    "Dũng",
    "Tuấn",
    "Minh",
    "Cường",
    "Thắng",
    "Hải",
    "Sơn",
    "Quang",
    "Đức",
    "Long",
    "Bình",
    "Thành",
    "Tiến",
    "Khánh",
    "Phúc",
    "Ánh",
    "Chiến",
    "Định",
    "Lâm",
    "Nghĩa",
    "Toàn",
    "Vượng",
    "Ân",
]
VILLAGES = [
    "Nà Lầu",
    "Khòn Pát",
    "Bản Chu",
    "Pác Cáp",
    "Nà Pàn",
    "Khuổi Mỏ",
    "Còn Đăng",
    "Bó Chuối",
    "Lùng Vài",
    "Nà Thâm",
    "Khau Khem",
    "Pò Mã",
    "Nà Sla",
    "Bản Quấn",
    "Khưa Ngòa",
]
ETHNIC_WEIGHTS = {"07": 42, "02": 35, "01": 16, "09": 4, "04": 1, "15": 1, "08": 1}  # Nùng, Tày, Kinh, Dao, ...
LEVEL_WEIGHTS = {UnitLevel.village: 55, UnitLevel.commune: 30, UnitLevel.district: 10, UnitLevel.province: 5}
CATEGORIES_BY_LEVEL = {
    UnitLevel.village: [
        "village_cadre",
        "community_rep",
        "group_leader",
        "mass_org_cadre",
        "poverty_collaborator",
        "prestigious_person",
    ],
    UnitLevel.commune: ["commune_officer", "commune_officer", "poverty_collaborator"],
    UnitLevel.district: ["district_officer"],
    UnitLevel.province: ["province_officer"],
}
POSITIONS = {
    "village_cadre": ["Trưởng thôn", "Bí thư chi bộ thôn", "Phó trưởng thôn"],
    "community_rep": ["Đại diện hộ dân", "Trưởng ban công tác Mặt trận thôn"],
    "group_leader": ["Tổ trưởng tổ tiết kiệm vay vốn", "Nhóm trưởng nhóm sinh kế"],
    "mass_org_cadre": [
        "Chi hội trưởng Phụ nữ",
        "Chi hội trưởng Nông dân",
        "Chi hội trưởng Cựu chiến binh",
        "Bí thư chi đoàn",
    ],
    "poverty_collaborator": ["Cộng tác viên giảm nghèo"],
    "prestigious_person": ["Người có uy tín"],
    "commune_officer": ["Công chức Văn hóa - Xã hội", "Phó Chủ tịch UBND xã", "Cán bộ Lao động - TB&XH xã"],
    "district_officer": ["Chuyên viên Phòng Lao động - TB&XH", "Phó Trưởng phòng Lao động - TB&XH"],
    "province_officer": ["Chuyên viên Phòng Bảo trợ xã hội - Trẻ em"],
}
MOBILE_PREFIXES = [
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "086",
    "096",
    "097",
    "098",
    "081",
    "082",
    "083",
    "084",
    "085",
    "088",
    "091",
    "094",
    "070",
    "076",
    "077",
    "078",
    "079",
    "089",
    "090",
    "093",
]


def holds_real_data() -> bool:
    """Accounts other than the demo ones mean a real database: the demo must not touch it."""
    demo_names = [username for username, *_ in DEMO_USERS]
    return db.session.scalar(select(func.count(User.id)).where(User.username.not_in(demo_names))) > 0


def load_demo(instance_path: str) -> list[tuple[str, str, str]] | None:
    """Load everything the demo needs; return (username, role, password) for each demo user,
    or None (and change nothing) when the database holds real accounts."""
    if holds_real_data():
        return None
    load_reference_data()
    logins = _ensure_demo_users(Path(instance_path))
    if db.session.scalar(select(func.count(Person.id))) == 0:
        _create_people(random.Random(2023))
    db.session.flush()
    load_demo_planning()
    _framework_periods()
    return logins


def _framework_periods() -> None:
    """The 2023 reporting periods of the results framework, with an illustrative register of cadres
    (the share's denominator) and one figure entered by hand; skipped when the year already exists."""
    from app.reports import framework
    from app.reports.models import Indicator, PeriodKind, ReportingPeriod

    if db.session.scalar(select(ReportingPeriod.id).where(ReportingPeriod.year == 2023)):
        return
    year = framework.save_period(None, {"kind": PeriodKind.annual, "year": 2023}, None)
    framework.save_period(None, {"kind": PeriodKind.six_month, "year": 2023}, None)
    by_code = {i.code: i for i in db.session.scalars(select(Indicator))}
    if "TDA1.01" in by_code:
        framework.save_value(by_code["TDA1.01"], year, {"denominator": 400, "note": "Số liệu minh họa"}, None)
    if "TDA2.02" in by_code:
        framework.save_value(
            by_code["TDA2.02"], year, {"actual": Decimal(24), "target": Decimal(30), "source": "Số liệu minh họa"}, None
        )


def _ensure_demo_users(instance_path: Path) -> list[tuple[str, str, str]]:
    logins_file = instance_path / "demo_logins.txt"
    saved = {}
    if logins_file.exists():
        for line in logins_file.read_text().splitlines():
            username, _, password = line.partition(" ")
            saved[username] = password
    logins = []
    for username, role, full_name, unit_code in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            password = secrets.token_urlsafe(9)
            unit = find_by_code(unit_code, DEMO_DAY) if unit_code else None
            user = User(username=username, full_name=full_name, role=role, unit_id=unit.id if unit else None)
            user.set_password(password)
            db.session.add(user)
            saved[username] = password
        logins.append((username, role.value, saved.get(username, "(đã đổi / changed)")))
    instance_path.mkdir(parents=True, exist_ok=True)
    fd = os.open(logins_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(f"{u} {p}\n" for u, p in saved.items()))
    return logins


def _create_people(rng: random.Random) -> None:
    province = find_by_code("20")
    districts = db.session.scalars(
        valid_on(select(AdminUnit).where(AdminUnit.level == UnitLevel.district), DEMO_DAY).order_by(AdminUnit.code)
    ).all()
    communes = {
        d.id: db.session.scalars(valid_on(select(AdminUnit).where(AdminUnit.parent_id == d.id), DEMO_DAY)).all()
        for d in districts
    }
    ethnicities = {e.code: e for e in db.session.scalars(select(Ethnicity))}
    categories = {c.code: c for c in db.session.scalars(select(ParticipantCategory))}
    used_phones: set[str] = set()
    used_ids: set[str] = set()

    for index in range(PEOPLE_COUNT):
        district = districts[index % len(districts)]
        level = rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]
        female = rng.random() < 0.46
        if index == 0:  # the person every demo and browser test looks for
            female, level, name = True, UnitLevel.village, "Nguyễn Thị Hường"
        else:
            name = " ".join(
                [
                    rng.choice(FAMILY),
                    rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE),
                    rng.choice(FEMALE_GIVEN if female else MALE_GIVEN),
                ]
            )
        commune = rng.choice(communes[district.id])
        unit = {UnitLevel.province: province, UnitLevel.district: district}.get(level, commune)
        category_code = rng.choice(CATEGORIES_BY_LEVEL[level])
        birth = date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28))
        ethnic_code = rng.choices(list(ETHNIC_WEIGHTS), weights=list(ETHNIC_WEIGHTS.values()))[0]
        person = Person(
            full_name=name,
            gender=Gender.female if female else Gender.male,
            birth_date=birth if rng.random() < 0.8 else None,
            birth_year=birth.year,
            ethnicity=ethnicities[ethnic_code],
            level=level,
            category=categories[category_code],
            position=rng.choice(POSITIONS[category_code]),
            unit=unit,
            workplace=_workplace(rng, level, commune, district),
            id_number=_id_number(rng, birth.year, female, used_ids) if rng.random() < 0.6 else None,
            phone=_phone(rng, used_phones) if rng.random() < 0.85 else None,
        )
        db.session.add(person)


def _workplace(rng, level, commune, district) -> str:
    if level is UnitLevel.village:
        return f"Thôn {rng.choice(VILLAGES)}, {commune.name}"
    if level is UnitLevel.commune:
        return f"UBND {commune.name}"
    if level is UnitLevel.district:
        return f"Phòng Lao động - TB&XH {district.name}"
    return "Sở Lao động - Thương binh và Xã hội tỉnh Lạng Sơn"


def _id_number(rng, year: int, female: bool, used: set[str]) -> str:
    while True:
        digit = (year // 100 - 19) * 2 + (1 if female else 0)
        value = f"020{digit}{year % 100:02d}{rng.randint(0, 999999):06d}"
        if value not in used:
            used.add(value)
            return value


def _phone(rng, used: set[str]) -> str:
    while True:
        value = rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 9999999):07d}"
        if value not in used:
            used.add(value)
            return value
