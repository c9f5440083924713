"""Payments and advances: vouchers once, voided never deleted, advances settled before the activity."""

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.budget import services as budget
from app.costs import spending
from app.errors import ConflictError, ValidationError
from app.extensions import db
from app.planning import services as planning
from app.planning.models import ActivityStatus
from tests.factories import budget_line, funding_source, make_activity


def paid(activity, **fields) -> dict:
    return {
        "activity_id": activity.id,
        "budget_line_id": activity.budget_line_id,
        "funding_source_id": activity.funding_source_id,
        "voucher_no": "PC-015",
        "voucher_date": date(2023, 5, 12),
        "description": "Chi nước uống",
        "amount": 1_250_000,
        **fields,
    }


def spent(line_code: str) -> int:
    return next(f.spent for f in budget.line_figures(2023) if f.line.code == line_code)


def test_a_payment_counts_as_spent_once_and_a_voided_one_not_at_all(finance):
    activity = make_activity()
    expenditure = spending.record_expenditure(paid(activity), finance)
    assert spent("DA7.TDA1.01") == 1_250_000 and spent("DA7.TDA1") == 1_250_000  # the parent line sums it
    with pytest.raises(ValidationError) as raised:
        spending.record_expenditure(paid(activity, amount=10), finance)
    assert "PC-015" in str(raised.value.fields["voucher_no"])  # the same voucher typed twice
    with pytest.raises(ValidationError):
        spending.void_expenditure(expenditure, "  ", finance)
    spending.void_expenditure(expenditure, "Ghi nhầm hoạt động", finance)
    assert spent("DA7.TDA1.01") == 0
    assert db.session.get(type(expenditure), expenditure.id) is not None  # kept in the books
    again = spending.record_expenditure(paid(activity), finance)  # the number is free once voided
    assert again.voucher_no == "PC-015"
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("expenditure.%"))).all()
    assert sorted(actions) == ["expenditure.create", "expenditure.create", "expenditure.void"]


def test_bad_payments_are_refused_field_by_field(finance):
    activity = make_activity()
    assert funding_source("NSTW-2023").deadline == date(2023, 12, 31)
    with pytest.raises(ValidationError) as raised:
        spending.record_expenditure(
            paid(activity, amount=0, voucher_no="", voucher_date=date(2024, 1, 5), description=" "), finance
        )
    assert set(raised.value.fields) == {"amount", "voucher_no", "voucher_date", "description"}
    assert "31/12/2023" in str(raised.value.fields["voucher_date"])


def test_spending_past_the_allocation_needs_a_reason(finance):
    line, source = budget_line("DA7.TDA2.01"), funding_source("NSTW-2023")  # 100.000.000 đ
    activity = make_activity(budget_line=line, funding_source=source)
    spending.record_expenditure(paid(activity, amount=95_000_000), finance)
    with pytest.raises(ValidationError) as raised, db.session.begin_nested():
        spending.record_expenditure(paid(activity, voucher_no="PC-016", amount=6_000_000), finance)
    assert "1.000.000" in str(raised.value.fields["override_reason"])  # the excess
    assert spent("DA7.TDA2.01") == 95_000_000
    spending.record_expenditure(paid(activity, voucher_no="PC-016", amount=6_000_000), finance, "Quyết định bổ sung")
    assert spent("DA7.TDA2.01") == 101_000_000


def test_an_advance_is_settled_by_its_vouchers_and_blocks_settlement_until_then(finance):
    activity = make_activity(status=ActivityStatus.completed)
    advance = spending.record_advance(
        {**paid(activity, voucher_no="TU-03"), "payee": "Hoàng Thị Lan", "purpose": "Tổ chức lớp"}
        | {"amount": 5_000_000},
        finance,
    )
    assert spent("DA7.TDA1.01") == 0  # an advance is not spending
    spending.record_expenditure(paid(activity, voucher_no="PC-1", amount=3_200_000, advance_id=advance.id), finance)
    spending.record_expenditure(paid(activity, voucher_no="PC-2", amount=1_300_000, advance_id=advance.id), finance)
    assert advance.outstanding == 500_000
    with pytest.raises(ConflictError) as raised:
        planning.transition(activity, ActivityStatus.settled, finance)
    assert raised.value.code == "open_advances" and "500.000" in str(raised.value.message)
    spending.settle_advance(advance, {"settlement_voucher_no": "TT-03", "settled_on": date(2023, 5, 20)}, finance)
    assert (advance.returned, advance.outstanding) == (500_000, 0)
    planning.transition(activity, ActivityStatus.settled, finance)
    with pytest.raises(ConflictError) as raised:  # settled: its money is frozen
        spending.record_expenditure(paid(activity, voucher_no="PC-3"), finance)
    assert raised.value.code == "activity_frozen"
    with pytest.raises(ConflictError):
        spending.void_expenditure(advance.expenditures[0], "Sai", finance)
