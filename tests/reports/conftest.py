"""A hand-counted year of training for the report tests.

2023, one province, four people:
- Lục Thị Hoa (woman, Tày, village cadre, Xã Mẫu Sơn of Huyện Lộc Bình) attends three activities:
  a training (both sessions), a workshop and a study tour;
- Hoàng Văn Bình (man, Nùng, Lộc Bình) attends the training's first session only;
- Vi Thị Cúc (woman, Lộc Bình) is registered for the training and never comes;
- Nguyễn Văn Dũng (man, Kinh, Huyện Cao Lộc) attends the workshop.
Not counted in 2023: a cancelled workshop Bình and Dũng attended, and a 2024 training of Bình.

So in 2023: 3 people (1 woman, 2 of an ethnic minority) and 5 person-times (Hoa 3, Bình 1, Dũng 1).
"""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from app.attendance import services as attendance
from app.auth.models import Role
from app.people.models import Gender, Person
from app.planning.models import Activity, ActivityKind, ActivityStatus
from app.reference.models import TrainingTopic
from app.registration import services as registration
from tests.factories import (
    CAO_LOC,
    LOC_BINH,
    category,
    commune_of,
    ethnicity,
    make_activity,
    make_person,
    make_session,
    make_user,
    unit,
)

MAU_SON_2023 = "06532"  # Xã Mẫu Sơn, Huyện Lộc Bình, until 30/06/2025
MAU_SON_2025 = "06541"  # Xã Mẫu Sơn under the province from 01/07/2025 (took in the old one)


def topic(code: str) -> TrainingTopic:
    from app.extensions import db

    return db.session.scalar(select(TrainingTopic).where(TrainingTopic.code == code))


def held(organiser, people_by_session: list[list[Person]], registered: list[Person], **fields) -> Activity:
    """An activity run to completion: people registered, then marked present session by session
    from the paper sheet (as an organiser would), then closed."""
    activity = make_activity(status=ActivityStatus.open, **fields)
    sessions = [make_session(activity, day=day) for day in range(len(people_by_session))]
    for person in registered:
        registration.enrol(activity, person, organiser)
    activity.status = ActivityStatus.in_progress
    for session, present in zip(sessions, people_by_session, strict=True):
        for person in present:
            attendance.mark(session, person, organiser, "Theo danh sách ký", paper=True)
    activity.status = ActivityStatus.completed
    return activity


@dataclass
class Year:
    hoa: Person
    binh: Person
    cuc: Person
    dung: Person
    training: Activity
    workshop: Activity
    study_tour: Activity
    cancelled: Activity
    next_year: Activity


@pytest.fixture
def organiser(app_ctx):
    return make_user(Role.organiser)


@pytest.fixture
def year_2023(organiser) -> Year:
    mau_son = unit(MAU_SON_2023)
    hoa = make_person(
        full_name="Lục Thị Hoa", gender=Gender.female, ethnicity=ethnicity("02"), unit=mau_son, phone="0912300001"
    )
    binh = make_person(full_name="Hoàng Văn Bình", ethnicity=ethnicity("07"), unit=commune_of(LOC_BINH))
    cuc = make_person(full_name="Vi Thị Cúc", gender=Gender.female, unit=mau_son)
    dung = make_person(
        full_name="Nguyễn Văn Dũng",
        ethnicity=ethnicity("01"),
        unit=commune_of(CAO_LOC),
        category=category("commune_officer"),
    )
    training = held(
        organiser,
        [[hoa, binh], [hoa]],
        [hoa, binh, cuc],
        kind=ActivityKind.training,
        start_date=date(2023, 3, 15),
        topics=[topic("programme")],
        title="Lớp tập huấn kỹ năng giảm nghèo",
    )
    workshop = held(
        organiser,
        [[hoa, dung]],
        [hoa, dung],
        kind=ActivityKind.workshop,
        start_date=date(2023, 8, 10),
        topics=[topic("programme"), topic("employment")],
        title="Hội thảo việc làm",
    )
    study_tour = held(
        organiser,
        [[hoa]],
        [hoa],
        kind=ActivityKind.study_tour,
        start_date=date(2023, 10, 5),
        title="Đoàn học tập kinh nghiệm",
    )
    cancelled = held(organiser, [[binh, dung]], [binh, dung], kind=ActivityKind.workshop, start_date=date(2023, 11, 1))
    cancelled.status = ActivityStatus.cancelled
    next_year = held(organiser, [[binh]], [binh], start_date=date(2024, 2, 1))
    from app.extensions import db

    db.session.flush()
    return Year(hoa, binh, cuc, dung, training, workshop, study_tour, cancelled, next_year)
