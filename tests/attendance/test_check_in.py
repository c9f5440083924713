"""Participants check in by scanning the session's rotating QR: codes, refusals, idempotency, devices."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.attendance import codes, services
from app.attendance.models import Attendance, Refusal
from app.extensions import db
from app.planning.models import ActivityStatus
from app.registration import services as registration
from app.registration.models import RegistrationRequest
from tests.attendance.conftest import START_UTC
from tests.factories import make_activity, make_person, make_session

JSON = {"Accept": "application/json"}


def code_now(session) -> str:
    return codes.current(session.id, services.now()).code


def post(client, session, code=None, **body):
    return client.post(f"/c/{session.id}/{code or code_now(session)}", json=body, headers=JSON)


def rows(session) -> int:
    return db.session.scalar(select(func.count(Attendance.id)).where(Attendance.session_id == session.id))


def refusals(code: str) -> int:
    return db.session.scalar(select(func.count(Refusal.id)).where(Refusal.code == code))


# -- the rotating code ------------------------------------------------------------------------------


def test_a_code_works_through_its_grace_then_expires(app, course, clock):
    _, session, _, _ = course
    step = app.config["ATTENDANCE_CODE_STEP_SECONDS"]
    grace = app.config["ATTENDANCE_CODE_GRACE_STEPS"]
    shown = clock.at(0)
    code = codes.current(session.id, shown)
    assert codes.check(session.id, code.code, shown) is None
    # Still good until the end of the grace period (a slow phone, a queue at the door) ...
    last_good = code.expires_at.replace(tzinfo=None) - timedelta(seconds=1)
    assert codes.check(session.id, code.code, last_good) is None
    # ... then expired: a photo sent to someone at home stops working.
    assert codes.check(session.id, code.code, code.expires_at.replace(tzinfo=None)) == "expired"
    assert (code.expires_at - code.refresh_at).total_seconds() == step * grace


def test_forged_mangled_future_and_other_session_codes_are_invalid(course, clock):
    activity, session, _, _ = course
    other = make_session(activity, afternoon=True)
    moment = clock.at(0)
    good = codes.current(session.id, moment).code
    step, mac = good.split(".")
    assert (
        codes.check(session.id, f"{step}.{mac[:-1]}A" if mac[-1] != "A" else f"{step}.{mac[:-1]}B", moment) == "invalid"
    )
    assert codes.check(session.id, f"{int(step) + 1}.{mac}", moment) == "invalid"  # step changed, MAC kept
    assert codes.check(other.id, good, moment) == "invalid"  # another session's code
    future = codes.current(session.id, clock.at(5))  # 5 minutes ahead: beyond clock-skew tolerance
    clock.at(0)
    assert codes.check(session.id, future.code, moment) == "invalid"
    for junk in ("", "abc", "12", ".x", "9" * 30 + ".x"):
        assert codes.check(session.id, junk, moment) == "invalid"


def test_a_form_opened_with_a_good_code_may_be_sent_after_the_code_rotated(client, course, clock):
    _, session, people, _ = course
    clock.at(-5)
    code = code_now(session)
    page = client.get(f"/c/{session.id}/{code}")
    assert page.status_code == 200
    ticket = page.get_data(as_text=True).split('name="ticket" value="')[1].split('"')[0]
    clock.at(-1)  # four minutes later: the code itself has expired
    late = client.post(f"/c/{session.id}/{code}", data={"phone": people[0].phone, "ticket": ticket})
    assert late.status_code == 200 and "đã điểm danh lúc" in late.get_data(as_text=True)
    assert rows(session) == 1
    # The ticket is bound to its session.
    other = make_session(course[0], afternoon=True)
    stolen = client.post(f"/c/{other.id}/{code}", data={"phone": people[1].phone, "ticket": ticket})
    assert stolen.status_code == 422 and rows(other) == 0


# -- checking in, once ----------------------------------------------------------------------------


def test_check_in_by_phone_then_a_second_scan_records_nothing(client, course, clock):
    _, session, people, _ = course
    clock.at(-10)
    first = post(client, session, phone="0912 000 001")
    assert first.status_code == 200
    body = first.get_json()
    assert body["status"] == "checked_in" and body["person"]["full_name"] == people[0].full_name
    assert body["checked_in_at"] == "2023-05-10T00:20:00+00:00" and body["late"] is False
    clock.at(3)
    again = post(client, session, id_number=people[0].id_number).get_json()
    assert again["status"] == "already_checked_in"
    assert again["checked_in_at"] == body["checked_in_at"] and again["checked_in_at_text"] == "07:20"
    assert rows(session) == 1


def test_the_same_nonce_twice_is_one_scan_with_the_first_answer(client, course, clock):
    _, session, people, _ = course
    clock.at(0)
    first = post(client, session, phone=people[0].phone, nonce="tap-1").get_json()
    retry = post(client, session, phone=people[0].phone, nonce="tap-1").get_json()
    assert first["status"] == retry["status"] == "checked_in" and retry["replayed"] is True
    assert rows(session) == 1
    stolen = post(client, session, phone=people[1].phone, nonce="tap-1")
    assert stolen.status_code == 409 and stolen.get_json()["error"]["code"] == "nonce_reused"
    assert rows(session) == 1


def test_late_arrivals_are_flagged_and_long_after_start_is_suspicious(app, client, course, clock):
    _, session, people, _ = course
    clock.at(app.config["ATTENDANCE_LATE_AFTER_MINUTES"] + 1)
    assert post(client, session, phone=people[0].phone).get_json()["late"] is True
    clock.at(app.config["ATTENDANCE_SUSPICIOUS_AFTER_MINUTES"] + 1)
    post(app.test_client(), session, phone=people[1].phone)  # another phone
    flags = dict(db.session.execute(select(Attendance.person_id, Attendance.flags)).all())
    assert flags[people[0].id] == [] and flags[people[1].id] == ["long_after_start"]


def test_the_phone_is_remembered_and_one_phone_for_two_people_is_flagged(app, client, course, clock):
    activity, session, people, _ = course
    clock.at(0)
    assert post(client, session, phone=people[0].phone).status_code == 200
    assert codes.DEVICE_COOKIE in client.get_cookie(codes.DEVICE_COOKIE).key
    # Next session: the page offers one tap, and one tap checks the same person in.
    afternoon = make_session(activity, afternoon=True)
    clock.at(6 * 60)  # 13:30
    page = client.get(f"/c/{afternoon.id}/{code_now(afternoon)}").get_data(as_text=True)
    assert f"Điểm danh: {people[0].full_name}" in page
    one_tap = post(client, afternoon, remembered="1").get_json()
    assert one_tap["status"] == "checked_in" and one_tap["person"]["full_name"] == people[0].full_name
    # The same phone then checks in someone else: recorded, but flagged for the organiser.
    other = post(client, afternoon, phone=people[1].phone).get_json()
    assert other["status"] == "checked_in"
    flagged = db.session.scalar(
        select(Attendance).where(Attendance.session_id == afternoon.id, Attendance.person_id == people[1].id)
    )
    assert flagged.flags == ["shared_device"]


def test_a_remembered_phone_tapping_again_hears_already_and_a_retry_gets_the_first_answer(client, course, clock):
    _, session, people, _ = course
    clock.at(0)
    assert post(client, session, phone=people[0].phone, nonce="typed").status_code == 200
    clock.at(2)
    again = post(client, session, remembered="1", nonce="tap-2").get_json()
    assert again["status"] == "already_checked_in" and again["checked_in_at_text"] == "07:30"
    retry = post(client, session, remembered="1", nonce="typed").get_json()
    assert retry["status"] == "checked_in" and retry["replayed"] is True
    assert rows(session) == 1


def test_a_remembered_phone_of_someone_not_on_this_list_is_refused(client, course, clock, app_ctx):
    activity, session, people, _ = course
    clock.at(0)
    assert post(client, session, phone=people[0].phone).status_code == 200
    other_class = make_activity(status=ActivityStatus.open, title="Lớp khác")
    other_session = make_session(other_class)
    refused = post(client, other_session, remembered="1")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_enrolled"
    assert rows(other_session) == 0 and refusals("not_enrolled") == 1


def test_a_forged_device_cookie_is_ignored(client, course, clock):
    _, session, people, _ = course
    clock.at(0)
    client.set_cookie(codes.DEVICE_COOKIE, "eyJkIjoieCIsInAiOjF9.forged.sig")
    response = post(client, session, remembered="1")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "identity_required"
    assert rows(session) == 0


# -- every refusal has its code, changes nothing and is logged ---------------------------------------


def test_expired_and_invalid_codes_are_refused_and_logged(client, course, clock):
    _, session, people, _ = course
    clock.at(-20)
    old = code_now(session)
    clock.at(0)
    expired = post(client, session, code=old, phone=people[0].phone)
    assert expired.status_code == 422 and expired.get_json()["error"]["code"] == "expired"
    forged = post(client, session, code="123.abc", phone=people[0].phone)
    assert forged.get_json()["error"]["code"] == "invalid"
    page = client.get(f"/c/{session.id}/123.abc")
    assert page.status_code == 422 and "Mã điểm danh không hợp lệ" in page.get_data(as_text=True)
    assert rows(session) == 0
    assert (refusals("expired"), refusals("invalid")) == (1, 2)


def test_an_unknown_session_is_invalid(client, course, clock):
    clock.at(0)
    response = client.post("/c/999999/1.abc", json={"phone": "0912000001"}, headers=JSON)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(
    ("minutes", "accepted"),
    [(-31, False), (-29, True), (0, True), (239, True), (241, False)],
)
def test_the_check_in_window_runs_from_half_an_hour_before_to_the_end(client, course, clock, minutes, accepted):
    _, session, people, _ = course
    clock.at(minutes)
    response = post(client, session, phone=people[0].phone)
    if accepted:
        assert response.status_code == 200
    else:
        assert response.status_code == 422 and response.get_json()["error"]["code"] == "outside_window"
        assert "07:00" in response.get_json()["error"]["message"]  # says when the window opens
        assert refusals("outside_window") == 1


def test_people_the_list_does_not_have_are_refused_with_their_reason(client, course, clock, organiser):
    activity, session, people, enrolments = course
    clock.at(0)
    stranger = post(client, session, phone="0987654321")
    assert stranger.get_json()["error"]["code"] == "unknown_person"
    waiting = post(client, session, phone=people[3].phone)
    assert waiting.status_code == 409 and waiting.get_json()["error"]["code"] == "waitlisted"
    registration.cancel(enrolments[2], organiser, "Ốm")
    cancelled = post(client, session, phone=people[2].phone)
    assert cancelled.status_code == 409 and cancelled.get_json()["error"]["code"] == "cancelled"
    outsider = make_person(phone="0912999999")
    not_enrolled = post(client, session, phone=outsider.phone)
    assert not_enrolled.get_json()["error"]["code"] == "not_enrolled"
    assert rows(session) == 0
    logged = db.session.scalar(select(Refusal).where(Refusal.code == "not_enrolled"))
    assert logged.person_id == outsider.id and logged.method == "self_scan"


def test_one_phone_shared_by_two_registered_people_asks_for_the_id_number(client, course, clock):
    _, session, people, _ = course
    people[1].phone = people[0].phone
    db.session.flush()
    clock.at(0)
    shared = post(client, session, phone=people[0].phone)
    assert shared.get_json()["error"]["code"] == "ambiguous"
    assert post(client, session, id_number=people[1].id_number).get_json()["status"] == "checked_in"


@pytest.mark.parametrize(
    ("status", "code"),
    [(ActivityStatus.draft, "not_open"), (ActivityStatus.cancelled, "not_open"), (ActivityStatus.settled, "frozen")],
)
def test_activities_not_running_refuse_check_ins(client, course, clock, status, code):
    activity, session, people, _ = course
    activity.status = status
    db.session.flush()
    clock.at(0)
    response = post(client, session, phone=people[0].phone)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == code
    assert rows(session) == 0


def test_a_walk_in_asks_at_the_door_and_approval_counts_them_present(client, auth, course, clock, organiser):
    activity, session, _, _ = course
    activity.capacity = 10
    outsider = make_person(phone="0912888888")
    clock.at(2)
    code = code_now(session)
    refused = client.post(
        f"/c/{session.id}/{code}", data={"phone": outsider.phone, "ticket": codes.ticket_for(session.id)}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Đề nghị tham dự" in page
    ticket = page.split('name="ticket" value="')[1].split('"')[0]
    sent = client.post(f"/c/{session.id}/walk-in", data={"ticket": ticket, "phone": outsider.phone})
    assert sent.status_code == 200 and "Đã gửi đề nghị" in sent.get_data(as_text=True)
    client.post(f"/c/{session.id}/walk-in", data={"ticket": ticket, "phone": outsider.phone})  # pressed twice
    requests = db.session.scalars(
        select(RegistrationRequest).where(RegistrationRequest.matched_person_id == outsider.id)
    ).all()
    assert len(requests) == 1 and requests[0].walk_in_session_id == session.id
    auth.login(organiser)
    clock.at(20)
    decided = client.post(f"/activities/{activity.id}/requests/{requests[0].id}/decide", data={"decision": "approve"})
    assert decided.status_code == 302
    attendance = db.session.scalar(select(Attendance).where(Attendance.person_id == outsider.id))
    assert attendance.method.value == "walk_in" and attendance.session_id == session.id
    assert attendance.checked_in_at == START_UTC + timedelta(minutes=2)  # when they asked, not when approved


def test_a_walk_in_needs_a_ticket_from_a_valid_scan(client, course, clock):
    _, session, _, _ = course
    outsider = make_person(phone="0912777777")
    response = client.post(f"/c/{session.id}/walk-in", data={"ticket": "forged", "phone": outsider.phone})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(RegistrationRequest.id))) == 0


def test_the_check_in_form_needs_its_csrf_token_when_csrf_is_on(app, client, course, clock):
    _, session, people, _ = course
    clock.at(0)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/c/{session.id}/{code_now(session)}", data={"phone": people[0].phone})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and rows(session) == 0


def test_a_phone_over_the_rate_limit_gets_a_json_answer_it_can_read(app, client, course, clock):
    _, session, people, _ = course
    clock.at(0)
    app.config["CHECKIN_RATE_LIMIT"] = "2 per minute"
    try:
        answers = [post(client, session, phone=people[0].phone) for _ in range(3)]
    finally:
        app.config["CHECKIN_RATE_LIMIT"] = "10000 per minute"
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    error = answers[2].get_json()["error"]
    assert error["code"] == "rate_limited" and "thử lại sau" in error["message"]
    assert rows(session) == 1


def test_an_activity_not_yet_approved_says_so_when_the_page_opens(client, clock, app_ctx):
    session = make_session(make_activity(status=ActivityStatus.submitted))
    clock.at(0)
    page = client.get(f"/c/{session.id}/{code_now(session)}")
    assert page.status_code == 409 and "chưa được phê duyệt" in page.get_data(as_text=True)
    assert refusals("not_open") == 1


def test_a_walk_in_who_was_enrolled_meanwhile_is_told_to_scan_again(client, course, clock, organiser):
    activity, session, _, _ = course
    activity.capacity = 10
    newcomer = make_person(phone="0912555555")
    clock.at(1)
    ticket = codes.ticket_for(session.id)
    registration.enrol(activity, newcomer, organiser)  # the organiser added them at the desk
    page = client.post(f"/c/{session.id}/walk-in", data={"ticket": ticket, "phone": newcomer.phone})
    assert page.status_code == 200 and "Hãy quét lại mã QR" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RegistrationRequest.id))) == 0
