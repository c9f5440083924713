"""The trained pairs the database keeps: always the (activity, person) pairs the attendance rows
say, placed where the enrolment says, whatever writes the attendance, enrolment or person."""

import threading
from datetime import datetime

import pytest
from sqlalchemy import delete, select, update

from app.attendance import services as attendance
from app.attendance.models import Attendance
from app.auth.models import Role
from app.extensions import db
from app.people.models import Gender, Person
from app.people.services import merge
from app.planning.models import Activity, ActivitySession, ActivityStatus
from app.registration.models import Enrolment
from app.reports import trained
from app.reports.filters import ReportFilter
from app.reports.models import TrainedPair
from tests.factories import (
    LOC_BINH,
    commune_of,
    make_activity,
    make_person,
    make_session,
    make_user,
    present,
    unit,
)
from tests.registration.test_concurrency import _setup, fresh_app  # noqa: F401  (fixture)
from tests.reports.conftest import held

YEAR = ReportFilter(year=2023)


def kept() -> set:
    """The pairs table as (activity, person, unit, gender)."""
    db.session.flush()
    columns = (TrainedPair.activity_id, TrainedPair.person_id, TrainedPair.unit_id, TrainedPair.gender)
    return set(db.session.execute(select(*columns)))


def attended() -> set:
    """What the attendance rows say, worked out here the long way."""
    db.session.flush()
    rows = db.session.execute(
        select(ActivitySession.activity_id, Attendance.person_id)
        .join(ActivitySession, ActivitySession.id == Attendance.session_id)
        .distinct()
    )
    return set(rows)


def test_a_check_in_makes_one_pair_and_the_last_removal_takes_it_away():
    organiser = make_user(Role.organiser)
    hoa = make_person(full_name="Lục Thị Hoa", gender=Gender.female)
    activity = held(organiser, [[hoa], [hoa]], [hoa])
    enrolment_unit = db.session.scalar(select(Enrolment.unit_id).where(Enrolment.person_id == hoa.id))
    assert kept() == {(activity.id, hoa.id, enrolment_unit, Gender.female)}  # two sessions, one pair

    activity.status = ActivityStatus.in_progress
    first, second = db.session.scalars(select(Attendance).where(Attendance.person_id == hoa.id).order_by(Attendance.id))
    attendance.remove(first, organiser, "Điểm danh nhầm buổi")
    assert {pair[:2] for pair in kept()} == {(activity.id, hoa.id)}  # still came to the second session
    attendance.remove(second, organiser, "Điểm danh nhầm người")
    assert kept() == set()
    assert figures(trained.total(YEAR)) == (0, 0, 0)


def figures(row) -> tuple:
    return row.people, row.women, row.person_times


def test_reports_follow_an_edit_of_the_person_or_the_enrolment():
    organiser = make_user(Role.organiser)
    binh = make_person(full_name="Hoàng Văn Bình", gender=Gender.male)
    activity = held(organiser, [[binh]], [binh])
    assert figures(trained.total(YEAR)) == (1, 0, 1)

    binh.gender = Gender.female  # the register had it wrong
    assert figures(trained.total(YEAR)) == (1, 1, 1)

    # The enrolment is corrected to another commune: the pair moves with it ...
    elsewhere = commune_of("181")
    db.session.execute(update(Enrolment).where(Enrolment.person_id == binh.id).values(unit_id=elsewhere.id))
    assert {pair[2] for pair in kept()} == {elsewhere.id}
    # ... and without an enrolment (attendance of old, taken before enrolments) the person's own unit counts.
    db.session.execute(update(Attendance).where(Attendance.person_id == binh.id).values(enrolment_id=None))
    db.session.execute(delete(Enrolment).where(Enrolment.person_id == binh.id))
    assert {pair[2] for pair in kept()} == {binh.unit_id}
    assert {pair[:2] for pair in kept()} == {(activity.id, binh.id)}


def test_a_merge_moves_the_pairs_to_the_kept_record():
    organiser = make_user(Role.admin)
    kept_record = make_person(full_name="Nông Thị Cúc", gender=Gender.female)
    duplicate = make_person(full_name="Nông Thị Cúc", gender=Gender.female, phone=None)
    first = held(organiser, [[kept_record]], [kept_record])
    second = held(organiser, [[duplicate]], [duplicate])
    merge(kept_record.id, [duplicate.id], organiser)
    db.session.expire_all()
    assert kept() and {pair[:2] for pair in kept()} == attended()
    # Whichever record the attendance rows now name, the report counts one woman, twice trained.
    assert figures(trained.total(YEAR))[2] == 2
    assert {first.id, second.id} == {pair[0] for pair in kept()}


def test_plain_sql_writes_are_followed_too():
    """The check-in writes with a plain INSERT ... ON CONFLICT; imports and repairs may use SQL."""
    hoa = make_person(full_name="Lục Thị Hoa", gender=Gender.female)
    dung = make_person(full_name="Vi Văn Dũng", gender=Gender.male, unit=unit(LOC_BINH))
    activity = make_activity(status=ActivityStatus.completed)
    morning, afternoon = make_session(activity), make_session(activity, afternoon=True)
    for session, person in ((morning, hoa), (afternoon, hoa), (morning, dung)):
        db.session.execute(
            Attendance.__table__.insert().values(
                session_id=session.id, person_id=person.id, checked_in_at=session.starts_at, method="manual", flags=[]
            )
        )
    assert {pair[:2] for pair in kept()} == attended() == {(activity.id, hoa.id), (activity.id, dung.id)}
    db.session.execute(update(Attendance).where(Attendance.person_id == dung.id).values(session_id=afternoon.id))
    db.session.execute(delete(Attendance).where(Attendance.session_id == morning.id))
    assert {pair[:2] for pair in kept()} == attended() == {(activity.id, hoa.id), (activity.id, dung.id)}
    db.session.execute(delete(Attendance).where(Attendance.person_id == hoa.id))
    assert {pair[:2] for pair in kept()} == attended() == {(activity.id, dung.id)}


@pytest.mark.no_transaction
def test_a_removal_racing_a_check_in_of_the_same_person_keeps_their_pair(fresh_app):  # noqa: F811
    """Hoa's check-in to the afternoon is not committed yet when an organiser removes her morning
    check-in: once both commit, she still attended the activity, and her pair must be there."""
    activity_id, person_ids, _ = _setup(fresh_app)
    with fresh_app.test_request_context():
        morning = make_session(db.session.get(Activity, activity_id))
        afternoon = make_session(db.session.get(Activity, activity_id), afternoon=True)
        present(morning, db.session.get(Person, person_ids[0]))
        db.session.commit()
        person_id, morning_id, afternoon_id = person_ids[0], morning.id, afternoon.id
        engine = db.engine
    attendances = Attendance.__table__
    with engine.connect() as check_in:
        check_in.begin()
        check_in.execute(
            attendances.insert().values(
                session_id=afternoon_id,
                person_id=person_id,
                checked_in_at=datetime(2023, 5, 10, 13, 30),
                method="manual",
                flags=[],
            )
        )
        removal_done = threading.Event()

        def remove_morning():
            with engine.begin() as removal:
                removal.execute(delete(attendances).where(attendances.c.session_id == morning_id))
            removal_done.set()

        remover = threading.Thread(target=remove_morning)
        remover.start()
        removal_done.wait(1)  # it waits for the check-in (PostgreSQL: the pair's lock; SQLite: the writer's)
        check_in.commit()
        remover.join(10)
    assert removal_done.is_set()
    with engine.connect() as connection:
        pairs = connection.execute(select(TrainedPair.activity_id, TrainedPair.person_id)).all()
    assert pairs == [(activity_id, person_id)]
