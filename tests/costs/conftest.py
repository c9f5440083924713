"""Costs fixtures: finance, and a two-day course whose plan and attendance are known exactly."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.costs import services as norms
from app.extensions import db
from app.planning.models import ActivityStatus, Trainer, TrainerTier
from app.registration import services as registration
from tests.factories import category, make_activity, make_person, make_session, make_user

MEAL = "not_on_payroll/province"


@pytest.fixture
def finance(app_ctx):
    return make_user(Role.finance)


def tier(code: str) -> TrainerTier:
    return db.session.scalar(select(TrainerTier).where(TrainerTier.code == code))


def supersede_meal(finance, amount: int, start: date):
    old = norms.norm_on("meal_support", start, MEAL)
    return norms.supersede(old, {"amount": amount, "valid_from": start, "legal_basis": "Nghị quyết thử"}, finance)


@dataclass
class Course:
    activity: object
    sessions: list  # day 1 morning, day 1 afternoon, day 2 morning
    village: list  # three village cadres (not on a state payroll)
    official: object  # a commune officer (on a state payroll)


@pytest.fixture
def course(app_ctx) -> Course:
    """10-11/05/2023 at the provincial rate: three sessions, a tier-3 lecturer in the first, a
    tier-5 one in the other two; three village cadres and a commune officer registered."""
    organiser = make_user(Role.organiser)
    activity = make_activity(status=ActivityStatus.open, capacity=10, estimated_cost=None)
    senior = Trainer(full_name="Phạm Quang Huy", tier=tier("tier_3"))
    local = Trainer(full_name="Vi Thị Mai", tier=tier("tier_5"))
    db.session.add_all([senior, local])
    sessions = [make_session(activity), make_session(activity, afternoon=True), make_session(activity, day=1)]
    sessions[0].trainers = [senior]
    sessions[1].trainers = [local]
    sessions[2].trainers = [local]
    village = [make_person(category=category("village_cadre")) for _ in range(3)]
    official = make_person(category=category("commune_officer"))
    for person in [*village, official]:
        registration.enrol(activity, person, organiser)
    db.session.flush()
    return Course(activity, sessions, village, official)
