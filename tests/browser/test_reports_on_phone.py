"""A leader reads the year's figures on a phone: tiles, bars, a drill-down, without sideways scrolling."""

import pytest

from tests.browser.conftest import LEADER, screenshot, sign_in
from tests.browser.test_people_on_phone import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def test_a_leader_lands_on_the_dashboard_and_drills_down_to_the_women_trained(live_server, phone):
    sign_in(phone, live_server, *LEADER)
    assert phone.url.startswith(f"{live_server}/reports")
    phone.locator("select[name=year]").select_option("2023")
    phone.get_by_role("button", name="Xem", exact=True).click()
    phone.get_by_role("heading", name="Kết quả đào tạo, tập huấn").wait_for()
    tile = phone.locator(".tile", has_text="người được đào tạo (không trùng)")
    people = int(tile.locator("strong").inner_text().replace(".", ""))
    assert people > 0
    # The tables arrive each in a request of its own (js/reports.js), all seven.
    phone.locator("[data-fragment] table.report").nth(6).wait_for()
    assert phone.locator("[data-fragment] table.report").count() == 7
    assert phone.locator("table.report progress").count() > 0  # the bars
    assert no_horizontal_scroll(phone)
    screenshot(phone, "reports-dashboard-phone")

    women_tile = phone.locator(".tile", has_text="là nữ")
    women = int(women_tile.locator("span").inner_text().split("(")[1].split()[0].replace(".", ""))
    women_tile.click()
    phone.get_by_text(f"{women} người", exact=True).wait_for()  # the list behind the figure is the figure
    assert phone.locator("tbody tr").count() == women
    assert no_horizontal_scroll(phone)
