"""Operations commands: users create, reference load, demo."""

import stat
from collections import Counter

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.extensions import db
from app.geo.models import UnitLevel
from app.people.models import Gender, Person


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_users_create_reads_the_password_from_stdin(app):
    result = run(app, "users", "create", "chuyenvien", "--role", "organiser", input="một mật khẩu dài\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
    assert user.role is Role.organiser and user.check_password("một mật khẩu dài")


def test_a_district_officer_needs_an_existing_unit_code(app):
    missing = run(app, "users", "create", "huyen1", "--role", "district", input="một mật khẩu dài\n")
    unknown = run(app, "users", "create", "huyen1", "--role", "district", "--unit", "99999", input="một mật khẩu dài\n")
    ok = run(app, "users", "create", "huyen1", "--role", "district", "--unit", "188", input="một mật khẩu dài\n")
    assert missing.exit_code != 0 and "--unit" in missing.output
    assert unknown.exit_code != 0 and "99999" in unknown.output
    assert ok.exit_code == 0
    assert db.session.scalar(select(User).where(User.username == "huyen1")).unit.name == "Huyện Lộc Bình"


def test_a_weak_password_creates_nothing(app):
    result = run(app, "users", "create", "yeu", "--role", "admin", input="123\n")
    assert result.exit_code != 0 and "ít nhất 10 ký tự" in result.output
    assert db.session.scalar(select(User).where(User.username == "yeu")) is None


def test_reference_load_is_idempotent(app):
    result = run(app, "reference", "load")
    assert result.exit_code == 0
    assert "units: +0" in result.output


def test_demo_loads_a_plausible_registry_once(app):
    first = run(app, "demo")
    assert first.exit_code == 0, first.output
    people = db.session.scalars(select(Person)).all()
    second = run(app, "demo")

    assert second.exit_code == 0
    assert db.session.scalar(select(func.count(Person.id))) == len(people) == 300
    assert first.output.splitlines()[1:] == second.output.splitlines()[1:]  # same logins, not new ones
    districts = {
        p.unit.id if p.unit.level is UnitLevel.district else p.unit.parent_id
        for p in people
        if p.unit.level is not UnitLevel.province
    }
    assert len(districts) == 11
    women = sum(p.gender is Gender.female for p in people)
    assert 0.35 < women / len(people) < 0.6
    ethnic = Counter(p.ethnicity.name for p in people)
    assert {"Nùng", "Tày", "Kinh", "Dao"} <= set(ethnic)
    assert ethnic.most_common(1)[0][0] in ("Nùng", "Tày")
    assert {p.level for p in people} == set(UnitLevel)
    assert len({p.category_id for p in people}) >= 9
    assert any(p.full_name == "Nguyễn Thị Hường" for p in people)
    for role in Role:
        assert f"demo-{role.value}" in first.output
    from app.costs.execution import execution

    money = execution(2023)  # the courses held have been paid for, advances settled, ready to settle
    held = [c for c in money.activities if c.trainees]
    assert held and all(c.spent > 0 for c in held) and money.advances_open == 0


def test_demo_logins_file_is_private(app):
    run(app, "demo")
    from pathlib import Path

    logins = Path(app.instance_path) / "demo_logins.txt"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600


def test_demo_is_refused_in_production(app):
    app.config["APP_ENV"] = "production"
    try:
        result = run(app, "demo")
    finally:
        app.config["APP_ENV"] = "development"
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count(Person.id))) == 0


def test_demo_leaves_a_real_database_alone(app):
    from tests.factories import make_user

    make_user(Role.admin, username="quan-tri-that")
    result = run(app, "demo")
    assert result.exit_code == 0
    assert "không nạp dữ liệu mẫu" in result.output
    assert db.session.scalar(select(func.count(Person.id))) == 0
    assert db.session.scalar(select(User).where(User.username == "demo-admin")) is None
