"""The all-years groups the database keeps: always the trained pairs grouped per person and group,
whatever moves a pair between groups, and read by the all-years tables with the same figures as
the pairs give."""

import threading
from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import delete, select, text, update

from app.attendance import services as attendance
from app.attendance.models import Attendance, Method
from app.auth.models import Role
from app.budget.models import BudgetLine, LineKind
from app.extensions import db
from app.geo.models import UnitLevel
from app.people.models import Gender, Person
from app.people.services import merge
from app.planning.models import Activity, ActivityKind, ActivityStatus, activity_topics
from app.registration.models import Enrolment
from app.reports import trained
from app.reports.filters import ReportFilter
from app.reports.models import TrainedGroup, TrainedPair
from tests.factories import (
    CAO_LOC,
    LOC_BINH,
    budget_line,
    ethnicity,
    make_activity,
    make_person,
    make_session,
    make_user,
    present,
    unit,
)
from tests.registration.test_concurrency import _setup, fresh_app  # noqa: F401  (fixture)
from tests.reports.conftest import topic

ALL_YEARS = ReportFilter()
# The same activities through the pairs: a period that holds every year reads no kept group.
EVERY_DAY = ReportFilter(period="custom", date_from=date(2000, 1, 1), date_to=date(2100, 12, 31))


def kept_groups() -> set:
    db.session.flush()
    columns = (TrainedGroup.dim, TrainedGroup.grp, TrainedGroup.person_id, TrainedGroup.times)
    return set(db.session.execute(select(*columns, TrainedGroup.female, TrainedGroup.minority)))


def _district_of(place) -> int:
    if place.level == UnitLevel.province:
        return place.id
    while place.parent is not None and place.parent.level != UnitLevel.province:
        place = place.parent
    return place.id


def _subproject_of(line) -> str:
    while line is not None and line.kind != LineKind.subproject:
        line = line.parent
    return line.code if line is not None else ""


def worked_out() -> set:
    """The groups the long way, in Python, from the pairs and what their activities and units say."""
    db.session.flush()
    db.session.expire_all()
    times = defaultdict(int)
    flags = {}
    for pair in db.session.scalars(select(TrainedPair)):
        activity = db.session.get(Activity, pair.activity_id)
        if activity.status == ActivityStatus.cancelled:
            continue
        from app.geo.models import AdminUnit
        from app.reference.models import Ethnicity

        place = db.session.get(AdminUnit, pair.unit_id)
        line = activity.budget_line
        keys = {
            "total": [""],
            "unit": [str(pair.unit_id)],
            "category": [str(pair.category_id) if pair.category_id else ""],
            "district": [str(_district_of(place))],
            "kind": [activity.kind.value],
            "topic": [str(t.id) for t in activity.topics] or [""],
            "budget_line": [line.code if line else ""],
            "subproject": [_subproject_of(line)],
        }
        people_ethnicity = db.session.get(Ethnicity, pair.ethnicity_id) if pair.ethnicity_id else None
        flags[pair.person_id] = (
            int(pair.gender == Gender.female),
            int(bool(people_ethnicity and people_ethnicity.is_minority)),
        )
        for dim, groups in keys.items():
            for group in groups:
                times[(dim, group, pair.person_id)] += 1
    return {(*key, count, *flags[key[2]]) for key, count in times.items()}


def test_the_kept_groups_follow_every_change_that_moves_a_pair(year_2023, organiser):
    y = year_2023
    assert kept_groups() == worked_out() != set()  # check-ins, and a workshop cancelled after them

    def changed(change):
        change()
        assert kept_groups() == worked_out(), change.__doc__

    def remove_an_attendance():
        """the study tour's only check-in taken back"""
        y.study_tour.status = ActivityStatus.in_progress
        record = db.session.scalar(select(Attendance).where(Attendance.person_id == y.hoa.id).limit(1))
        attendance.remove(record, organiser, "Điểm danh nhầm")

    def check_in_again():
        """a new pair, by the check-in's plain INSERT"""
        present(make_session(y.study_tour, day=3), y.cuc)

    def edit_people():
        """a gender and an ethnicity corrected"""
        y.binh.gender = Gender.female
        y.dung.ethnicity = ethnicity("02")

    def move_an_enrolment():
        """an enrolment corrected to another commune"""
        db.session.execute(
            update(Enrolment)
            .where(Enrolment.person_id == y.hoa.id, Enrolment.activity_id == y.workshop.id)
            .values(unit_id=unit(CAO_LOC).id)
        )

    def cancel_and_restore():
        """the workshop cancelled, the cancelled one restored"""
        y.workshop.status = ActivityStatus.cancelled
        y.cancelled.status = ActivityStatus.completed

    def another_kind_and_line():
        """the training becomes a workshop under another sub-project's line"""
        y.training.kind = ActivityKind.workshop
        y.training.budget_line = budget_line("DA7.TDA2.01")

    def other_topics():
        """a topic taken off one activity and put on another"""
        employment = topic("employment")
        y.workshop.topics.remove(employment)
        y.next_year.topics.append(employment)

    def move_a_commune():
        """a commune moved to another district, as reorganisations do"""
        mau_son = db.session.get(Person, y.hoa.id).unit
        mau_son.parent = unit(CAO_LOC)

    def recode_a_line():
        """a content line moved under the other sub-project and recoded"""
        line = budget_line("DA7.TDA1.01")
        other_project = select(BudgetLine).where(BudgetLine.code == "DA7.TDA2", BudgetLine.year == 2023)
        line.parent = db.session.scalar(other_project)
        line.code = "DA7.TDA2.09"

    def no_longer_a_minority():
        """an ethnicity's minority flag corrected"""
        ethnicity("07").is_minority = False

    def merge_people():
        """a duplicate record merged into the one kept"""
        merge(y.hoa.id, [y.cuc.id], make_user(Role.admin))

    def take_back_an_activity_s_check_ins():
        """every check-in of an activity taken back in one statement"""
        db.session.execute(delete(Attendance).where(Attendance.session_id.in_([s.id for s in y.next_year.sessions])))

    for change in (
        remove_an_attendance,
        check_in_again,
        edit_people,
        move_an_enrolment,
        cancel_and_restore,
        another_kind_and_line,
        other_topics,
        move_a_commune,
        recode_a_line,
        no_longer_a_minority,
        merge_people,
        take_back_an_activity_s_check_ins,
    ):
        changed(change)


def test_all_years_are_counted_exactly(year_2023):
    # Hoa: training, workshop, study tour; Bình: the 2023 training and the 2024 one; Dũng: the workshop.
    assert trained.reads_kept_groups(ALL_YEARS)
    total = trained.total(ALL_YEARS)
    assert (total.people, total.women, total.person_times, total.ethnic_minority) == (3, 1, 6, 2)

    def figures(by):
        return {row.label: (row.people, row.women, row.person_times, row.ethnic_minority) for row in by.rows}

    assert figures(trained.breakdown("kind", ALL_YEARS)) == {
        "Lớp tập huấn, bồi dưỡng": (2, 1, 3, 2),  # Hoa once, Bình twice
        "Hội thảo, hội nghị": (2, 1, 2, 1),  # Hoa, Dũng (not the cancelled one)
        "Đoàn học tập kinh nghiệm": (1, 1, 1, 1),
    }
    assert figures(trained.breakdown("topic", ALL_YEARS)) == {
        "Chương trình mục tiêu quốc gia giảm nghèo bền vững": (3, 1, 4, 2),
        "Việc làm": (2, 1, 2, 1),
        "Chưa xác định": (2, 1, 2, 2),  # the study tour (Hoa) and the 2024 training (Bình) have none
    }


def _table(table) -> tuple:
    rows = [(row.key, row.label, row.people, row.women, row.person_times, row.ethnic_minority) for row in table.rows]
    overlap = table.overlap.as_dict() if table.overlap else None
    return rows, table.total.as_dict(), overlap


@pytest.mark.parametrize("by", sorted(trained.KEPT_GROUPS - {"total"}))
def test_an_all_years_table_from_the_kept_groups_is_the_table_from_the_pairs(year_2023, by):
    assert trained.reads_kept_groups(ALL_YEARS) and not trained.reads_kept_groups(EVERY_DAY)
    assert _table(trained.breakdown(by, ALL_YEARS)) == _table(trained.breakdown(by, EVERY_DAY))


def test_a_district_officer_or_a_filter_reads_the_pairs(year_2023):
    officer = make_user(Role.district, unit_code=LOC_BINH)
    assert not trained.reads_kept_groups(ALL_YEARS, officer)
    assert not trained.reads_kept_groups(ReportFilter(year=2023))
    assert not trained.reads_kept_groups(ReportFilter(kind=ActivityKind.workshop))
    ours = trained.breakdown("unit", ALL_YEARS, officer)
    assert _table(ours) == _table(trained.breakdown("unit", EVERY_DAY, officer))
    assert ours.total.people < trained.total(ALL_YEARS).people  # Dũng of Cao Lộc is not theirs


@pytest.mark.no_transaction
def test_two_removals_of_one_person_at_once_both_count(fresh_app):  # noqa: F811
    """Two organisers take back two check-ins of the same person in two activities at the same
    time: both recompute that person's groups, and neither may miss the other's change."""
    first_id, person_ids, _ = _setup(fresh_app)
    with fresh_app.test_request_context():
        first = db.session.get(Activity, first_id)
        second, third = (
            Activity(
                kind=kind, title=title, start_date=day, end_date=day, capacity=10,
                status=ActivityStatus.completed, budget_line_id=first.budget_line_id,
                funding_source_id=first.funding_source_id, estimated_cost=0,
            )
            for kind, title, day in (
                (ActivityKind.workshop, "Hội thảo", date(2023, 6, 1)),
                (ActivityKind.study_tour, "Tham quan", date(2023, 7, 1)),
            )
        )
        db.session.add_all([second, third])
        db.session.flush()
        person = db.session.get(Person, person_ids[0])
        sessions = [make_session(activity) for activity in (first, second, third)]
        for session in sessions:
            present(session, person)
        db.session.commit()
        session_ids = [s.id for s in sessions]
        engine = db.engine
    attendances = Attendance.__table__
    with engine.connect() as one:
        one.begin()
        one.execute(delete(attendances).where(attendances.c.session_id == session_ids[0]))
        done = threading.Event()
        failed = []

        def remove_second():
            try:
                with engine.begin() as other:
                    other.execute(delete(attendances).where(attendances.c.session_id == session_ids[1]))
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                failed.append(error)
            done.set()

        remover = threading.Thread(target=remove_second)
        remover.start()
        done.wait(1)  # it waits for the first removal (PostgreSQL: the person's lock; SQLite: the writer's)
        one.commit()
        remover.join(10)
    assert done.is_set() and not failed
    with fresh_app.app_context():
        assert kept_groups() == worked_out()
        totals = db.session.execute(
            select(TrainedGroup.times).where(TrainedGroup.dim == "total", TrainedGroup.person_id == person_ids[0])
        ).scalars().all()
        assert totals == [1]  # the third activity is all that is left


def _locks_held() -> dict:
    """The entries this transaction holds in PostgreSQL's shared lock table, by kind."""
    rows = db.session.execute(
        text("SELECT locktype, count(*) FROM pg_locks WHERE pid = pg_backend_pid() GROUP BY locktype")
    )
    return dict(rows.all())


def test_one_transaction_for_many_people_takes_no_more_shared_locks_than_for_a_few(app_ctx):
    """A bulk load or a big import checks in thousands of people in one transaction. The lock that
    keeps a person's groups right must not take a slot of PostgreSQL's shared lock table per
    person: 100.000 people filled it ("out of shared memory") and the whole load failed."""
    session = make_session(make_activity(status=ActivityStatus.completed))
    few, many = [make_person() for _ in range(3)], [make_person() for _ in range(150)]
    present(session, *few)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    after_a_few = _locks_held() if postgresql else None
    present(session, *many)
    if postgresql:
        assert "advisory" not in after_a_few
        assert _locks_held() == after_a_few
    assert kept_groups() == worked_out()
    total = {person_id: times for dim, _, person_id, times, _, _ in kept_groups() if dim == "total"}
    assert len(total) == len(few) + len(many) and set(total.values()) == {1}


def _sorting_change(kind: str, activity: Activity, person: Person):
    """A change to what sorts the activity's pairs into groups, as SQL an edit would run."""
    from app.geo.models import AdminUnit
    from app.reference.models import TrainingTopic

    if kind == "cancel the activity":
        return update(Activity.__table__).where(Activity.id == activity.id).values(status="cancelled")
    if kind == "give it a topic":
        topic_id = db.session.scalar(select(TrainingTopic.id).limit(1))
        return activity_topics.insert().values(activity_id=activity.id, topic_id=topic_id)
    commune = person.unit
    district = db.session.scalar(
        select(AdminUnit.id).where(AdminUnit.level == UnitLevel.district, AdminUnit.id != commune.parent_id)
    )
    return update(AdminUnit.__table__).where(AdminUnit.id == commune.id).values(parent_id=district)


@pytest.mark.no_transaction
@pytest.mark.parametrize("change", ["cancel the activity", "give it a topic", "move the commune"])
def test_a_check_in_during_a_change_of_its_groups_is_sorted_by_the_change(fresh_app, change):  # noqa: F811
    """Someone checks in while an organiser cancels the activity, gives it a topic, or an admin
    moves the commune to another district, both uncommitted at once: the check-in's groups must
    come out as the change sorts them, not as they were before it."""
    first_id, person_ids, _ = _setup(fresh_app)
    with fresh_app.test_request_context():
        activity = db.session.get(Activity, first_id)
        session = make_session(activity)
        present(session, db.session.get(Person, person_ids[0]))
        statement = _sorting_change(change, activity, db.session.get(Person, person_ids[1]))
        db.session.commit()
        session_id, engine = session.id, db.engine
    attendances = Attendance.__table__
    with engine.connect() as editor:
        editor.begin()
        editor.execute(statement)
        done = threading.Event()
        failed = []

        def check_in():
            try:
                with engine.begin() as phone:
                    phone.execute(
                        attendances.insert().values(
                            session_id=session_id, person_id=person_ids[1], checked_in_at=date(2023, 5, 10),
                            method=Method.self_scan,
                        )
                    )
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                failed.append(error)
            done.set()

        checking_in = threading.Thread(target=check_in)
        checking_in.start()
        done.wait(1)  # PostgreSQL: it waits for the edit (the activity's row, or the pairs' table)
        editor.commit()
        checking_in.join(10)
    assert done.is_set() and not failed
    with fresh_app.app_context():
        assert kept_groups() == worked_out()
