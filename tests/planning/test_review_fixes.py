"""Details that reviewers found: delegations, nested ids, dates, frozen activities, odd input."""

from datetime import date

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.errors import ValidationError
from app.extensions import db
from app.planning import services
from app.planning.models import ActivityKind, ActivityMember, ActivityStatus, Destination, DestinationScope, MemberRole
from tests.factories import commune_of, make_activity, make_person, make_session, make_trainer, make_user, make_venue


def test_a_second_leader_takes_over_and_the_first_becomes_a_member(app_ctx):
    tour = make_activity(kind=ActivityKind.study_tour, destination_scope=DestinationScope.in_province)
    organiser = make_user(Role.organiser)
    first, second = make_person(full_name="Hoàng Văn Đoàn"), make_person(full_name="Lương Thị Trưởng")
    services.add_member(tour, first.id, MemberRole.leader, organiser)
    services.add_member(tour, second.id, MemberRole.leader, organiser)
    roles = {m.person.full_name: m.role for m in tour.members}
    assert roles == {"Hoàng Văn Đoàn": MemberRole.member, "Lương Thị Trưởng": MemberRole.leader}
    with pytest.raises(ValidationError):
        services.add_member(tour, first.id, MemberRole.member, organiser)


def test_members_from_other_districts_are_counted_not_named_for_a_district_officer(client, auth):
    tour = make_activity(kind=ActivityKind.study_tour, destination_scope=DestinationScope.out_of_province)
    near = make_person(full_name="Vi Văn Lộc", unit=commune_of("188"))
    far = make_person(full_name="Mã Văn Cao", unit=commune_of("183"))
    db.session.add_all([ActivityMember(activity_id=tour.id, person_id=p.id) for p in (near, far)])
    db.session.flush()
    db.session.expire(tour)
    auth.login(make_user(Role.district, unit_code="188"))
    page = client.get(f"/activities/{tour.id}").get_data(as_text=True)
    assert "Vi Văn Lộc" in page and "Mã Văn Cao" not in page
    assert "và 1 thành viên thuộc đơn vị khác" in page


def test_the_member_picker_searches_the_registry(client, auth):
    tour = make_activity(kind=ActivityKind.study_tour, destination_scope=DestinationScope.in_province)
    make_person(full_name="Triệu Thị Tìm")
    auth.login(make_user(Role.organiser))
    page = client.get(f"/activities/{tour.id}?member_q=trieu thi").get_data(as_text=True)
    assert "Triệu Thị Tìm" in page


def test_ids_of_another_activity_are_not_found(client, auth):
    auth.login(make_user(Role.organiser))
    mine, other = (
        make_activity(),
        make_activity(kind=ActivityKind.study_tour, destination_scope=DestinationScope.in_province),
    )
    session = make_session(other)
    person = make_person()
    stop = Destination(activity_id=other.id, place="Bắc Sơn", start_date=other.start_date, end_date=other.start_date)
    member = ActivityMember(activity_id=other.id, person_id=person.id)
    db.session.add_all([stop, member])
    db.session.flush()
    for method, url in (
        ("GET", f"/activities/{mine.id}/sessions/{session.id}/edit"),
        ("POST", f"/activities/{mine.id}/sessions/{session.id}/delete"),
        ("GET", f"/activities/{mine.id}/destinations/{stop.id}/edit"),
        ("POST", f"/activities/{mine.id}/destinations/{stop.id}/delete"),
        ("POST", f"/activities/{mine.id}/members/{member.id}/delete"),
    ):
        assert client.open(url, method=method).status_code == 404, url
    assert db.session.get(Destination, stop.id) is not None


def test_new_dates_may_not_leave_sessions_outside(app_ctx):
    activity = make_activity(start_date=date(2023, 5, 10))
    make_session(activity, title="Sáng 10/05")
    data = {key: getattr(activity, key) for key in services.ACTIVITY_FIELDS} | {
        "kind": "training",
        "start_date": date(2023, 9, 5),
        "end_date": date(2023, 9, 6),
    }
    with pytest.raises(ValidationError) as raised:
        services.save_activity(activity, data, make_user(Role.organiser))
    assert "Sáng 10/05" in str(raised.value.fields["start_date"])
    db.session.refresh(activity)
    assert activity.start_date == date(2023, 5, 10)


def test_a_stop_can_be_removed(client, auth):
    auth.login(make_user(Role.organiser))
    tour = make_activity(kind=ActivityKind.study_tour, destination_scope=DestinationScope.in_province)
    stop = Destination(activity=tour, place="Bắc Sơn", start_date=tour.start_date, end_date=tour.start_date)
    db.session.add(stop)
    db.session.flush()
    assert client.post(f"/activities/{tour.id}/destinations/{stop.id}/delete").status_code == 302
    assert db.session.scalar(select(Destination).where(Destination.id == stop.id)) is None


def test_materials_stay_as_they_were_on_a_settled_activity(app_ctx):
    from app.errors import ConflictError
    from app.materials.services import attach, create_material

    organiser = make_user(Role.organiser)
    material = create_material({"title": "Sổ tay"}, "so-tay.pdf", b"%PDF-1.4 x", organiser)
    with pytest.raises(ConflictError):
        attach(make_activity(status=ActivityStatus.settled), material.id, None)


def test_warnings_inside_one_course_and_for_a_small_session_room(app_ctx):
    trainer = make_trainer(full_name="Nông Thị Thu Hà")
    room = make_venue(capacity=20, name="Phòng họp nhỏ")
    course = make_activity(capacity=60)
    make_session(course, title="Sáng A", trainers=[trainer])
    make_session(course, title="Sáng B", trainers=[trainer], venue=room)
    warnings = [str(w) for w in services.warnings_for(course)]
    assert sum("Giảng viên Nông Thị Thu Hà đã có lịch" in w for w in warnings) >= 1
    assert any("vượt sức chứa của Phòng họp nhỏ" in w for w in warnings)


def test_warns_when_two_activities_share_a_venue_before_any_session_exists(app_ctx):
    hall = make_venue(name="Hội trường chung")
    make_activity(title="Hội nghị A", venue=hall, start_date=date(2023, 7, 20))
    second = make_activity(title="Hội nghị B", venue=hall, start_date=date(2023, 7, 21))
    assert any("Hội trường chung đã có “Hội nghị A”" in str(w) for w in services.warnings_for(second))


@pytest.mark.parametrize("query", ["year=10000", "year=²", "unit_id=99999999999", "topic_id=²", "budget_line_id=-1"])
def test_odd_filters_are_ignored_not_a_crash(client, auth, query):
    auth.login(make_user(Role.organiser))
    assert client.get(f"/activities/?{query}").status_code == 200


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2023-13", "abc"])
def test_the_calendar_survives_any_month(client, auth, month):
    auth.login(make_user(Role.organiser))
    assert client.get(f"/activities/calendar?month={month}").status_code == 200


def test_copy_refuses_a_date_out_of_range(client, auth):
    auth.login(make_user(Role.organiser))
    activity = make_activity()
    response = client.post(f"/activities/{activity.id}/copy", data={"start_date": "31/12/9999"}, follow_redirects=True)
    assert "Nhập ngày bắt đầu trong khoảng năm 2000 đến 2100." in response.get_data(as_text=True)
