"""Check-in at the door: a phone opens the URL decoded from the display's QR; the organiser's scanner queues offline.

The display page's QR image is decoded with a real decoder (zbar), as a phone's camera would;
the live app's BASE_URL points elsewhere, so the decoded URL's path is kept and its host
replaced by the live server's.
"""

import re
import secrets
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.attendance import services as attendance
from app.attendance.models import Attendance, Method
from app.auth.models import User
from app.core.time import utcnow
from app.extensions import db
from app.people.models import Gender
from app.planning.models import ActivitySession, ActivityStatus
from app.registration import services as registration
from tests.browser.conftest import ORGANISER, screenshot, sign_in
from tests.browser.test_people_on_phone import no_horizontal_scroll
from tests.conftest import skip_or_fail
from tests.factories import make_activity, make_person

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

TIMEOUT = 30_000  # ms: the display polls once per code step (20 s)


def decode_qr(png: bytes) -> str:
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        skip_or_fail("zbarimg is not installed (apt-get install zbar-tools)", "REQUIRE_BROWSER")
    run = subprocess.run([zbarimg, "--quiet", "--raw", "-"], input=png, capture_output=True, check=True)
    return run.stdout.decode().strip()


def open_session(live_app, *people: tuple[str, Gender]) -> dict:
    """An open activity with a session running now (Vietnam time) and these people registered."""
    with live_app.test_request_context():
        organiser = db.session.scalar(select(User).where(User.username == ORGANISER[0]))
        now_vn = attendance.local(utcnow())
        activity = make_activity(status=ActivityStatus.open, start_date=now_vn.date(), capacity=10)
        session = ActivitySession(
            activity=activity,
            title="Buổi khai giảng",
            starts_at=now_vn - timedelta(minutes=5),
            ends_at=now_vn + timedelta(hours=2),
        )
        db.session.add(session)
        db.session.flush()
        enrolled = []
        for full_name, gender in people:
            digits = f"{secrets.randbelow(10**8):08d}"
            person = make_person(full_name=full_name, gender=gender, phone="09" + digits, id_number="0201" + digits)
            enrolment = registration.enrol(activity, person, organiser)
            enrolled.append(
                {"id": person.id, "name": person.full_name, "phone": person.phone, "qr": enrolment.qr_payload}
            )
        db.session.commit()
        data = {"activity_id": activity.id, "session_id": session.id, "title": activity.title, "people": enrolled}
        db.session.remove()
    return data


def attendance_rows(live_app, session_id: int, person_id: int) -> list[tuple]:
    with live_app.app_context():
        rows = db.session.execute(
            select(Attendance.method, Attendance.checked_in_at).where(
                Attendance.session_id == session_id, Attendance.person_id == person_id
            )
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def checkin_url_from_display(display, live_server: str, session_id: int) -> str:
    """Decode the QR the display shows now; check the path, aim the URL at the live server."""
    image = display.locator("#checkin-qr")
    image.wait_for()
    decoded = decode_qr(image.screenshot())
    path = urlsplit(decoded).path
    assert re.fullmatch(rf"/c/{session_id}/\d+\.[A-Za-z0-9_-]+", path), decoded
    assert not urlsplit(decoded).query and not urlsplit(decoded).fragment
    return live_server + path


def test_a_participant_checks_in_from_the_display_qr_and_a_second_tap_says_already(
    live_server, live_app, browser, phone
):
    data = open_session(live_app, ("Lăng Thị Hoa", Gender.female))
    session_id, (hoa,) = data["session_id"], data["people"]

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    display = desk.new_page()
    sign_in(display, live_server)
    display.goto(f"{live_server}/sessions/{session_id}/display")
    assert display.get_by_role("heading", name=data["title"]).is_visible()
    assert (display.locator("#present").inner_text(), display.locator("#enrolled").inner_text()) == ("0", "1")
    assert display.locator("#women").inner_text() == "0"
    url = checkin_url_from_display(display, live_server, session_id)

    # The participant's phone opens the decoded URL (twice: a second tab keeps the form open).
    phone.goto(url)
    assert phone.get_by_role("heading", name="Điểm danh").is_visible()
    assert phone.get_by_text(data["title"]).is_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "checkin-form-phone")
    second_tab = phone.context.new_page()
    second_tab.goto(url)

    phone.get_by_label("Số điện thoại").fill(hoa["phone"])
    phone.get_by_role("button", name="Điểm danh", exact=True).click()
    phone.get_by_role("heading", name="Đã điểm danh").wait_for()
    ((method, checked_in_at),) = attendance_rows(live_app, session_id, hoa["id"])
    assert method is Method.self_scan
    at = attendance.local(checked_in_at).strftime("%H:%M")  # shown in Vietnam time
    assert phone.get_by_role("status").inner_text().strip() == f"{hoa['name']} đã điểm danh lúc {at}."
    assert no_horizontal_scroll(phone)
    screenshot(phone, "checkin-done-phone")
    assert any(cookie["name"] == "da7_device" for cookie in phone.context.cookies())

    # A second tap on the same phone, from the form still open in the other tab.
    second_tab.get_by_label("Số điện thoại").fill(hoa["phone"])
    second_tab.get_by_role("button", name="Điểm danh", exact=True).click()
    second_tab.get_by_role("heading", name="Bạn đã điểm danh rồi").wait_for()
    message = f"{hoa['name']} đã điểm danh lúc {at}; không ghi thêm lần nữa."
    assert second_tab.get_by_role("status").inner_text().strip() == message
    assert no_horizontal_scroll(second_tab)
    screenshot(second_tab, "checkin-already-phone")
    second_tab.close()

    # Scanning the display again (the remembered phone): it says so, with nothing left to tap.
    phone.goto(checkin_url_from_display(display, live_server, session_id))
    assert phone.get_by_role("status").inner_text().strip() == f"{hoa['name']} đã điểm danh lúc {at}."
    assert phone.get_by_role("button", name=re.compile("^Điểm danh")).count() == 0
    assert no_horizontal_scroll(phone)
    screenshot(phone, "checkin-reopened-phone")

    assert attendance_rows(live_app, session_id, hoa["id"]) == [(Method.self_scan, checked_in_at)]
    with live_app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id)).where(Attendance.session_id == session_id)) == 1
        db.session.remove()

    # The door screen's count follows without a reload.
    from playwright.sync_api import expect

    expect(display.locator("#present")).to_have_text("1", timeout=TIMEOUT)
    expect(display.locator("#women")).to_have_text("1", timeout=TIMEOUT)
    screenshot(display, "checkin-display-desktop")
    desk.close()


def test_the_organisers_scanner_queues_scans_while_offline_and_sends_them_later(live_server, live_app, phone):
    from playwright.sync_api import expect

    data = open_session(live_app, ("Vi Văn Tâm", Gender.male), ("Hà Thị Lan", Gender.female))
    session_id, (tam, lan) = data["session_id"], data["people"]

    sign_in(phone, live_server)
    phone.goto(f"{live_server}/sessions/{session_id}/scanner")
    assert phone.get_by_role("heading", name="Quét mã cá nhân").is_visible()
    assert no_horizontal_scroll(phone)
    field = phone.get_by_label("Mã QR (máy quét gõ vào đây)")
    result = phone.locator("#last-result")

    field.fill(tam["qr"])
    field.press("Enter")
    expect(result).to_contain_text("Đã điểm danh", timeout=TIMEOUT)
    expect(result).to_contain_text(tam["name"])
    expect(phone.locator("#present")).to_have_text("1")
    assert [m for m, _ in attendance_rows(live_app, session_id, tam["id"])] == [Method.personal_qr]
    screenshot(phone, "scanner-phone")

    phone.context.set_offline(True)
    field.fill(lan["qr"])
    field.press("Enter")
    queue = phone.locator("#queue-state")
    expect(queue).to_have_text("Mất mạng: đã lưu 1 lượt quét, sẽ gửi khi có mạng.", timeout=TIMEOUT)
    # The card says this scan waits: never the previous person's green "checked in".
    expect(result).to_have_text("Đã lưu lượt quét, đang chờ gửi…")
    assert attendance_rows(live_app, session_id, lan["id"]) == []
    assert no_horizontal_scroll(phone)
    screenshot(phone, "scanner-offline-phone")

    phone.context.set_offline(False)
    expect(result).to_contain_text(lan["name"], timeout=TIMEOUT)
    expect(result).to_contain_text("Đã điểm danh")
    expect(queue).to_have_text("")
    expect(phone.locator("#present")).to_have_text("2")
    assert [m for m, _ in attendance_rows(live_app, session_id, lan["id"])] == [Method.personal_qr]
    assert phone.evaluate(f"localStorage.getItem('da7-scan-queue-{session_id}')") == "[]"

    # Scanning the first card again says when they came; still one row.
    field.fill(tam["qr"])
    field.press("Enter")
    expect(result).to_contain_text("Đã điểm danh trước đó lúc", timeout=TIMEOUT)
    assert len(attendance_rows(live_app, session_id, tam["id"])) == 1
