"""The organiser's side: scanning personal QR codes (live and from an offline queue), marking by
hand, corrections, lists and exports, and who may see what."""

import io
import subprocess
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from app.attendance import codes, services
from app.attendance.models import Attendance, Method, Refusal
from app.audit.models import AuditEntry
from app.auth.models import Role
from app.extensions import db
from app.planning.models import ActivityStatus
from app.registration import services as registration
from tests.attendance.conftest import START_UTC
from tests.factories import make_activity, make_person, make_session, make_user
from tests.registration.test_letters import tool


def scan(api, organiser, session, code, **extra):
    return api("POST", "/checkins", organiser, json={"session_id": session.id, "code": code, **extra})


def iso(moment) -> str:
    return moment.isoformat() + "+00:00"


def present(session) -> set[int]:
    return set(db.session.scalars(select(Attendance.person_id).where(Attendance.session_id == session.id)))


# -- the organiser's scanner --------------------------------------------------------------------------


def test_scanning_a_personal_qr_checks_in_and_shows_who_it_is(api, course, clock, organiser):
    _, session, people, enrolments = course
    clock.at(5)
    response = scan(api, organiser, session, enrolments[0].qr_payload, nonce="s-1")
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "checked_in" and body["method"] == "personal_qr"
    person = body["person"]
    assert person["full_name"] == people[0].full_name and person["birth_year"] == 1985
    assert person["id_last_digits"] == "001" and person["unit"] == people[0].unit.full_name
    again = scan(api, organiser, session, enrolments[0].qr_payload, nonce="s-2")
    assert again.status_code == 200 and again.get_json()["status"] == "already_checked_in"
    retry = scan(api, organiser, session, enrolments[0].qr_payload, nonce="s-1")
    assert retry.status_code == 200 and retry.get_json()["replayed"] is True
    recorded = db.session.scalar(select(Attendance))
    assert recorded.recorded_by_id == organiser.id and present(session) == {people[0].id}


def test_scanner_refusals_have_codes_and_are_logged(api, course, clock, organiser):
    activity, session, people, enrolments = course
    clock.at(0)
    other_course = make_activity(status=ActivityStatus.open)
    elsewhere = registration.enrol(other_course, people[0], organiser)
    cases = {
        "invalid": "DA7E1:not-a-token",
        "wrong_session": elsewhere.qr_payload,
        "waitlisted": enrolments[3].qr_payload,
    }
    for code, payload in cases.items():
        response = scan(api, organiser, session, payload)
        assert response.get_json()["error"]["code"] == code, code
    registration.cancel(enrolments[1], organiser, "Chuyển công tác")
    assert scan(api, organiser, session, enrolments[1].qr_payload).get_json()["error"]["code"] == "cancelled"
    clock.at(5 * 60)
    late = scan(api, organiser, session, enrolments[0].qr_payload)
    assert late.get_json()["error"]["code"] == "outside_window"
    logged = dict(db.session.execute(select(Refusal.code, func.count()).group_by(Refusal.code)).all())
    assert logged == {"invalid": 1, "wrong_session": 1, "waitlisted": 1, "cancelled": 1, "outside_window": 1}
    assert present(session) == set()


def test_an_offline_queue_replayed_later_keeps_the_scan_times_and_reports_conflicts(
    client, auth, course, clock, organiser
):
    _, session, people, enrolments = course
    # A phone at the door checked people[1] in itself at 07:35.
    clock.at(5)
    services.self_check_in(session, enrolments[1], device_id="phone-1")
    # The scanner lost the network at 07:40; its queue goes out at 12:10, after the session.
    queue = [
        {"nonce": "q-1", "code": enrolments[0].qr_payload, "scanned_at": iso(START_UTC + timedelta(minutes=10))},
        {"nonce": "q-2", "code": enrolments[1].qr_payload, "scanned_at": iso(START_UTC + timedelta(minutes=12))},
        {"nonce": "q-3", "code": enrolments[2].qr_payload, "scanned_at": iso(START_UTC + timedelta(minutes=30))},
        {"nonce": "q-4", "code": "DA7E1:garbage", "scanned_at": iso(START_UTC + timedelta(minutes=31))},
    ]
    auth.login(organiser)
    clock.at(4 * 60 + 40)
    first = client.post(f"/sessions/{session.id}/scans", json={"scans": queue})
    assert first.status_code == 200
    results = {r["nonce"]: r for r in first.get_json()["results"]}
    assert results["q-1"]["status"] == "checked_in" and results["q-1"]["checked_in_at"] == iso(
        START_UTC + timedelta(minutes=10)
    )
    assert results["q-2"]["status"] == "already_checked_in" and results["q-2"]["method"] == "self_scan"
    assert results["q-3"]["status"] == "checked_in" and results["q-3"]["late"] is True
    assert results["q-4"]["status"] == "refused" and results["q-4"]["code"] == "invalid"
    # The network dropped before the answer arrived: the scanner sends the same queue again.
    second = client.post(f"/sessions/{session.id}/scans", json={"scans": queue}).get_json()["results"]
    assert [r["status"] for r in second] == ["checked_in", "already_checked_in", "checked_in", "refused"]
    assert all(r.get("replayed") for r in second if r["status"] == "checked_in")
    assert present(session) == {people[0].id, people[1].id, people[2].id}
    assert first.get_json()["counts"]["present"] == 3


def test_a_queued_scan_too_old_or_badly_timed_is_refused(api, course, clock, organiser):
    _, session, _, enrolments = course
    clock.at(4 * 24 * 60)  # four days later
    old = scan(api, organiser, session, enrolments[0].qr_payload, scanned_at=iso(START_UTC))
    assert old.get_json()["error"]["code"] == "too_old"
    clock.at(0)
    bad = scan(api, organiser, session, enrolments[0].qr_payload, scanned_at="yesterday morning")
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]["scanned_at"]


def test_a_scanner_clock_running_ahead_does_not_move_arrivals_forward(api, course, clock, organiser):
    _, session, _, enrolments = course
    clock.at(1)
    body = scan(
        api, organiser, session, enrolments[0].qr_payload, scanned_at=iso(START_UTC + timedelta(hours=2))
    ).get_json()
    assert body["checked_in_at"] == iso(START_UTC + timedelta(minutes=1)) and body["late"] is False


def test_scan_batches_are_bounded_and_need_a_list(client, auth, course, organiser):
    _, session, _, _ = course
    auth.login(organiser)
    assert client.post(f"/sessions/{session.id}/scans", json={"scans": []}).status_code == 400
    assert client.post(f"/sessions/{session.id}/scans", data="not json").status_code == 400
    too_many = [{"nonce": str(i), "code": "x"} for i in range(501)]
    assert client.post(f"/sessions/{session.id}/scans", json={"scans": too_many}).status_code == 400


# -- by hand, and corrections ---------------------------------------------------------------------------


def test_marking_by_hand_needs_a_reason_and_is_audited(client, auth, course, clock, organiser):
    _, session, people, _ = course
    auth.login(organiser)
    clock.at(0)
    url = f"/sessions/{session.id}/attendance/mark"
    client.post(url, data={"person_id": [people[0].id], "reason": "  "})
    assert present(session) == set()
    client.post(url, data={"person_id": [people[0].id, people[1].id], "reason": "Điện thoại hết pin"})
    assert present(session) == {people[0].id, people[1].id}
    marked = db.session.scalar(select(Attendance).where(Attendance.person_id == people[0].id))
    assert (marked.method, marked.reason, marked.recorded_by_id) == (Method.manual, "Điện thoại hết pin", organiser.id)
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "attendance.create"))
    assert audit.actor_id == organiser.id and audit.after["reason"] == "Điện thoại hết pin"


def test_paper_sheet_entries_afterwards_count_from_the_start(client, auth, course, clock, organiser):
    _, session, people, _ = course
    auth.login(organiser)
    clock.at(2 * 24 * 60)  # two days later, from the signed sheet
    client.post(
        f"/sessions/{session.id}/attendance/mark",
        data={"person_id": [people[2].id], "reason": "Theo danh sách ký ngày 10/05", "paper": "1"},
    )
    marked = db.session.scalar(select(Attendance).where(Attendance.person_id == people[2].id))
    assert marked.method is Method.paper and marked.checked_in_at == START_UTC and marked.late is False


def test_people_not_on_the_list_cannot_be_marked(client, auth, course, clock, organiser):
    _, session, people, _ = course
    auth.login(organiser)
    clock.at(0)
    outsider = make_person()
    client.post(
        f"/sessions/{session.id}/attendance/mark", data={"person_id": [outsider.id, people[3].id], "reason": "x"}
    )
    assert present(session) == set()  # one refused: none recorded (one transaction)


def test_a_correction_needs_a_reason_keeps_the_record_in_the_audit_log(client, auth, course, clock, organiser):
    _, session, people, enrolments = course
    clock.at(0)
    wrong = services.self_check_in(session, enrolments[0], device_id="d").attendance
    auth.login(organiser)
    url = f"/sessions/{session.id}/attendance/{wrong.id}/remove"
    client.post(url, data={"reason": ""})
    assert present(session) == {people[0].id}
    client.post(url, data={"reason": "Quét nhầm người"})
    assert present(session) == set()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "attendance.remove"))
    assert entry.before["person_id"] == people[0].id and entry.before["method"] == "self_scan"
    assert entry.after["person_id"] is None and entry.after["reason"] == "Quét nhầm người"


def test_a_settled_activity_freezes_attendance(client, auth, course, clock, organiser):
    activity, session, people, enrolments = course
    clock.at(0)
    kept = services.self_check_in(session, enrolments[0], device_id="d").attendance
    activity.status = ActivityStatus.settled
    db.session.flush()
    auth.login(organiser)
    client.post(f"/sessions/{session.id}/attendance/{kept.id}/remove", data={"reason": "Sửa"})
    client.post(f"/sessions/{session.id}/attendance/mark", data={"person_id": [people[1].id], "reason": "Sửa"})
    assert present(session) == {people[0].id}


def test_a_session_with_attendance_cannot_be_deleted(app_ctx, course, clock):
    from app.errors import ConflictError
    from app.planning.services import delete_session

    activity, session, _, enrolments = course
    clock.at(0)
    services.self_check_in(session, enrolments[0], device_id="d")
    activity.status = ActivityStatus.draft
    with pytest.raises(ConflictError) as raised:
        delete_session(session)
    assert raised.value.code == "has_attendance"


# -- lists, figures, exports ------------------------------------------------------------------------------


def test_counts_by_gender_level_and_unit_add_up(client, auth, course, clock, organiser):
    activity, session, people, enrolments = course
    clock.at(0)
    for enrolment in enrolments[:3]:
        services.self_check_in(session, enrolment, device_id=f"d{enrolment.id}")
    counts = services.counts(session)
    assert (counts.present, counts.enrolled, counts.women_present) == (3, 3, 2)
    from app.attendance.reports import breakdown

    groups = breakdown([p for p in people[:3]])
    for key in ("gender", "level", "unit"):
        assert sum(n for _, n in groups[key]) == 3
    assert dict(groups["gender"]) == {"Nữ": 2, "Nam": 1}
    auth.login(organiser)
    page = client.get(f"/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "3 / 3" in page and people[0].full_name in page


def test_attendance_rates_across_sessions(app_ctx, course, clock):
    from app.attendance.reports import activity_rates

    activity, session, people, enrolments = course
    afternoon = make_session(activity, afternoon=True)
    clock.at(0)
    services.self_check_in(session, enrolments[0], device_id="a")
    services.self_check_in(session, enrolments[1], device_id="b")
    clock.at(6 * 60)
    services.self_check_in(afternoon, enrolments[0], device_id="a")
    sessions, rates = activity_rates(activity)
    assert [s.id for s in sessions] == [session.id, afternoon.id]
    by_person = {row.person.id: (row.attended, row.rate) for row in rates}
    assert by_person[people[0].id] == ([True, True], 1.0)
    assert by_person[people[1].id] == ([True, False], 0.5)
    assert by_person[people[2].id] == ([False, False], 0.0)
    assert people[3].id not in by_person  # still waiting for a seat


def test_exports_and_the_sign_in_sheet(client, auth, course, clock, organiser, tmp_path):
    activity, session, people, enrolments = course
    people[0].full_name = '=HYPERLINK("x")'
    clock.at(0)
    services.self_check_in(session, enrolments[1], device_id="a")
    auth.login(organiser)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/sessions/{session.id}/attendance.xlsx").data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:6] == ["STT", "Họ và tên", "Giới tính", "Năm sinh", "Đơn vị", "Có mặt"]
    assert sorted(row[5] for row in values[1:]) == ["Có", "Vắng", "Vắng"]
    assert all(not str(row[1]).startswith("=") for row in values[1:])  # formulas neutralised
    rates = openpyxl.load_workbook(io.BytesIO(client.get(f"/activities/{activity.id}/attendance.xlsx").data)).active
    assert [c.value for c in next(rates.iter_rows())][-2:] == ["Số buổi có mặt", "Tỷ lệ có mặt"]
    pdf = client.get(f"/sessions/{session.id}/sign-in-sheet.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(
        [tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "DANH SÁCH ĐIỂM DANH" in text and "Ký tên" in text and people[1].full_name in text


# -- who may see and do what --------------------------------------------------------------------------------


def test_a_district_officer_sees_only_their_people(client, auth, api, app_ctx, clock, organiser):
    from tests.factories import unit

    activity = make_activity(status=ActivityStatus.open)
    session = make_session(activity)
    mine = make_person(district_code="188", phone="0912100001")  # Lộc Bình
    theirs = make_person(district_code="178", phone="0912100002")
    for person in (mine, theirs):
        services.self_check_in(session, registration.enrol(activity, person, organiser), device_id=str(person.id))
    officer = make_user(Role.district, unit=unit("188"))
    listed = api("GET", f"/sessions/{session.id}/attendance", officer).get_json()
    assert [row["person_id"] for row in listed["items"]] == [mine.id]
    auth.login(officer)
    page = client.get(f"/sessions/{session.id}/attendance").get_data(as_text=True)
    assert mine.full_name in page and theirs.full_name not in page
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/sessions/{session.id}/attendance.xlsx").data)).active
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [mine.full_name]
    # Running the door is the organisers' job.
    assert client.get(f"/sessions/{session.id}/display").status_code == 403
    attendance = db.session.scalar(select(Attendance).where(Attendance.person_id == theirs.id))
    assert (
        client.post(f"/sessions/{session.id}/attendance/{attendance.id}/remove", data={"reason": "x"}).status_code
        == 403
    )


def test_the_api_gives_the_rotating_code_to_organisers_only(api, course, clock, organiser):
    _, session, _, _ = course
    clock.at(0)
    body = api("GET", f"/sessions/{session.id}/checkin-code", organiser).get_json()
    path = body["url"].split("://", 1)[1].split("/", 1)[1]
    session_id, code = path.split("/")[1:3]
    assert int(session_id) == session.id and codes.check(session.id, code, services.now()) is None
    assert body["expires_at"] > body["refresh_at"]
    image = api("GET", f"/sessions/{session.id}/qr.png", organiser)
    assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"
    leader = make_user(Role.leader)
    assert api("GET", f"/sessions/{session.id}/checkin-code", leader).status_code == 403
    assert api("GET", f"/sessions/{session.id}/attendance", leader).status_code == 200
