"""Budget execution reconciles with the expenditure rows; carried-over money and deadlines apart."""

import io
from datetime import date

import openpyxl
from sqlalchemy import func, select

from app.auth.models import Role
from app.budget.models import BudgetLine, FundingSource
from app.costs import spending
from app.costs.execution import execution
from app.costs.models import Expenditure
from app.extensions import db
from tests.costs.test_spending import paid
from tests.factories import budget_line, funding_source, make_activity, make_user, present


def book(finance):
    """Five payments over two lines and both sources, one of them voided."""
    course = make_activity(budget_line=budget_line("DA7.TDA1.01"), funding_source=funding_source("NSTW-2023"))
    tour = make_activity(budget_line=budget_line("DA7.TDA1.03"), funding_source=funding_source("CN-2022"))
    spending.record_expenditure(paid(course, voucher_no="1", amount=12_345_678), finance)
    spending.record_expenditure(paid(course, voucher_no="2", amount=1_000_005), finance)
    spending.record_expenditure(paid(tour, voucher_no="3", amount=40_000_000), finance)
    mistake = spending.record_expenditure(paid(tour, voucher_no="4", amount=9_999_999), finance)
    spending.void_expenditure(mistake, "Trùng chứng từ", finance)
    other_source = paid(course, voucher_no="5", amount=2_500_000, funding_source_id=funding_source("CN-2022").id)
    spending.record_expenditure(other_source, finance)
    return course, tour


def rows_total(**where) -> int:
    query = select(func.coalesce(func.sum(Expenditure.amount), 0)).where(Expenditure.voided_at.is_(None))
    for column, value in where.items():
        query = query.where(getattr(Expenditure, column) == value)
    return db.session.scalar(query)


def test_every_line_and_source_reconciles_with_the_rows(finance):
    book(finance)
    report = execution(2023, today=date(2023, 6, 1))
    lines = {f.line.code: f for f in report.lines}
    assert lines["DA7.TDA1.01"].spent == rows_total(budget_line_id=budget_line("DA7.TDA1.01").id) == 15_845_683
    assert lines["DA7.TDA1.03"].spent == 40_000_000  # the voided voucher is not spent
    assert lines["DA7.TDA1"].spent == sum(
        f.spent for f in report.lines if f.line.parent_id == lines["DA7.TDA1"].line.id
    )
    assert report.totals.spent == rows_total() == 12_345_678 + 1_000_005 + 40_000_000 + 2_500_000
    sources = {f.source.code: f for f in report.current + report.carried}
    assert [f.source.code for f in report.carried] == ["CN-2022"]  # carried-over money apart
    assert sources["NSTW-2023"].spent == 13_345_683 and sources["CN-2022"].spent == 42_500_000
    assert sum(f.spent for f in sources.values()) == report.totals.spent
    allocated = lines["DA7.TDA1.01"].allocated
    assert lines["DA7.TDA1.01"].remaining == allocated - 15_845_683
    assert lines["DA7.TDA1.01"].disbursement_rate == 15_845_683 / allocated


def test_money_left_near_its_deadline_is_warned(finance):
    book(finance)
    assert execution(2023, today=date(2023, 6, 1)).warnings == []
    near = execution(2023, today=date(2023, 12, 1)).warnings
    assert len(near) == 2 and all("31/12/2023" in w and "30 ngày" in w for w in near)
    late = execution(2023, today=date(2024, 1, 2)).warnings
    assert any("hết hạn" in w for w in late)


def test_cost_per_trainee_and_per_trainee_day(finance):
    from tests.factories import make_person, make_session

    course = make_activity()
    first, second = make_session(course), make_session(course, day=1)
    a, b = make_person(), make_person()
    present(first, a, b)
    present(second, a)
    spending.record_expenditure(paid(course, voucher_no="9", amount=900_000), finance)
    cost = next(c for c in execution(2023).activities if c.activity.id == course.id)
    assert (cost.trainees, cost.trainee_days, cost.spent) == (2, 3, 900_000)
    assert (cost.per_trainee, cost.per_trainee_day) == (450_000, 300_000)


def test_leaders_read_execution_organisers_and_district_officers_do_not(client, auth, finance):
    book(finance)
    auth.login(make_user(Role.leader))
    page = client.get("/costs/execution?year=2023").get_data(as_text=True)
    assert "15.845.683" in page and "Kinh phí năm 2022 chuyển nguồn" in page
    ledger = openpyxl.load_workbook(io.BytesIO(client.get("/costs/expenditures.xlsx?year=2023").data)).active
    rows = list(ledger.iter_rows(values_only=True))
    assert rows[0][:2] == ("STT", "Số chứng từ") and len(rows) == 1 + 5 + 1  # header, five vouchers, total
    assert rows[-1][8] == rows_total() == sum(r[8] for r in rows[1:-1] if r[10] != "Có")
    for role in (Role.organiser, Role.district):
        auth.logout()
        auth.login(make_user(role))
        assert client.get("/costs/execution?year=2023").status_code == 403
        assert client.get("/costs/expenditures?year=2023").status_code == 403


def test_the_api_gives_each_budget_line_its_money(api, finance):
    book(finance)
    body = api("GET", "/budget-lines?year=2023", make_user(Role.leader)).get_json()
    line = next(item for item in body["items"] if item["code"] == "DA7.TDA1.01")
    assert line["spent"] == 15_845_683
    assert line["remaining"] == line["allocated"] - 15_845_683
    db_line = db.session.scalar(select(BudgetLine).where(BudgetLine.code == "DA7.TDA1.01"))
    assert line["id"] == db_line.id
    sources = api("GET", "/funding-sources?year=2023", make_user(Role.leader)).get_json()["items"]
    carried = next(s for s in sources if s["code"] == "CN-2022")
    assert carried["spent"] == 42_500_000 and carried["carried_over_from"] == 2022
    assert db.session.scalar(select(FundingSource.amount).where(FundingSource.code == "CN-2022")) == carried["amount"]
    district = api("GET", "/budget-lines?year=2023", make_user(Role.district)).get_json()["items"]
    seen = next(item for item in district if item["code"] == "DA7.TDA1.01")
    assert seen["allocated"] == line["allocated"] and seen["spent"] is None and seen["remaining"] is None
