"""Demo data for the two courses already held: who came, what they thought, what they learned,
and the certificates — so that a first look at the app shows every page with figures in it.

Enrolment, attendance and answers go through the same services as real use. Only the times are
set to when the courses were held (2023), because the services use "now".
"""

import random
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.attendance.models import Attendance, Method
from app.auth.models import User
from app.core.formats import VIETNAM
from app.evaluations import services as evaluations
from app.extensions import db
from app.geo.services import descendant_unit_ids
from app.people.models import Person
from app.planning.models import Activity, ActivityKind, ActivityStatus
from app.registration import services as registration

PER_COURSE = 40


def _utc(wall_clock: datetime) -> datetime:
    return wall_clock.replace(tzinfo=VIETNAM).astimezone(UTC).replace(tzinfo=None)


def load_demo_results(rng: random.Random) -> None:
    organiser = db.session.scalar(select(User).where(User.username == "demo-organiser"))
    courses = db.session.scalars(
        select(Activity)
        .where(Activity.kind == ActivityKind.training, Activity.status == ActivityStatus.completed)
        .order_by(Activity.start_date)
    ).all()
    finance = db.session.scalar(select(User).where(User.username == "demo-finance"))
    for number, course in enumerate(courses, start=1):
        _hold(course, organiser, rng)
        _money(course, finance, number)
    db.session.flush()


def _hold(course: Activity, organiser, rng: random.Random) -> None:
    people = db.session.scalars(
        select(Person)
        .where(Person.unit_id.in_(descendant_unit_ids(course.unit_id)), Person.merged_into_id.is_(None))
        .order_by(Person.id)
        .limit(PER_COURSE)
    ).all()
    course.status = ActivityStatus.open  # enrolments are taken before the course; it is completed again below
    enrolments = [registration.enrol(course, person, organiser, source="demo") for person in people]
    course.status = ActivityStatus.completed
    sessions = sorted(course.sessions, key=lambda s: s.starts_at)
    attended = {}
    for enrolment in enrolments:
        kept = [s for s in sessions if rng.random() < 0.9]  # most came to most sessions
        attended[enrolment.person_id] = kept
        for session in kept:
            minutes = rng.choice([-20, -10, -5, 0, 5, 10, 25])
            db.session.add(
                Attendance(
                    session_id=session.id,
                    person_id=enrolment.person_id,
                    enrolment_id=enrolment.id,
                    checked_in_at=_utc(session.starts_at) + timedelta(minutes=minutes),
                    recorded_at=_utc(session.starts_at),
                    method=rng.choice([Method.self_scan, Method.self_scan, Method.personal_qr]),
                    late=minutes > 15,
                    flags=[],
                )
            )
    db.session.flush()
    present = [e.person for e in enrolments if attended[e.person_id]]
    _survey(course, organiser, present, rng)
    _tests(course, organiser, present, rng)
    _certificates(course, organiser)


def _survey(course, organiser, present, rng) -> None:
    survey = evaluations.from_template(course, "training", organiser)
    for person in present[: int(len(present) * 0.8)]:
        answers = {}
        for question in survey.questions:
            if question.type.value == "likert":
                answers[str(question.id)] = str(rng.choices([3, 4, 5], weights=[1, 4, 3])[0])
            elif question.type.value == "single":
                answers[str(question.id)] = "1"
        evaluations.submit(survey, person, answers)


def _tests(course, organiser, present, rng) -> None:
    pre = evaluations.create(
        course, {"kind": "pre_test", "title": "Kiểm tra kiến thức đầu khóa", "pass_mark": 60}, organiser
    )
    questions = [
        (
            "Chuẩn nghèo đa chiều giai đoạn 2022-2025 đo lường thiếu hụt bao nhiêu dịch vụ xã hội cơ bản?",
            "4\n6\n8",
            "2",
        ),
        (
            "Dự án 7 của Chương trình có nội dung gì?",
            "Nâng cao năng lực và giám sát, đánh giá\nHỗ trợ nhà ở\nTruyền thông",
            "1",
        ),
        ("Rà soát hộ nghèo, hộ cận nghèo được tổ chức mấy lần một năm?", "Một lần\nHai lần\nKhi có yêu cầu", "1"),
        ("Ai chủ trì rà soát hộ nghèo ở cấp xã?", "Trưởng thôn\nChủ tịch UBND xã\nCán bộ huyện", "2"),
    ]
    for text, options, correct in questions:
        evaluations.add_question(
            pre, {"type": "single", "text": text, "options": options, "correct": correct, "points": 25}
        )
    post = evaluations.copy_as_post_test(pre, organiser)
    for person in present:
        for test, skill in ((pre, 0.45), (post, 0.8)):
            answers = {}
            for question in test.questions:
                right = question.correct[0]
                wrong = next(i for i in range(len(question.options)) if i != right)
                answers[str(question.id)] = str(right if rng.random() < skill else wrong)
            evaluations.submit(test, person, answers)


def _money(course: Activity, finance, number: int) -> None:
    """An estimate from the plan, an advance to the organising officer settled with two vouchers,
    and the meal support paid from the attendance list: a course finance can then settle."""
    from app.costs import allowances, estimates, spending

    estimates.rebuild(course, estimates.default_place(course), finance, override_reason="Dữ liệu minh họa")
    end = course.end_date
    booked = {
        "activity_id": course.id,
        "budget_line_id": course.budget_line_id,
        "funding_source_id": course.funding_source_id,
    }
    advance = spending.record_advance(
        {
            **booked,
            "payee": "Hoàng Thị Mai",
            "purpose": "Tạm ứng tổ chức lớp",
            "amount": 6_000_000,
            "voucher_no": f"TU-{number:03d}",
            "voucher_date": course.start_date,
        },
        finance,
    )
    for suffix, description, amount in (("a", "Thuê hội trường, âm thanh", 3_500_000), ("b", "Nước uống", 1_840_000)):
        spending.record_expenditure(
            {
                **booked,
                "advance_id": advance.id,
                "voucher_no": f"PC-{number:03d}{suffix}",
                "voucher_date": end,
                "description": description,
                "amount": amount,
            },
            finance,
            override_reason="Dữ liệu minh họa",
        )
    spending.settle_advance(advance, {"settlement_voucher_no": f"TT-{number:03d}", "settled_on": end}, finance)
    meals = allowances.allowance_list(course)
    if meals.total:
        spending.record_expenditure(
            {
                **booked,
                "voucher_no": f"PC-{number:03d}c",
                "voucher_date": end + timedelta(days=1),
                "description": f"Chi hỗ trợ tiền ăn học viên theo danh sách ký nhận ({len(meals.rows)} người)",
                "amount": meals.total,
            },
            finance,
            override_reason="Dữ liệu minh họa",
        )


def _certificates(course, organiser) -> None:
    from app.certificates import services as certificates

    base = current_app.config["BASE_URL"]
    with current_app.test_request_context(base_url=base):  # verification URLs need the public address
        certificates.issue(course, organiser)
