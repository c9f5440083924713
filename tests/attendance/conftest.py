"""Attendance fixtures: an open activity with a morning session at a known time, and a clock to set."""

from datetime import datetime, timedelta

import pytest

from app.attendance import services
from app.auth.models import Role
from app.people.models import Gender
from app.planning.models import ActivityStatus
from app.registration import services as registration
from tests.factories import make_activity, make_person, make_session, make_user

# make_session(activity) runs 07:30-11:30 Vietnam time on the activity's first day (10/05/2023).
START_LOCAL = datetime(2023, 5, 10, 7, 30)
START_UTC = START_LOCAL - timedelta(hours=7)


class Clock:
    """Freezes the attendance clock (naive UTC) at a time given in Vietnam wall-clock minutes from the start."""

    def __init__(self, monkeypatch):
        self.moment = START_UTC
        monkeypatch.setattr(services, "now", lambda: self.moment)

    def at(self, minutes_after_start: float) -> datetime:
        self.moment = START_UTC + timedelta(minutes=minutes_after_start)
        return self.moment


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def organiser(app_ctx):
    return make_user(Role.organiser)


@pytest.fixture
def course(app_ctx, organiser):
    """An open activity with one session and three registered people (two women), one waiting."""
    activity = make_activity(status=ActivityStatus.open, capacity=3)
    session = make_session(activity)
    people = [
        make_person(gender=Gender.female, phone="0912000001", id_number="020185000001"),
        make_person(gender=Gender.female, phone="0912000002", id_number="020185000002"),
        make_person(gender=Gender.male, phone="0912000003", id_number="020085000003"),
        make_person(gender=Gender.male, phone="0912000004", id_number="020085000004"),
    ]
    enrolments = [registration.enrol(activity, p, organiser) for p in people]
    return activity, session, people, enrolments
