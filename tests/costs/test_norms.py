"""Spending norms as dated data: the right rate for each day, new levels from a date, who may change them."""

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.costs import services
from app.costs.models import SpendingNorm
from app.errors import ValidationError
from tests.factories import make_user


@pytest.fixture
def finance(app_ctx):
    return make_user(Role.finance)


def meal_norm():
    return services.norm_on("meal_support", date(2023, 5, 10), "not_on_payroll/province")


def test_the_defaults_are_loaded_once_with_their_legal_basis(app_ctx):
    norm = meal_norm()
    assert (norm.amount, norm.unit) == (150_000, "người/ngày") and "40/2017" in norm.legal_basis
    assert services.load_norms() == 0  # already there: nothing added, nothing overwritten
    assert services.norm_on("lecturer_fee", date(2023, 5, 10), "tier_5").amount == 500_000
    assert services.norm_on("lecturer_fee", date(2018, 1, 1), "tier_5") is None  # before TT 36/2018


def test_an_activity_straddling_a_new_circular_uses_each_days_rate(finance):
    old = meal_norm()
    services.supersede(
        old,
        {"amount": 180_000, "valid_from": date(2023, 10, 1), "legal_basis": "Thông tư 55/2023/TT-BTC"},
        finance,
    )
    days = services.amount_per_day("meal_support", date(2023, 9, 29), date(2023, 10, 2), "not_on_payroll/province")
    assert [(day.day, norm.amount) for day, norm in days] == [(29, 150_000), (30, 150_000), (1, 180_000), (2, 180_000)]
    assert old.valid_to == date(2023, 9, 30)
    assert sum(norm.amount for _, norm in days) == 660_000  # two days at each rate, computed by hand
    entry = select(AuditEntry).where(AuditEntry.action == "spending_norm.supersede")
    from app.extensions import db

    assert db.session.scalar(entry).after["amount"] == 180_000


def test_a_new_level_needs_an_amount_a_basis_and_a_later_date(finance):
    norm = meal_norm()
    with pytest.raises(ValidationError) as raised:
        services.supersede(norm, {"amount": -5, "valid_from": date(2016, 1, 1), "legal_basis": " "}, finance)
    assert set(raised.value.fields) == {"amount", "valid_from", "legal_basis"}
    assert norm.valid_to is None


def test_finance_changes_norms_organisers_read_district_officers_see_nothing(client, auth, app_ctx):
    from app.extensions import db

    norm = meal_norm()
    auth.login(make_user(Role.organiser))
    page = client.get("/costs/norms?on=10/05/2023").get_data(as_text=True)
    assert "150.000" in page and "Thông tư 40/2017/TT-BTC" in page
    refused = client.post(
        f"/costs/norms/{norm.id}/supersede", data={"amount": "1", "valid_from": "01/01/2024", "legal_basis": "x"}
    )
    assert refused.status_code == 403
    auth.logout()
    auth.login(make_user(Role.district))
    assert client.get("/costs/norms").status_code == 403
    auth.logout()
    auth.login(make_user(Role.finance))
    saved = client.post(
        f"/costs/norms/{norm.id}/supersede",
        data={"amount": "180.000", "valid_from": "01/10/2023", "legal_basis": "Thông tư 55/2023/TT-BTC"},
    )
    assert saved.status_code == 302
    assert db.session.scalar(select(SpendingNorm).where(SpendingNorm.amount == 180_000)).valid_from == date(2023, 10, 1)
    bad = client.post(
        f"/costs/norms/{norm.id}/supersede", data={"amount": "abc", "valid_from": "32/13/2023", "legal_basis": ""}
    )
    assert bad.status_code == 422
