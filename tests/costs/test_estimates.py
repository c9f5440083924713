"""Estimates: built from the plan and each day's norm, edited by finance, held to the allocation."""

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.costs import estimates
from app.costs.models import Place
from app.errors import ConflictError, ValidationError
from app.extensions import db
from app.planning import services as planning
from app.planning.models import ActivityStatus
from tests.costs.conftest import supersede_meal
from tests.factories import budget_line, funding_source, make_activity, make_user


def amounts(estimate) -> dict:
    return {(line.norm_code, line.norm.variant, line.unit_amount): line.quantity for line in estimate.lines}


def test_the_estimate_is_worked_out_from_sessions_trainers_people_and_norms(course, finance):
    estimate, warnings = estimates.rebuild(course.activity, Place.province, finance)
    assert warnings == []
    assert amounts(estimate) == {
        ("lecturer_fee", "tier_3", 1_200_000): 1,  # one session by the senior lecturer
        ("lecturer_fee", "tier_5", 500_000): 2,
        ("meal_support", "not_on_payroll/province", 150_000): 6,  # 3 village cadres x 2 days; not the officer
        ("drinking_water", "", 40_000): 8,  # all 4 learners x 2 days
        ("hall_rental", "", 2_000_000): 2,
        ("materials", "", 50_000): 4,
        ("banner", "", 500_000): 1,
        ("certificate_printing", "", 10_000): 4,
    }
    # 1.200.000 + 1.000.000 + 900.000 + 320.000 + 4.000.000 + 200.000 + 500.000 + 40.000, by hand:
    assert estimate.total == 8_160_000 == course.activity.estimated_cost
    assert sum(line.amount for line in estimate.lines) == estimate.total


def test_an_activity_straddling_a_new_rate_gets_a_line_at_each_rate(course, finance):
    supersede_meal(finance, 180_000, date(2023, 5, 11))
    estimate, _ = estimates.rebuild(course.activity, Place.province, finance)
    meals = [(line.unit_amount, line.quantity) for line in estimate.lines if line.norm_code == "meal_support"]
    assert meals == [(150_000, 3), (180_000, 3)]  # 3 people on 10/05, 3 on 11/05


def test_a_commune_class_uses_the_commune_rate(course, finance):
    estimate, _ = estimates.rebuild(course.activity, Place.commune, finance)
    meals = [(line.unit_amount, line.quantity) for line in estimate.lines if line.norm_code == "meal_support"]
    assert meals == [(100_000, 6)]


def test_a_bad_first_line_saves_nothing(course, finance):
    with pytest.raises(ValidationError) as raised:
        estimates.save_line(course.activity, None, {"description": "", "unit": "x", "quantity": -1}, finance)
    assert set(raised.value.fields) == {"description", "quantity", "unit_amount"}
    assert estimates.estimate_of(course.activity) is None and course.activity.estimated_cost is None


def test_finance_edits_a_line_but_not_above_a_ceiling_norm(course, finance):
    estimate, _ = estimates.rebuild(course.activity, Place.province, finance)
    fee = next(line for line in estimate.lines if line.norm_code == "lecturer_fee")
    data = {"description": fee.description, "unit": fee.unit, "quantity": 1, "unit_amount": 1_300_000}
    with pytest.raises(ValidationError) as raised:
        estimates.save_line(course.activity, fee, data, finance)
    assert "1.200.000" in str(raised.value.fields["unit_amount"])
    estimates.save_line(course.activity, fee, {**data, "unit_amount": 1_000_000}, finance)
    assert course.activity.estimated_cost == 8_160_000 - 200_000
    typed = estimates.save_line(
        course.activity,
        None,
        {"description": "Sơ cấp cứu", "unit": "lớp", "quantity": 1, "unit_amount": 300_000},
        finance,
    )
    assert typed.norm is None and course.activity.estimated_cost == 8_260_000


@pytest.fixture
def crowded_line(app_ctx):
    """DA7.TDA2.01 has 100.000.000 đ (NSTW 2023); a submitted activity already holds 90.000.000 đ."""
    line, source = budget_line("DA7.TDA2.01"), funding_source("NSTW-2023")
    make_activity(budget_line=line, funding_source=source, status=ActivityStatus.submitted, estimated_cost=90_000_000)
    return line, source


def test_an_estimate_past_the_allocation_is_refused_with_the_numbers_then_accepted_with_a_reason(crowded_line, finance):
    line, source = crowded_line
    activity = make_activity(budget_line=line, funding_source=source, estimated_cost=None)
    data = {"description": "Thuê hội trường", "unit": "ngày", "quantity": 2, "unit_amount": 10_000_000}
    with pytest.raises(ValidationError) as raised, db.session.begin_nested():  # the savepoint: the request's rollback
        estimates.save_line(activity, None, data, finance)
    assert raised.value.code == "over_allocation"
    message = str(raised.value.fields["override_reason"])
    for figure in ("100.000.000", "90.000.000", "20.000.000", "10.000.000"):  # allocated, taken, asked, excess
        assert figure in message
    db.session.expire_all()
    assert activity.estimated_cost is None and estimates.estimate_of(activity) is None  # nothing half-saved

    estimates.save_line(activity, None, data, finance, override_reason="Tỉnh bổ sung kinh phí quý IV")
    estimate = estimates.estimate_of(activity)
    assert activity.estimated_cost == 20_000_000
    assert (estimate.override_reason, estimate.override_by_id) == ("Tỉnh bổ sung kinh phí quý IV", finance.id)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "estimate.override"))
    assert entry.after["reason"] == "Tỉnh bổ sung kinh phí quý IV" and entry.after["total"] == 20_000_000


def test_lowering_an_estimate_is_never_refused(crowded_line, finance):
    line, source = crowded_line
    activity = make_activity(budget_line=line, funding_source=source, estimated_cost=None)
    data = {"description": "Hội trường", "unit": "ngày", "quantity": 2, "unit_amount": 10_000_000}
    row = estimates.save_line(activity, None, data, finance, override_reason="Đã xin ý kiến")
    estimates.save_line(activity, row, {**data, "quantity": 1}, finance)  # still 0 over: allowed, no reason
    assert activity.estimated_cost == 10_000_000
    estimates.delete_line(activity, row, finance)
    assert activity.estimated_cost == 0


def test_the_plan_form_refuses_a_rough_estimate_past_the_allocation_and_yields_to_finance(crowded_line, finance):
    line, source = crowded_line
    organiser = make_user(Role.organiser)
    data = {
        "kind": "training",
        "title": "Lớp tập huấn giám sát",
        "start_date": date(2023, 6, 1),
        "end_date": date(2023, 6, 2),
        "capacity": 40,
        "budget_line_id": line.id,
        "funding_source_id": source.id,
        "estimated_cost": 15_000_000,
    }
    with pytest.raises(ValidationError) as raised:
        planning.save_activity(None, data, organiser)
    assert raised.value.code == "over_allocation" and "100.000.000" in str(raised.value.fields["estimated_cost"])
    activity = planning.save_activity(None, {**data, "estimated_cost": 8_000_000}, organiser)
    estimates.save_line(
        activity, None, {"description": "Hội trường", "unit": "ngày", "quantity": 1, "unit_amount": 5_000_000}, finance
    )
    with pytest.raises(ValidationError) as raised:
        planning.save_activity(activity, {**data, "estimated_cost": 7_000_000}, organiser)
    assert raised.value.code == "estimate_owned_by_finance"


def test_a_settled_activitys_estimate_is_frozen(course, finance):
    estimates.rebuild(course.activity, Place.province, finance)
    course.activity.status = ActivityStatus.settled
    with pytest.raises(ConflictError):
        estimates.rebuild(course.activity, Place.province, finance)
