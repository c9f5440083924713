"""The money pages as finance, organisers and district officers use them."""

from datetime import date

from sqlalchemy import select

from app.auth.models import Role
from app.costs import estimates
from app.costs.models import Advance, Expenditure
from app.extensions import db
from app.planning.models import ActivityStatus
from tests.factories import budget_line, funding_source, make_activity, make_user


def test_finance_builds_and_edits_an_estimate_organisers_only_read_it(client, auth, course, finance):
    url = f"/activities/{course.activity.id}"
    auth.login(make_user(Role.organiser))
    assert client.post(f"{url}/estimate/rebuild", data={"place": "province"}).status_code == 403
    auth.logout()
    auth.login(finance)
    assert client.post(f"{url}/estimate/rebuild", data={"place": "province"}).status_code == 302
    page = client.get(f"{url}/costs").get_data(as_text=True)
    assert "8.160.000" in page and "Thù lao giảng viên" in page
    auth.logout()
    auth.login(make_user(Role.organiser))
    page = client.get(f"{url}/costs").get_data(as_text=True)
    assert "8.160.000" in page and "Ghi khoản chi" not in page and "Các khoản chi" not in page
    auth.logout()
    auth.login(make_user(Role.district))
    assert client.get(f"{url}/costs").status_code == 403


def test_an_estimate_line_over_the_allocation_comes_back_with_the_numbers_and_what_was_typed(client, auth, finance):
    line, source = budget_line("DA7.TDA2.01"), funding_source("NSTW-2023")  # 100.000.000 đ
    make_activity(budget_line=line, funding_source=source, status=ActivityStatus.submitted, estimated_cost=90_000_000)
    activity = make_activity(budget_line=line, funding_source=source, estimated_cost=None)
    auth.login(finance)
    typed = {"description": "Thuê xe", "unit": "ngày", "quantity": "2", "unit_amount": "10.000.000"}
    refused = client.post(f"/activities/{activity.id}/estimate/lines", data=typed)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "100.000.000" in page and "vượt 10.000.000" in page.replace("\u00a0đ", "")
    assert 'value="Thuê xe"' in page and 'value="10.000.000"' in page  # nothing typed is lost
    assert activity.estimated_cost is None
    accepted = client.post(
        f"/activities/{activity.id}/estimate/lines", data={**typed, "override_reason": "Có ý kiến của Giám đốc Sở"}
    )
    assert accepted.status_code == 302
    db.session.expire_all()
    assert activity.estimated_cost == 20_000_000


def test_finance_records_and_voids_a_payment_from_the_activity_page(client, auth, finance):
    activity = make_activity()
    auth.login(finance)
    form = client.get(f"/activities/{activity.id}/expenditures/new").get_data(as_text=True)
    assert "Số chứng từ" in form
    data = {
        "voucher_no": "PC-77",
        "voucher_date": "12/05/2023",
        "description": "Chi thuê hội trường",
        "amount": "4.500.000",
        "budget_line_id": str(activity.budget_line_id),
        "funding_source_id": str(activity.funding_source_id),
    }
    assert client.post(f"/activities/{activity.id}/expenditures/new", data=data).status_code == 302
    twice = client.post(f"/activities/{activity.id}/expenditures/new", data=data)
    assert twice.status_code == 422 and "PC-77" in twice.get_data(as_text=True)
    expenditure = db.session.scalar(select(Expenditure).where(Expenditure.voucher_no == "PC-77"))
    assert expenditure.amount == 4_500_000
    client.post(f"/costs/expenditures/{expenditure.id}/void", data={"reason": "Sai số tiền"})
    db.session.expire_all()
    assert expenditure.voided_at is not None and expenditure.void_reason == "Sai số tiền"
    ledger = client.get("/costs/expenditures?year=2023").get_data(as_text=True)
    assert "PC-77" in ledger and "Đã hủy" in ledger


def test_estimate_lines_are_stored_in_vietnamese_whatever_the_interface(client, auth, course, finance):
    auth.login(finance)
    client.post("/lang", data={"lang": "en"})
    assert (
        client.post(f"/activities/{course.activity.id}/estimate/rebuild", data={"place": "province"}).status_code == 302
    )
    descriptions = [line.description for line in estimates.estimate_of(course.activity).lines]
    assert any("3 học viên không hưởng lương" in d for d in descriptions)
    assert any("4 đại biểu" in d for d in descriptions)


def test_an_advance_is_given_and_settled_through_the_pages(client, auth, finance):
    activity = make_activity(status=ActivityStatus.completed)
    money = {"budget_line_id": str(activity.budget_line_id), "funding_source_id": str(activity.funding_source_id)}
    auth.login(make_user(Role.organiser))
    assert client.post(f"/activities/{activity.id}/advances/new", data=money).status_code == 403
    auth.logout()
    auth.login(finance)
    advance_form = {**money, "voucher_no": "TU-9", "voucher_date": "09/05/2023", "amount": "2.000.000"}
    missing = client.post(f"/activities/{activity.id}/advances/new", data=advance_form)
    assert missing.status_code == 422 and "Nhập người nhận tạm ứng" in missing.get_data(as_text=True)
    advance_form |= {"payee": "Lộc Văn Hùng", "purpose": "Tổ chức lớp"}
    assert client.post(f"/activities/{activity.id}/advances/new", data=advance_form).status_code == 302
    advance = db.session.scalar(select(Advance).where(Advance.voucher_no == "TU-9"))
    options = client.get(f"/activities/{activity.id}/expenditures/new").get_data(as_text=True)
    assert f'value="{advance.id}"' in options  # an open advance can be paid from
    payment = {**money, "voucher_no": "PC-9", "voucher_date": "11/05/2023", "description": "Nước uống"}
    payment |= {"amount": "1.500.000", "advance_id": str(advance.id)}
    assert client.post(f"/activities/{activity.id}/expenditures/new", data=payment).status_code == 302
    early = client.post(
        f"/costs/advances/{advance.id}/settle", data={"settlement_voucher_no": "TT-9", "settled_on": "01/05/2023"}
    )
    db.session.expire_all()
    assert early.status_code == 422 and advance.settled_on is None
    settled = client.post(
        f"/costs/advances/{advance.id}/settle", data={"settlement_voucher_no": "TT-9", "settled_on": "12/05/2023"}
    )
    assert settled.status_code == 302
    page = client.get(f"/costs/advances/{advance.id}").get_data(as_text=True)
    assert "Nộp lại" in page and "500.000" in page
    again = client.post(
        f"/costs/advances/{advance.id}/settle", data={"settlement_voucher_no": "TT-10", "settled_on": "13/05/2023"}
    )
    db.session.expire_all()
    assert again.status_code == 422 and advance.settlement_voucher_no == "TT-9"  # a second click changes nothing


def test_voiding_without_a_reason_keeps_the_payment(client, auth, finance):
    from app.costs import spending

    activity = make_activity()
    data = {"budget_line_id": activity.budget_line_id, "funding_source_id": activity.funding_source_id}
    data |= {"activity_id": activity.id, "voucher_no": "PC-5", "voucher_date": date(2023, 5, 12)}
    expenditure = spending.record_expenditure({**data, "description": "Băng rôn", "amount": 500_000}, finance)
    auth.login(finance)
    response = client.post(f"/costs/expenditures/{expenditure.id}/void", data={"reason": "  "}, follow_redirects=True)
    assert "Nhập lý do hủy" in response.get_data(as_text=True)
    db.session.expire_all()
    assert expenditure.voided_at is None
