"""The batch import decides every row exactly as the row-by-row services do, and writes all or nothing."""

import random
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.demo.services import FAMILY, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE
from app.extensions import db
from app.geo.models import AdminUnit
from app.people.models import Person
from app.planning.models import ActivityStatus
from app.registration import imports, services
from app.registration.models import Enrolment
from tests.factories import category, commune_of, make_activity, make_person, make_user, unit
from tests.registration.test_import import MAX, workbook


def row(name, female, birth, code, id_number="", phone="", group="Cán bộ thôn, bản"):
    return [name, "Nữ" if female else "Nam", birth, "Tày", id_number, phone, "Thôn", group, "", "", code]


def new_rows(count: int, codes: list[str], seed: int = 4) -> list[list]:
    """Random people; common names, so some rows of the file look alike among themselves."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        female = rng.random() < 0.5
        name = " ".join(
            [
                rng.choice(FAMILY[:6]),
                rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE),
                rng.choice((FEMALE_GIVEN if female else MALE_GIVEN)[:4]),
            ]
        )
        year = rng.randint(1970, 1975)
        birth = str(year) if index % 3 == 0 else f"{rng.randint(1, 3):02d}/01/{year}"
        id_number = f"020{1 if female else 0}{year % 100:02d}{index + 500000:06d}" if index % 2 else ""
        phone = f"09{index + 40000000:08d}" if index % 5 == 0 else ""
        group = rng.choice(["Cán bộ thôn, bản", "Cán bộ thôn, bản", ""])
        rows.append(row(name, female, birth, rng.choice(codes), id_number, phone, group))
    return rows


def outcomes(report) -> list[tuple]:
    return [
        (r.number, r.full_name, r.person, r.enrolment, [str(e) for e in r.errors], [str(n) for n in r.notes])
        for r in report.rows
    ]


def both_dry_runs(activity, data, user):
    per_row = imports.run_per_row(activity, "ds.xlsx", data, user, commit=False, max_bytes=MAX)
    batch = imports.run(activity, "ds.xlsx", data, user, commit=False, max_bytes=MAX)
    return outcomes(per_row), outcomes(batch)


def person_key(person_id: int) -> tuple:
    p = db.session.get(Person, person_id)
    return (p.search_name, str(p.birth_date), p.birth_year, p.id_number, p.phone, p.unit_id)


def state(activity, since: tuple[int, int], tokens: dict[int, str]) -> dict:
    """What an import left behind, with row ids replaced by who they are (ids differ between runs)."""
    people_since, audit_since = since
    created = db.session.scalars(select(Person).where(Person.id > people_since)).all()
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.activity_id == activity.id)).all()
    by_enrolment = {str(e.id): person_key(e.person_id) for e in enrolments}
    trail = []
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.id > audit_since)):
        after = dict(entry.after or {})
        if "person_id" in after:
            after["person_id"] = person_key(after["person_id"])
        who = person_key(int(entry.object_id)) if entry.object_type == "people" else by_enrolment[entry.object_id]
        trail.append(
            (entry.action, entry.object_type, who, entry.actor_id, entry.ip, entry.before, sorted(after.items()))
        )
    # Sorted by repr: None and text do not compare.
    return {
        "people": sorted(
            (
                (person_key(p.id), p.full_name, p.sort_key, p.gender, p.level, p.category_id, p.created_by_id)
                for p in created
            ),
            key=repr,
        ),
        "enrolments": sorted(
            (
                (
                    person_key(e.person_id),
                    e.status.value,
                    e.position,
                    e.source,
                    e.unit_id,
                    e.category_id,
                    e.created_by_id,
                    e.cancelled_at is None,
                    len(e.qr_token),
                    e.qr_token == tokens.get(e.id),  # kept; a cancelled one taken again gets a new one
                )
                for e in enrolments
            ),
            key=repr,
        ),
        "audit": sorted(trail, key=repr),
    }


def committed_state(run, activity, data, user) -> tuple[list, dict]:
    """Commit with ``run`` inside a savepoint, note what it wrote, then roll it all back."""
    since = (
        db.session.scalar(select(func.max(Person.id))) or 0,
        db.session.scalar(select(func.max(AuditEntry.id))) or 0,
    )
    tokens = dict(db.session.execute(select(Enrolment.id, Enrolment.qr_token)).all())
    savepoint = db.session.begin_nested()
    report = run(activity, "ds.xlsx", data, user, commit=True, max_bytes=MAX)
    assert report.committed, [r.errors for r in report.rows if r.errors]
    written = state(activity, since, tokens)
    savepoint.rollback()
    return outcomes(report), written


def standalone(rows: list[list], activity, user) -> list[list]:
    """The rows that import without an error (random names make some look alike)."""
    dry = imports.run(activity, "ds.xlsx", workbook(rows), user, commit=False, max_bytes=MAX)
    return [r for r, result in zip(rows, dry.rows, strict=True) if not result.errors]


def table_sizes() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count(m.id))) for m in (Person, Enrolment, AuditEntry))


@pytest.fixture
def organiser():
    return make_user(Role.organiser)


@pytest.fixture
def crowded(organiser):
    """An activity with seats taken, one waiting, one cancelled, and room just added."""
    activity = make_activity(status=ActivityStatus.open, capacity=2)
    seated, cancelled, promoted, waiting = (
        make_person(full_name=f"Đinh Văn {given}", id_number=f"02008000000{n}", birth_date=None, birth_year=1980)
        for n, given in enumerate(["Một", "Hai", "Ba", "Bốn"], start=1)
    )
    for person in (seated, cancelled, promoted, waiting):
        services.enrol(activity, person, organiser)
    services.cancel(db.session.scalar(select(Enrolment).where(Enrolment.person_id == cancelled.id)), organiser, "Bận")
    activity.capacity = 120  # the one still waiting is due a seat before anyone new
    db.session.flush()
    return activity, seated, cancelled, waiting


def test_a_mixed_file_has_the_same_outcomes_as_row_by_row(app_ctx, organiser, crowded):
    activity, seated, cancelled, waiting = crowded
    home = commune_of("188")
    codes = [home.code, commune_of("183").code]
    make_person(full_name="Hà Văn Tú", birth_date=date(1980, 1, 2), birth_year=1980, unit=home)
    make_person(full_name="Lý Văn Phú", phone="0912000111", birth_date=None, birth_year=1975, district_code="183")
    for _ in range(2):
        make_person(full_name="Vi Văn Đôi", birth_date=None, birth_year=1970, unit=home)
    make_person(full_name="Lộc Văn Khác", id_number="020070000009", birth_date=None, birth_year=1970, unit=home)
    merged = make_person(full_name="Mã Văn Gộp", id_number="020071000009", birth_date=None, birth_year=1971)
    merged.merged_into_id = seated.id
    db.session.flush()
    rows = new_rows(260, codes)
    special = [
        row("Đinh Văn Một", False, "1980", home.code, "020080000001"),  # seated already, before any new seat
        row("Đinh Văn Bốn", False, "1980", home.code, "020080000004"),  # waiting: still "Danh sách chờ"
        row("Hà Văn Tú", False, "02/01/1980", home.code),  # matched by name, birth and commune
        row("Lý Văn Phú", False, "1990", home.code, phone="0912000111"),  # matched by name and phone
        row("Vi Văn Đôi", False, "1970", home.code),  # two look alike: ambiguous
        row("Lò Văn Lạ", False, "1970", home.code, "020070000009"),  # someone else's ID number
        row("Mã Văn Gộp", False, "1971", home.code, "020071000009"),  # a merged record: not enrollable
        row("Đinh Văn Hai", False, "1980", home.code, "020 080 000 002"),  # cancelled before: takes its row again
        row("Nông Văn Trùng", False, "1985", home.code, "020085111111"),
        row("Nông Văn Trùng", False, "1985", home.code, "020085111111"),  # the same person twice in the file
        row("Nông Văn Khác", False, "1985", home.code, "020085111111"),  # another name, the same ID
        row("Hoàng Thị Lặp", True, "1988", home.code),
        row("Hoàng Thị Lặp", True, "1988", home.code),  # twice, no ID: matched to the first, already in
        row("Đinh Văn Bốn", False, "1980", home.code, "020080000004"),  # promoted by now: "Đã đăng ký"
        row("Sầm Văn Sai", False, "1986", home.code, "020186000001"),  # ID digits disagree: notes only
        ["Sầm Văn Lỗi", "x", "1986", "", "", "", "Thôn", "", "", "", "99999"],  # cells that cannot be read
    ]
    rows = special[:2] + rows[:130] + special[2:] + rows[130:]
    data = workbook(rows)

    per_row, batch = both_dry_runs(activity, data, organiser)
    assert batch == per_row
    kinds = Counter((person, enrolment, bool(errors)) for _, _, person, enrolment, errors, _ in batch)
    assert kinds[("new", "registered", False)] and kinds[("new", "waitlisted", False)]
    assert kinds[("matched", "waitlisted", False)] and kinds[(None, None, True)] >= 9


def test_a_clean_file_writes_the_same_people_seats_and_audit_trail(app_ctx, organiser, crowded):
    activity, seated, cancelled, waiting = crowded
    home = commune_of("188")
    make_person(full_name="Hà Văn Tú", birth_date=date(1980, 1, 2), birth_year=1980, unit=home)
    rows = new_rows(200, [home.code, commune_of("183").code], seed=9)
    rows[50:50] = [
        row("Hà Văn Tú", False, "02/01/1980", home.code),
        row("Đinh Văn Hai", False, "1980", home.code, "020080000002"),
    ]
    rows = standalone(rows, activity, organiser)  # a file with an error would not commit
    data = workbook(rows)

    per_row = committed_state(imports.run_per_row, activity, data, organiser)
    batch = committed_state(imports.run, activity, data, organiser)
    assert batch == per_row
    written = batch[1]
    assert Counter(action for action, *_ in written["audit"]) == {
        "person.create": len(written["people"]),
        "enrolment.create": len(rows),
        "enrolment.promote": 1,  # the one waiting, before any new seat
    }
    assert {status for _, status, *_ in written["enrolments"]} == {"registered", "waitlisted"}


def test_quotas_are_filled_in_file_order_as_row_by_row(app_ctx):
    officer = make_user(Role.district, unit_code="188")
    district = unit("188")
    communes = db.session.scalars(
        select(AdminUnit).where(AdminUnit.parent_id == district.id).order_by(AdminUnit.code)
    ).all()
    activity = make_activity(status=ActivityStatus.open, capacity=40)
    # The most specific quota applies: the category's before the commune's general one, a commune's
    # before its district's; and a commune's general quota counts only its other categories.
    services.set_quota(activity, communes[0].id, None, 2)
    services.set_quota(activity, communes[0].id, category("village_cadre").id, 4)
    services.set_quota(activity, communes[1].id, None, 3)
    services.set_quota(activity, district.id, None, 6)
    make_person(full_name="Bế Văn Xa", id_number="020060000001", birth_date=None, birth_year=1960, district_code="183")
    rows = new_rows(60, [c.code for c in communes[:4]], seed=2) + [
        row("Bế Văn Xa", False, "1960", communes[0].code, "020060000001"),  # someone of another district
        row("Bế Văn Gần", False, "1961", commune_of("183").code),  # a unit out of reach
    ]
    per_row, batch = both_dry_runs(activity, workbook(rows), officer)
    assert batch == per_row
    errors = " | ".join(e for *_, errs, _ in batch for e in errs)
    for expected in (
        "Đơn vị đã dùng hết 2 chỉ tiêu",
        "Đơn vị đã dùng hết 4 chỉ tiêu",
        "Đơn vị đã dùng hết 3 chỉ tiêu",
        "Đơn vị đã dùng hết 6 chỉ tiêu",
        "thuộc một người ở đơn vị khác",
        "thuộc đơn vị mình phụ trách",
    ):
        assert expected in errors


def test_a_commit_with_one_bad_row_keeps_nothing(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open, capacity=300)
    code = commune_of("188").code
    rows = standalone(new_rows(300, [code], seed=7), activity, organiser)
    rows.append(row("Lò Văn Sai", False, "31/02/1990", code))
    before = table_sizes()
    report = imports.run(activity, "ds.xlsx", workbook(rows), organiser, commit=True, max_bytes=MAX)
    assert not report.committed and report.errors == 1 and report.rows[-1].errors
    assert report.count(enrolment="registered") == len(rows) - 1
    assert table_sizes() == before


def test_the_dry_run_does_not_lock_the_activity(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open, capacity=5)
    data = workbook([row("Lò Văn Một", False, "1980", commune_of("188").code)])
    imports.run(activity, "ds.xlsx", data, organiser, commit=False, max_bytes=MAX)
    assert activity.id not in db.session().info.get("activity_locks", {})
    imports.run(activity, "ds.xlsx", data, organiser, commit=True, max_bytes=MAX)
    assert activity.id in db.session().info["activity_locks"]
