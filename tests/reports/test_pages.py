"""The report pages and the API: what a leader, an organiser and a district officer see."""

import html
import re

from app.auth.models import Role
from app.reports.dashboard import DASHBOARD_BREAKDOWNS
from tests.factories import CAO_LOC, LOC_BINH, make_plan, make_user, unit


def test_a_leader_lands_on_the_dashboard_with_the_figures(client, auth, year_2023):
    make_plan(target_women_percent=40)
    auth.login(make_user(Role.leader))
    landing = client.get("/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/reports")
    page = client.get("/reports?year=2023").get_data(as_text=True)
    assert "<strong>3</strong><span>người được đào tạo (không trùng)" in page
    assert "<strong>5</strong><span>lượt người" in page
    assert "33,3\u00a0%" in page and "chỉ tiêu 40\u00a0%" in page  # one woman of three, against 40 %
    assert "kinh phí đã chi trong kỳ" in page  # leaders read money


def test_every_dashboard_figure_links_to_rows_that_make_it(client, auth, year_2023):
    auth.login(make_user(Role.organiser))
    women = client.get("/reports/people?year=2023&by=gender&key=female").get_data(as_text=True)
    assert "Lục Thị Hoa" in women and "Hoàng Văn Bình" not in women and "1 người" in women
    held = client.get("/reports/activities?year=2023&held=1").get_data(as_text=True)
    assert "3 hoạt động" in held and "Hội thảo việc làm" in held  # the cancelled one is not held
    district = client.get("/reports/trained?year=2023&by=district").get_data(as_text=True)
    assert "Huyện Lộc Bình" in district and "Huyện Cao Lộc" in district


def dashboard_tables(client, page: str) -> str:
    """The dashboard's tables, fetched as its script fetches them (one request each)."""
    sources = re.findall(r'data-fragment="([^"]+)"', page)
    assert len(sources) == len(DASHBOARD_BREAKDOWNS)
    answers = [client.get(html.unescape(source)) for source in sources]
    assert all(answer.status_code == 200 for answer in answers)
    return "".join(answer.get_data(as_text=True) for answer in answers)


def test_the_dashboard_shows_its_figures_first_and_each_table_in_a_request_of_its_own(client, auth, year_2023):
    auth.login(make_user(Role.organiser))
    page = client.get("/reports?year=2023").get_data(as_text=True)
    assert "<table" not in page and "js/reports.js" in page
    assert page.count('href="/reports/trained?by=district') == 2  # heading and link: the table without the script
    tables = dashboard_tables(client, page)
    assert "Huyện Lộc Bình" in tables and "Huyện Cao Lộc" in tables  # 2023 districts
    assert "Trừ số được tính ở nhiều nhóm" in tables  # the overlap row of a table by topic or kind
    assert "<html" not in tables  # pieces of a page, not pages
    assert client.get("/reports/table?year=2023&by=shoe_size").status_code == 400
    assert client.get("/reports/table?year=abc&by=district").status_code == 400


def test_a_district_officer_sees_their_units_and_no_money(client, auth, year_2023):
    auth.login(make_user(Role.district, unit_code=LOC_BINH))
    page = client.get("/reports?year=2023").get_data(as_text=True)
    assert "<strong>2</strong><span>người được đào tạo (không trùng)" in page
    tables = dashboard_tables(client, page)
    assert "Huyện Lộc Bình" in tables and "Huyện Cao Lộc" not in page + tables
    # A table asked for another district's unit is refused as its page is: 404, not an empty table.
    other = unit(CAO_LOC).id
    assert client.get(f"/reports/table?year=2023&by=district&unit_id={other}").status_code == 404
    assert "kinh phí đã chi trong kỳ" not in page
    people = client.get("/reports/people?year=2023").get_data(as_text=True)
    assert "Nguyễn Văn Dũng" not in people and "Lục Thị Hoa" in people


def test_a_bad_filter_says_why_and_keeps_the_form(client, auth, year_2023):
    auth.login(make_user(Role.leader))
    response = client.get("/reports?year=2023&period=custom&date_from=31/12/2023&date_to=01/01/2023")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Ngày bắt đầu phải trước ngày kết thúc." in page
    assert 'value="31/12/2023"' in page
    assert client.get("/reports/export.xlsx?year=abc").status_code == 400


def test_the_dashboard_reads_in_english(client, auth, year_2023):
    auth.login(make_user(Role.leader))
    client.post("/lang", data={"lang": "en"})
    page = client.get("/reports?year=2023").get_data(as_text=True)
    assert "people trained (distinct)" in page and "Open the table" in page
    tables = dashboard_tables(client, page)
    assert '<th>Level</th><th class="money">People</th>' in tables  # the headers in the reader's language
    assert "Huyện Lộc Bình" in tables  # names of units are data: as registered


def test_the_api_gives_the_trained_report_in_the_callers_scope(api, year_2023):
    leader = make_user(Role.leader)
    body = api("GET", "/reports/trained?year=2023&by=gender", leader).get_json()
    assert body["total"] == {
        "key": "total",
        "label": "Tổng cộng",
        "people": 3,
        "women": 1,
        "women_share": 0.3333,
        "person_times": 5,
        "ethnic_minority": 2,
    }
    assert {row["key"]: (row["people"], row["person_times"]) for row in body["rows"]} == {
        "female": (1, 3),
        "male": (2, 2),
    }
    assert body["overlap"] is None

    kinds = api("GET", "/reports/trained?year=2023&by=kind", leader).get_json()
    assert sum(r["people"] for r in kinds["rows"]) + kinds["overlap"]["people"] == kinds["total"]["people"]

    officer = make_user(Role.district, unit_code=LOC_BINH)
    scoped = api("GET", "/reports/trained?year=2023&by=district", officer).get_json()
    assert [(r["label"], r["people"]) for r in scoped["rows"]] == [("Huyện Lộc Bình", 2)]

    refused = api("GET", "/reports/trained?year=2023&by=shoe_size", leader)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "invalid_filter"
    assert api("GET", "/reports/trained?year=2023").status_code == 401


def test_unknown_breakdowns_and_pages_are_answered_plainly(client, auth, year_2023):
    auth.login(make_user(Role.organiser))
    table = client.get("/reports/trained?year=2023&by=shoe_size")
    assert table.status_code == 400 and "Không có cách phân tổ này." in table.get_data(as_text=True)
    assert "Huyện Lộc Bình" in table.get_data(as_text=True)  # the district table is shown instead
    assert client.get("/reports/people?year=2023&by=shoe_size&key=1").status_code == 404
    assert "Không có ai." in client.get("/reports/people?year=2023&by=ethnicity&key=abc").get_data(as_text=True)
    past_the_end = client.get("/reports/people?year=2023&page=9").get_data(as_text=True)
    assert "3 người" in past_the_end and "Lục Thị Hoa" not in past_the_end
