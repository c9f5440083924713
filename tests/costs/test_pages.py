"""The money pages as finance, organisers and district officers use them."""

from sqlalchemy import select

from app.auth.models import Role
from app.costs.models import Expenditure
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
