"""Allowance lists: attendance x the norm of each day, worked out by hand; the PDF and the
spreadsheet read back with a real reader."""

import io
import subprocess
from datetime import date

import openpyxl

from app.auth.models import Role
from app.costs.allowances import allowance_list
from tests.costs.conftest import supersede_meal
from tests.factories import make_user, present
from tests.registration.test_letters import tool


def attend(course) -> None:
    """A: all three sessions (2 days). B: the afternoon of day 1 only (1 day). C: day 2 only
    (1 day). The commune officer: everything, but on a state payroll. D: registered, absent."""
    a, b, c = course.village
    morning, afternoon, day_two = course.sessions
    present(morning, a, course.official)
    present(afternoon, a, b, course.official)
    present(day_two, a, c, course.official)


def test_allowances_are_days_attended_times_the_rate_of_each_day(course):
    attend(course)
    listing = allowance_list(course.activity)
    a, b, c = course.village
    # 150.000 đ/day at the provincial rate: A 2 days, B 1, C 1; the officer is paid by their agency.
    assert {row.person.id: (len(row.days), row.total) for row in listing.rows} == {
        a.id: (2, 300_000),
        b.id: (1, 150_000),
        c.id: (1, 150_000),
    }
    assert listing.total == 600_000 == sum(row.total for row in listing.rows)
    assert listing.person_days == 4 and listing.on_payroll == 1
    assert listing.words == "Sáu trăm nghìn đồng"


def test_a_new_rate_from_the_second_day_is_paid_for_that_day(course, finance):
    supersede_meal(finance, 180_000, date(2023, 5, 11))
    attend(course)
    listing = allowance_list(course.activity)
    a, b, c = course.village
    totals = {row.person.id: row.total for row in listing.rows}
    assert totals == {a.id: 150_000 + 180_000, b.id: 150_000, c.id: 180_000}
    assert listing.total == 660_000 and listing.words == "Sáu trăm sáu mươi nghìn đồng"


def test_the_list_prints_with_a_signature_column_and_the_total_in_words(client, auth, course, finance):
    attend(course)
    auth.login(finance)
    client.post("/lang", data={"lang": "en"})  # an official document stays Vietnamese in the English interface
    response = client.get(f"/activities/{course.activity.id}/allowances.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = subprocess.run(
        [tool("pdftotext"), "-layout", "-", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert "DANH SÁCH CHI TIỀN HỖ TRỢ TIỀN ĂN" in text and "Ký nhận" in text
    for person in course.village:
        assert person.full_name in text
    assert course.official.full_name not in text
    assert "600.000" in text and "Bằng chữ: Sáu trăm nghìn đồng" in text
    assert "Thông tư 40/2017/TT-BTC" in text
    assert "Mức hỗ trợ: Thành phố thuộc tỉnh, huyện, thị xã" in text and "Provincial city" not in text


def test_the_spreadsheet_keeps_numbers_as_numbers_and_adds_up(client, auth, course, finance):
    attend(course)
    auth.login(finance)
    response = client.get(f"/activities/{course.activity.id}/allowances.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r and r[0] == "STT"))
    assert rows[header] == [
        "STT",
        "Họ và tên",
        "Đơn vị",
        "10/05",
        "11/05",
        "Số ngày",
        "Mức hỗ trợ (đồng/ngày)",
        "Thành tiền (đồng)",
        "Ký nhận",
    ]
    body = rows[header + 1 : header + 4]
    assert [r[0] for r in body] == [1, 2, 3] and all(isinstance(r[7], int) for r in body)
    total = rows[header + 4]
    assert total[1] == "Tổng cộng" and total[7] == sum(r[7] for r in body) == 600_000 and total[5] == 4
    assert [r[0] for r in rows if r and str(r[0]).startswith("Bằng chữ")] == ["Bằng chữ: Sáu trăm nghìn đồng"]


def test_organisers_print_the_list_district_officers_do_not_see_it(client, auth, course):
    attend(course)
    auth.login(make_user(Role.organiser))
    assert client.get(f"/activities/{course.activity.id}/allowances").status_code == 200
    auth.logout()
    auth.login(make_user(Role.district))
    assert client.get(f"/activities/{course.activity.id}/allowances").status_code == 403
    assert client.get(f"/activities/{course.activity.id}/allowances.xlsx").status_code == 403
