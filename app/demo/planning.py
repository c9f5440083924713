"""Demo plans and activities for 2023: the seed plan, its budget and a year of activities."""

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from app.auth.models import User
from app.budget.models import BudgetLine, FundingSource
from app.budget.services import load_year
from app.extensions import db
from app.geo.models import AdminUnit
from app.geo.services import find_by_code
from app.people.models import Person
from app.planning.models import (
    Activity,
    ActivityKind,
    ActivityMember,
    ActivitySession,
    ActivityStatus,
    ActivityTransition,
    Destination,
    DestinationScope,
    MemberRole,
    Plan,
    Trainer,
    TrainerTier,
    Venue,
)
from app.planning.reference import load_trainer_tiers
from app.reference.models import Organisation, ParticipantCategory, Signatory, TrainingTopic

MORNING = (time(7, 30), time(11, 30))
AFTERNOON = (time(13, 30), time(17, 0))


def load_demo_planning() -> None:
    load_trainer_tiers()
    load_year(2023)
    if db.session.scalar(select(func.count(Plan.id))):
        return
    department = db.session.scalar(select(Organisation).where(Organisation.code == "SLDTBXH-LS"))
    division = db.session.scalar(select(Organisation).where(Organisation.code == "BTXHTE"))
    signer = db.session.scalar(select(Signatory))
    plan = Plan(
        year=2023,
        number=None,
        issued_on=date(2023, 3, 20),
        organisation=department,
        signatory=signer,
        title="Kế hoạch thực hiện Dự án 7: Nâng cao năng lực và giám sát, đánh giá Chương trình mục tiêu "
        "quốc gia giảm nghèo bền vững năm 2023",
        target_classes=8,
        target_trainees=800,
        target_study_tours=2,
        target_women_percent=40,
    )
    db.session.add(plan)
    venues = _venues()
    trainers = _trainers()
    lines = {line.code: line for line in db.session.scalars(select(BudgetLine).where(BudgetLine.year == 2023))}
    sources = {s.code: s for s in db.session.scalars(select(FundingSource).where(FundingSource.year == 2023))}
    topics = {t.code: t for t in db.session.scalars(select(TrainingTopic))}
    categories = list(
        db.session.scalars(
            select(ParticipantCategory).where(
                ParticipantCategory.code.in_(
                    [
                        "village_cadre",
                        "community_rep",
                        "group_leader",
                        "mass_org_cadre",
                        "poverty_collaborator",
                        "prestigious_person",
                        "commune_officer",
                    ]
                )
            )
        )
    )
    actor = db.session.scalar(select(User).where(User.username == "demo-organiser"))

    def activity(kind, title, start, days, status, line, source, capacity, cost, **extra):
        item = Activity(
            plan=plan,
            kind=kind,
            title=title,
            start_date=start,
            end_date=start + timedelta(days=days - 1),
            status=status,
            budget_line=lines[line],
            funding_source=sources[source],
            capacity=capacity,
            estimated_cost=cost,
            organiser_org=division,
            created_by_id=actor.id if actor else None,
            target_levels=extra.pop("levels", ["commune", "village"]),
            **extra,
        )
        db.session.add(item)
        if status is not ActivityStatus.draft:
            item.transitions.append(
                ActivityTransition(
                    from_status=ActivityStatus.draft,
                    to_status=status,
                    actor_id=actor.id if actor else None,
                    reason="Dữ liệu mẫu",
                )
            )
        return item

    districts = ["188", "182", "181", "185"]
    statuses = [ActivityStatus.completed, ActivityStatus.completed, ActivityStatus.approved, ActivityStatus.submitted]
    for index, (code, status) in enumerate(zip(districts, statuses, strict=True)):
        district = find_by_code(code, date(2023, 6, 1))
        start = date(2023, 4 + 2 * index, 11)
        course = activity(
            ActivityKind.training,
            f"Tập huấn nâng cao năng lực cán bộ làm công tác giảm nghèo cấp xã, thôn — {district.name}",
            start,
            2,
            status,
            "DA7.TDA1.01",
            "NSTW-2023" if index % 2 == 0 else "CN-2022",
            100,
            92_500_000,
            unit=district,
            venue=venues[code],
            topics=[topics["programme"], topics["employment"], topics["household_review"]],
            categories=categories,
        )
        _two_days(course, trainers[index % 2], trainers[2])
    activity(
        ActivityKind.training,
        "Tập huấn trợ giúp pháp lý, công tác xã hội và bình đẳng giới cho cán bộ cấp xã",
        date(2023, 9, 19),
        1,
        ActivityStatus.draft,
        "DA7.TDA1.02",
        "NSTW-2023",
        80,
        48_000_000,
        venue=venues["20"],
        topics=[topics["legal_aid"], topics["social_work"], topics["gender_equality"]],
        levels=["commune"],
    )
    tour = activity(
        ActivityKind.study_tour,
        "Đoàn học tập, trao đổi kinh nghiệm giảm nghèo tại tỉnh Lào Cai và Yên Bái",
        date(2023, 10, 10),
        4,
        ActivityStatus.completed,
        "DA7.TDA1.03",
        "CN-2022",
        25,
        215_000_000,
        destination_scope=DestinationScope.out_of_province,
        transport="Thuê xe 29 chỗ",
        lodging="Khách sạn tại TP Lào Cai và TP Yên Bái",
        itinerary="Ngày 1: di chuyển Lạng Sơn - Lào Cai. Ngày 2: làm việc tại huyện Bát Xát. "
        "Ngày 3: di chuyển Yên Bái, làm việc tại huyện Văn Chấn. Ngày 4: trở về Lạng Sơn.",
        report="Học tập mô hình sinh kế dựa vào cộng đồng và cách rà soát hộ nghèo có sự tham gia.",
        levels=["district", "commune"],
    )
    tour.destinations = [
        Destination(
            position=1,
            place="Huyện Bát Xát, tỉnh Lào Cai",
            host="Sở LĐ-TB&XH tỉnh Lào Cai",
            in_province=False,
            start_date=date(2023, 10, 10),
            end_date=date(2023, 10, 11),
        ),
        Destination(
            position=2,
            place="Huyện Văn Chấn, tỉnh Yên Bái",
            host="Sở LĐ-TB&XH tỉnh Yên Bái",
            in_province=False,
            start_date=date(2023, 10, 12),
            end_date=date(2023, 10, 13),
        ),
    ]
    members = db.session.scalars(
        select(Person).where(Person.level.in_(["district", "commune"])).order_by(Person.id).limit(6)
    ).all()
    tour.members = [
        ActivityMember(person=p, role=MemberRole.leader if i == 0 else MemberRole.member) for i, p in enumerate(members)
    ]
    activity(
        ActivityKind.workshop,
        "Hội nghị sơ kết 6 tháng đầu năm thực hiện Chương trình giảm nghèo bền vững",
        date(2023, 7, 20),
        1,
        ActivityStatus.completed,
        "DA7.TDA1.04",
        "NSTW-2023",
        120,
        35_000_000,
        venue=venues["20"],
        levels=["province", "district"],
    )
    binh_gia = find_by_code("181", date(2023, 6, 1))
    visit = activity(
        ActivityKind.monitoring,
        "Kiểm tra, giám sát thực hiện Chương trình tại huyện Bình Gia",
        date(2023, 11, 14),
        2,
        ActivityStatus.approved,
        "DA7.TDA2.04",
        "NSTW-2023",
        8,
        18_000_000,
        unit=binh_gia,
        levels=["district", "commune"],
    )
    visit.visited_units = db.session.scalars(
        select(AdminUnit).where(AdminUnit.parent_id == binh_gia.id).order_by(AdminUnit.code).limit(3)
    ).all()
    db.session.flush()
    from app.demo.results import load_demo_results

    load_demo_results(random.Random(7))


def _two_days(course: Activity, first: Trainer, second: Trainer) -> None:
    for day_index in range(2):
        day = course.start_date + timedelta(days=day_index)
        for part, (begin, end) in (("Sáng", MORNING), ("Chiều", AFTERNOON)):
            course.sessions.append(
                ActivitySession(
                    title=f"{part} ngày {day:%d/%m}",
                    starts_at=datetime.combine(day, begin),
                    ends_at=datetime.combine(day, end),
                    trainers=[first if part == "Sáng" else second],
                )
            )


def _venues() -> dict[str, Venue]:
    rows = {
        "20": ("Hội trường Sở Lao động - Thương binh và Xã hội", "Số 2 đường Hùng Vương, TP Lạng Sơn", 120),
        "188": ("Hội trường UBND huyện Lộc Bình", "Thị trấn Lộc Bình", 150),
        "182": ("Hội trường UBND huyện Văn Lãng", "Thị trấn Na Sầm", 120),
        "181": ("Hội trường UBND huyện Bình Gia", "Thị trấn Bình Gia", 100),
        "185": ("Hội trường UBND huyện Bắc Sơn", "Thị trấn Bắc Sơn", 80),
    }
    venues = {}
    for code, (name, address, capacity) in rows.items():
        venues[code] = Venue(name=name, address=address, capacity=capacity, unit=find_by_code(code, date(2023, 6, 1)))
        db.session.add(venues[code])
    return venues


def _trainers() -> list[Trainer]:
    tiers = {t.code: t for t in db.session.scalars(select(TrainerTier))}
    trainers = [
        Trainer(
            full_name="Hoàng Văn Thái",
            title="Phó Giám đốc Sở Lao động - Thương binh và Xã hội",
            workplace="Sở LĐ-TB&XH tỉnh Lạng Sơn",
            tier=tiers["tier_3"],
        ),
        Trainer(
            full_name="Nông Thị Thu Hà",
            title="Trưởng phòng Bảo trợ xã hội - Trẻ em",
            workplace="Sở LĐ-TB&XH tỉnh Lạng Sơn",
            tier=tiers["tier_4"],
        ),
        Trainer(
            full_name="Lương Văn Quang",
            title="Chuyên viên Phòng Lao động - TB&XH",
            workplace="UBND huyện Lộc Bình",
            tier=tiers["tier_5"],
        ),
    ]
    db.session.add_all(trainers)
    return trainers
