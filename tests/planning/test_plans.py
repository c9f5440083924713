"""Yearly plans: targets and the progress the activities make against them."""

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.planning import services
from app.planning.models import ActivityKind, ActivityStatus, Plan
from tests.factories import make_activity, make_plan, make_user


def test_progress_counts_planned_and_done_against_targets(app_ctx):
    plan = make_plan(target_classes=4, target_trainees=300, target_study_tours=1)
    make_activity(plan=plan, status=ActivityStatus.completed, capacity=80)
    make_activity(plan=plan, status=ActivityStatus.approved, capacity=100)
    make_activity(plan=plan, status=ActivityStatus.cancelled, capacity=500)
    make_activity(plan=plan, kind=ActivityKind.study_tour, status=ActivityStatus.settled, capacity=20)
    classes, trainees, tours = services.plan_progress(plan)
    assert (classes.target, classes.planned, classes.done) == (4, 2, 1)
    assert (trainees.planned, trainees.done) == (180, 0)  # seats planned; nobody has attended yet
    assert (tours.planned, tours.done) == (1, 1)


def test_trainees_done_and_the_share_of_women_come_from_attendance(app_ctx):
    from app.attendance.models import Attendance, Method
    from app.attendance.reports import trained
    from app.people.models import Gender
    from tests.factories import make_person, make_session

    plan = make_plan(target_trainees=300, target_women_percent=40)
    first = make_activity(plan=plan, status=ActivityStatus.completed, capacity=80)
    second = make_activity(plan=plan, status=ActivityStatus.in_progress, capacity=50)
    woman, man = make_person(gender=Gender.female), make_person(gender=Gender.male)
    morning, afternoon = make_session(first), make_session(first, afternoon=True)
    other = make_session(second)
    # The woman came to both sessions of the first class (once trained there) and to the second class.
    for session, person in ((morning, woman), (afternoon, woman), (morning, man), (other, woman)):
        db.session.add(
            Attendance(session=session, person=person, checked_in_at=session.starts_at, method=Method.manual, flags=[])
        )
    db.session.flush()
    _, trainees, _ = services.plan_progress(plan)
    assert trainees.done == 3
    result = trained([first.id, second.id])
    assert (result.person_times, result.women, round(result.women_share, 3)) == (3, 2, 0.667)


def test_plan_page_shows_progress(client, auth):
    plan = make_plan(title="Kế hoạch thử")
    make_activity(plan=plan, status=ActivityStatus.completed)
    auth.login(make_user(Role.leader))
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "đã xong 1 · kế hoạch 1 / chỉ tiêu 4" in page


def test_bad_targets_are_refused(client, auth):
    auth.login(make_user(Role.organiser))
    page = client.post(
        "/plans/new", data={"year": "2023", "title": "KH", "target_women_percent": "140", "target_classes": "-1"}
    ).get_data(as_text=True)
    assert "Tỷ lệ phải từ 0 đến 100." in page and "Chỉ tiêu phải từ 0 đến 10.000.000." in page
    assert db.session.scalar(select(Plan).where(Plan.title == "KH")) is None


def test_calendar_shows_sessions_of_the_month(client, auth):
    from tests.factories import make_session

    activity = make_activity(title="Lớp tháng Năm")
    make_session(activity, title="Sáng 10/05")
    auth.login(make_user(Role.organiser))
    page = client.get("/activities/calendar?month=2023-05").get_data(as_text=True)
    assert "Lớp tháng Năm — Sáng 10/05" in page
    assert "Lớp tháng Năm" not in client.get("/activities/calendar?month=2023-07").get_data(as_text=True)
