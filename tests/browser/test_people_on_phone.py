"""An organiser on a phone signs in, opens the people list and finds Nguyễn Thị Hường by typing "huong"."""

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_organiser_finds_huong_on_a_phone(live_server, phone):
    sign_in(phone, live_server)
    screenshot(phone, "home-phone")

    phone.get_by_text("Menu").click()
    phone.get_by_role("link", name="Danh sách người").click()
    phone.wait_for_url(f"{live_server}/people/")
    assert no_horizontal_scroll(phone)

    phone.get_by_placeholder("Tên (không cần dấu)", exact=False).fill("huong")
    phone.get_by_role("button", name="Tìm", exact=True).click()
    phone.wait_for_url("**/people/?q=huong**")

    result = phone.get_by_role("link", name="Nguyễn Thị Hường")
    assert result.first.is_visible()
    screenshot(phone, "people-search-phone")

    result.first.click()
    assert phone.get_by_role("heading", name="Nguyễn Thị Hường").is_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "person-detail-phone")


def test_person_form_on_a_phone_reports_errors_in_vietnamese(live_server, phone):
    sign_in(phone, live_server)
    phone.goto(f"{live_server}/people/new")
    assert no_horizontal_scroll(phone)
    phone.get_by_label("Họ và tên").fill("<script>alert(1)</script>")
    phone.get_by_label("Số định danh cá nhân (CCCD)").fill("0201850012345")
    phone.get_by_label("Số điện thoại").fill("09abc")
    phone.get_by_role("button", name="Lưu").click()

    assert phone.get_by_text("Họ và tên chỉ gồm chữ cái và khoảng trắng.").is_visible()
    assert phone.get_by_text("Số định danh cá nhân phải có đúng 12 chữ số (đang có 13).").is_visible()
    assert phone.get_by_text("Số điện thoại chỉ gồm chữ số", exact=False).is_visible()
    assert phone.get_by_label("Họ và tên").input_value() == "<script>alert(1)</script>"
    screenshot(phone, "person-form-errors-phone")


def test_login_page_fits_a_360_px_screen_and_switches_to_english(live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Log in").is_visible()
    screenshot(page, "login-360-en")
    context.close()
