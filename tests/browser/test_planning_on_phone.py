"""An organiser plans a two-day course with four sessions on a phone; a leader approves it."""

import pytest

from tests.browser.conftest import LEADER, screenshot, sign_in
from tests.browser.test_people_on_phone import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

SESSIONS = [
    ("Sáng ngày thứ nhất", "12/06/2023", "07:30", "11:30"),
    ("Chiều ngày thứ nhất", "12/06/2023", "13:30", "17:00"),
    ("Sáng ngày thứ hai", "13/06/2023", "07:30", "11:30"),
    ("Chiều ngày thứ hai", "13/06/2023", "13:30", "17:00"),
]


def choose_option(page, select_id: str, text: str) -> None:
    value = page.locator(f"#{select_id} option", has_text=text).first.get_attribute("value")
    page.locator(f"#{select_id}").select_option(value)


def test_organiser_plans_a_two_day_course_and_a_leader_approves_it(live_server, phone):
    sign_in(phone, live_server)
    phone.get_by_text("Menu").click()
    phone.get_by_role("link", name="Hoạt động", exact=True).click()
    phone.get_by_role("link", name="+ Thêm hoạt động").click()
    assert no_horizontal_scroll(phone)

    phone.get_by_label("Tên hoạt động").fill("Tập huấn cán bộ giảm nghèo cấp xã huyện Đình Lập")
    phone.get_by_label("Từ ngày").fill("12/06/2023")
    phone.get_by_label("Đến ngày").fill("13/06/2023")
    phone.get_by_label("Số người dự kiến").fill("60")
    choose_option(phone, "budget_line_id", "DA7.TDA1.01")
    choose_option(phone, "funding_source_id", "Kinh phí sự nghiệp ngân sách trung ương năm 2023")
    phone.get_by_label("Dự toán (đồng)").fill("48.000.000")
    phone.get_by_role("button", name="Lưu", exact=True).click()
    phone.get_by_role("heading", name="Tập huấn cán bộ giảm nghèo cấp xã huyện Đình Lập").wait_for()

    phone.get_by_role("link", name="+ Thêm buổi").click()
    for index, (title, day, begin, end) in enumerate(SESSIONS):
        phone.get_by_label("Tên buổi").fill(title)
        phone.get_by_label("Ngày", exact=True).fill(day)
        phone.get_by_label("Bắt đầu").fill(begin)
        phone.get_by_label("Kết thúc").fill(end)
        last = index == len(SESSIONS) - 1
        phone.get_by_role("button", name="Lưu" if last else "Lưu và thêm buổi khác", exact=True).click()
        phone.get_by_text(f"Đã lưu buổi “{title}”.").wait_for()
    assert phone.get_by_role("heading", name="Các buổi (4)").is_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "activity-planned-phone")

    phone.get_by_role("button", name="Chuyển sang: Chờ phê duyệt").click()
    phone.get_by_text("Đã chuyển sang “Chờ phê duyệt”.").wait_for()
    activity_url = phone.url

    phone.get_by_text("Menu").click()
    phone.get_by_role("button", name="Đăng xuất", exact=False).click()
    sign_in(phone, live_server, *LEADER)
    phone.goto(activity_url)
    phone.get_by_role("button", name="Chuyển sang: Đã phê duyệt").click()
    phone.get_by_text("Đã chuyển sang “Đã phê duyệt”.").wait_for()
    assert phone.locator(".status-approved").first.is_visible()
    assert phone.get_by_text("Đàm Văn Chính: Chờ phê duyệt → Đã phê duyệt").is_visible()
    screenshot(phone, "activity-approved-phone")
