"""Planning an activity: bad input refused with a message, the workflow per role, warnings, copy."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.errors import ConflictError, DomainError, ValidationError
from app.extensions import db
from app.planning import services
from app.planning.models import (
    Activity,
    ActivityKind,
    ActivitySession,
    ActivityStatus,
    ActivityTransition,
    DestinationScope,
)
from tests.factories import (
    budget_line,
    funding_source,
    make_activity,
    make_plan,
    make_session,
    make_trainer,
    make_user,
    make_venue,
    unit,
)

S = ActivityStatus


def activity_form(**overrides):
    data = {
        "kind": "training",
        "title": "Tập huấn cán bộ giảm nghèo cấp xã huyện Lộc Bình",
        "start_date": "10/05/2023",
        "end_date": "11/05/2023",
        "capacity": "80",
        "budget_line_id": str(budget_line().id),
        "funding_source_id": str(funding_source().id),
        "estimated_cost": "45.500.000",
        "unit_id": str(unit("188").id),
        "target_levels": ["commune", "village"],
    }
    data.update(overrides)
    return data


def activities_count():
    return db.session.scalar(select(func.count(Activity.id)))


@pytest.fixture
def organiser(auth):
    user = make_user(Role.organiser)
    auth.login(user)
    return user


def test_an_organiser_plans_a_course_as_a_draft(client, organiser):
    response = client.post("/activities/new", data=activity_form())
    assert response.status_code == 302
    activity = db.session.scalars(select(Activity).order_by(Activity.id.desc())).first()
    assert (activity.status, activity.estimated_cost, activity.capacity) == (S.draft, 45_500_000, 80)
    assert activity.target_levels == ["commune", "village"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "activity.create")).actor_id == organiser.id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("end_date", "09/05/2023", "Ngày kết thúc không được trước ngày bắt đầu."),
        ("capacity", "0", "Số người phải từ 1 đến 10000."),
        ("capacity", "-5", "Số người phải từ 1 đến 10000."),
        ("capacity", "abc", "Nhập một số nguyên."),
        ("budget_line_id", "999999", "Chọn một dòng ngân sách có trong danh mục."),
        ("budget_line_id", "", "Chọn một dòng ngân sách có trong danh mục."),
        ("funding_source_id", "999999", "Chọn một nguồn kinh phí có trong danh mục."),
        ("title", "", "Nhập tên hoạt động."),
        ("title", "x" * 301, "Tối đa 300 ký tự"),
        ("kind", "party", "Chọn loại hoạt động."),
        ("estimated_cost", "bốn mươi triệu", "Nhập số tiền bằng chữ số"),
        ("start_date", "31/02/2023", "Ngày không hợp lệ"),
        ("target_levels", ["galaxy"], "Cấp không hợp lệ."),
    ],
)
def test_bad_activity_input_gets_a_message_and_changes_nothing(client, organiser, field, value, message):
    before = activities_count()
    page = client.post("/activities/new", data=activity_form(**{field: value})).get_data(as_text=True)
    assert message in page
    assert activities_count() == before


def test_a_study_tour_needs_its_scope(client, organiser):
    page = client.post("/activities/new", data=activity_form(kind="study_tour")).get_data(as_text=True)
    assert "Đoàn học tập phải chọn trong tỉnh hay ngoài tỉnh." in page


# -- workflow ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "role", "allowed"),
    [
        (S.draft, S.submitted, Role.organiser, True),
        (S.draft, S.submitted, Role.leader, False),
        (S.submitted, S.approved, Role.leader, True),
        (S.submitted, S.approved, Role.organiser, False),
        (S.submitted, S.approved, Role.admin, False),
        (S.approved, S.open, Role.organiser, True),
        (S.open, S.in_progress, Role.organiser, True),
        (S.in_progress, S.completed, Role.organiser, True),
        (S.completed, S.settled, Role.finance, True),
        (S.completed, S.settled, Role.organiser, False),
        (S.approved, S.settled, Role.finance, None),  # not a step of the workflow at all
        (S.draft, S.approved, Role.leader, None),
        (S.settled, S.cancelled, Role.leader, "frozen"),
        (S.cancelled, S.draft, Role.organiser, "frozen"),
        (S.approved, S.cancelled, Role.leader, True),
        (S.in_progress, S.cancelled, Role.organiser, True),
        (S.open, S.cancelled, Role.finance, False),
    ],
)
def test_workflow_steps_per_role(app_ctx, start, target, role, allowed):
    activity = make_activity(status=start)
    user = make_user(role)
    if allowed is True:
        services.transition(activity, target, user, "Lý do kiểm thử")
        assert activity.status is target
        step = db.session.scalar(select(ActivityTransition).where(ActivityTransition.activity_id == activity.id))
        assert (step.from_status, step.to_status, step.actor_id) == (start, target, user.id)
    else:
        with pytest.raises(DomainError) as raised:
            services.transition(activity, target, user)
        expected = {
            False: ("forbidden", 403),
            None: ("transition_not_allowed", 409),
            "frozen": ("activity_frozen", 409),
        }
        assert (raised.value.code, raised.value.status) == expected[allowed]
        assert activity.status is start


def test_cancelling_and_sending_back_need_a_reason(app_ctx):
    activity = make_activity(status=S.submitted)
    leader = make_user(Role.leader)
    with pytest.raises(ValidationError):
        services.transition(activity, S.draft, leader, "  ")
    services.transition(activity, S.draft, leader, "Bổ sung dự toán chi tiết")
    assert activity.transitions[-1].reason == "Bổ sung dự toán chi tiết"


def test_a_settled_activity_is_frozen(app_ctx):
    activity = make_activity(status=S.settled)
    with pytest.raises(ConflictError) as raised:
        services.save_activity(activity, {"title": "Đổi tên"}, make_user(Role.organiser))
    assert raised.value.code == "activity_frozen"
    with pytest.raises(ConflictError):
        services.save_session(activity, None, {"title": "Buổi thêm"})


def test_leader_approves_from_the_page(client, auth):
    activity = make_activity(status=S.submitted)
    auth.login(make_user(Role.leader))
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "Chuyển sang: Đã phê duyệt" in page
    response = client.post(f"/activities/{activity.id}/status", data={"to_status": "approved"})
    assert response.status_code == 302
    db.session.refresh(activity)
    assert activity.status is S.approved


def test_a_district_officer_cannot_move_an_activity(client, auth):
    activity = make_activity(status=S.submitted, unit=unit("188"))
    auth.login(make_user(Role.district, unit_code="188"))
    assert client.get(f"/activities/{activity.id}").status_code == 200
    assert client.post(f"/activities/{activity.id}/status", data={"to_status": "approved"}).status_code == 403


def test_district_officers_see_only_activities_that_concern_their_unit(client, auth):
    mine = make_activity(title="Lớp Lộc Bình", unit=unit("188"))
    province_wide = make_activity(title="Lớp toàn tỉnh", unit=None)
    theirs = make_activity(title="Lớp Cao Lộc", unit=unit("183"))
    auth.login(make_user(Role.district, unit_code="188"))
    page = client.get("/activities/").get_data(as_text=True)
    assert "Lớp Lộc Bình" in page and "Lớp toàn tỉnh" in page and "Lớp Cao Lộc" not in page
    assert client.get(f"/activities/{theirs.id}").status_code == 404
    assert client.get(f"/activities/{mine.id}").status_code == 200
    assert client.get(f"/activities/{province_wide.id}").status_code == 200


# -- sessions -----------------------------------------------------------------------------------


def session_form(**overrides):
    data = {"title": "Sáng ngày thứ nhất", "day": "10/05/2023", "start_time": "07:30", "end_time": "11:30"}
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"day": "12/05/2023"}, "Buổi học phải nằm trong thời gian của hoạt động (10/05/2023 - 11/05/2023)."),
        ({"end_time": "07:00"}, "Giờ kết thúc phải sau giờ bắt đầu."),
        ({"start_time": "25:00"}, "Giờ không hợp lệ"),
        ({"title": ""}, "Nhập tên buổi"),
        ({"day": ""}, "Nhập ngày của buổi học."),
        ({"trainer_ids": ["999999"]}, "Có giảng viên không có trong danh sách."),
    ],
)
def test_bad_session_input_gets_a_message_and_changes_nothing(client, organiser, overrides, message):
    activity = make_activity(start_date=date(2023, 5, 10))
    page = client.post(f"/activities/{activity.id}/sessions/new", data=session_form(**overrides)).get_data(as_text=True)
    assert message in page
    assert (
        db.session.scalar(select(func.count(ActivitySession.id)).where(ActivitySession.activity_id == activity.id)) == 0
    )


def test_sessions_are_added_with_trainers(client, organiser):
    activity = make_activity(start_date=date(2023, 5, 10))
    trainer = make_trainer(full_name="Nông Thị Thu Hà")
    response = client.post(f"/activities/{activity.id}/sessions/new", data=session_form(trainer_ids=[str(trainer.id)]))
    assert response.status_code == 302
    db.session.refresh(activity)
    session = activity.sessions[0]
    assert (session.starts_at, session.ends_at) == (datetime(2023, 5, 10, 7, 30), datetime(2023, 5, 10, 11, 30))
    assert [t.full_name for t in session.trainers] == ["Nông Thị Thu Hà"]


# -- warnings -----------------------------------------------------------------------------------


def test_warns_when_a_trainer_is_double_booked(app_ctx):
    trainer = make_trainer(full_name="Hoàng Văn Thái")
    first, second = make_activity(title="Lớp A"), make_activity(title="Lớp B")
    make_session(first, trainers=[trainer])
    make_session(second, trainers=[trainer])
    warnings = [str(w) for w in services.warnings_for(second)]
    assert any("Giảng viên Hoàng Văn Thái đã có lịch ở “Lớp A”" in w for w in warnings)


def test_a_cancelled_activity_books_nobody(app_ctx):
    trainer = make_trainer()
    cancelled = make_activity(status=S.cancelled)
    make_session(cancelled, trainers=[trainer])
    other = make_activity()
    make_session(other, trainers=[trainer])
    assert services.warnings_for(other) == []


def test_warns_when_a_venue_is_double_booked_or_too_small(app_ctx):
    hall = make_venue(capacity=50, name="Hội trường UBND huyện Lộc Bình")
    first = make_activity(title="Lớp A", venue=hall, capacity=40)
    second = make_activity(title="Lớp B", venue=hall, capacity=70)
    make_session(first)
    make_session(second)
    warnings = [str(w) for w in services.warnings_for(second)]
    assert any("Địa điểm Hội trường UBND huyện Lộc Bình đã có “Lớp A”" in w for w in warnings)
    assert any("Số người dự kiến (70) vượt sức chứa" in w for w in warnings)


def test_warns_when_dates_leave_the_plan_year_or_pass_the_funding_deadline(app_ctx):
    plan = make_plan(year=2023)
    late = make_activity(plan=plan, start_date=date(2023, 12, 30))  # two days: ends on the deadline, 31/12
    later = make_activity(plan=plan, start_date=date(2024, 1, 8))
    assert services.warnings_for(late) == []
    warnings = [str(w) for w in services.warnings_for(later)]
    assert any("nằm ngoài năm của kế hoạch (2023)" in w for w in warnings)
    assert any("sau hạn sử dụng của nguồn" in w for w in warnings)


def test_warns_when_the_source_has_nothing_for_the_line(app_ctx):
    activity = make_activity(budget_line=budget_line("DA7.TDA1.02"), funding_source=funding_source("CN-2022"))
    assert any("chưa phân bổ cho dòng" in str(w) for w in services.warnings_for(activity))


# -- copy ----------------------------------------------------------------------------------------


def test_copy_plans_the_next_class_with_sessions_moved(app_ctx):
    trainer = make_trainer()
    original = make_activity(status=S.completed, start_date=date(2023, 5, 10))
    make_session(original, trainers=[trainer])
    make_session(original, day=1, afternoon=True)
    copy = services.copy_activity(original, date(2023, 6, 14), make_user(Role.organiser))
    assert (copy.status, copy.start_date, copy.end_date) == (S.draft, date(2023, 6, 14), date(2023, 6, 15))
    assert [s.starts_at for s in copy.sessions] == [datetime(2023, 6, 14, 7, 30), datetime(2023, 6, 15, 13, 30)]
    assert copy.sessions[0].trainers == [trainer]
    assert copy.copied_from_id == original.id


def test_study_tour_with_two_destinations(client, organiser):
    tour = make_activity(
        kind=ActivityKind.study_tour,
        destination_scope=DestinationScope.out_of_province,
        start_date=date(2023, 10, 10),
        end_date=date(2023, 10, 13),
    )
    for place, first, last in (
        ("Huyện Bát Xát, tỉnh Lào Cai", "10/10/2023", "11/10/2023"),
        ("Huyện Văn Chấn, tỉnh Yên Bái", "12/10/2023", "13/10/2023"),
    ):
        response = client.post(
            f"/activities/{tour.id}/destinations/new",
            data={"place": place, "host": "Sở LĐ-TB&XH", "start_date": first, "end_date": last},
        )
        assert response.status_code == 302
    page = client.post(
        f"/activities/{tour.id}/destinations/new",
        data={"place": "Hà Giang", "start_date": "14/10/2023", "end_date": "15/10/2023"},
    )
    assert "Ngày ở điểm đến phải nằm trong thời gian của chuyến đi." in page.get_data(as_text=True)
    db.session.refresh(tour)
    assert [(d.position, d.place) for d in tour.destinations] == [
        (1, "Huyện Bát Xát, tỉnh Lào Cai"),
        (2, "Huyện Văn Chấn, tỉnh Yên Bái"),
    ]
    assert "Huyện Văn Chấn, tỉnh Yên Bái" in client.get(f"/activities/{tour.id}").get_data(as_text=True)
