"""Schemathesis against /api/v1/openapi.json: no server errors, every answer as the document says.

Every operation of the document is called with generated requests (valid ones, and invalid ones
that must be refused with a 4xx) under an admin's bearer token, in the test's transaction.
Generated ids rarely name an object, so half of them are pointed at objects made for the run
(an activity with a session, a participant and a certificate): the handlers behind the 404s run too.
``FUZZ_EXAMPLES`` (default 12) sets the examples per operation; CI keeps the default (< 60 s).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.api.openapi import build_document
from app.attendance.models import Attendance, Method
from app.auth.models import Role
from app.certificates import services as certificates
from app.extensions import db
from app.planning.models import ActivityStatus
from app.registration import services as registration
from tests.factories import bearer_token, make_activity, make_person, make_session, make_user

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# A schema-valid request may still break a rule of the domain (a reason needed to cancel, a session
# inside the activity's dates): 422 is a right answer to it. A 400 is not: the document promised
# the request was well formed.
ACCEPTED = ["2xx", "401", "403", "404", "409", "422", "429"]
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        # The document says U+0000 in any text is a 400 (test_fuzz_findings.py shows it).
        "generation": {"allow-x00": False},
    }
)
schema = schemathesis.openapi.from_dict(build_document(), config=CONFIG)


def test_the_fuzzed_document_is_the_one_the_app_serves(client):
    assert client.get("/api/v1/openapi.json").get_json() == build_document()


@pytest.fixture
def known(app, tmp_path):
    """Objects for generated ids to find, and an admin's token; all rolled back with the test."""
    previous = app.config["CERTIFICATES_DIR"]
    app.config["CERTIFICATES_DIR"] = str(tmp_path / "certificates")
    with app.test_request_context():
        admin = make_user(Role.admin)
        activity = make_activity(status=ActivityStatus.open, capacity=5)
        session = make_session(activity)
        person = make_person()
        enrolment = registration.enrol(activity, person, admin)
        db.session.add(
            Attendance(session=session, person=person, checked_in_at=session.starts_at, method=Method.manual, flags=[])
        )
        activity.status = ActivityStatus.completed
        db.session.flush()
        (certificate,) = certificates.issue(activity, admin)
        activity.status = ActivityStatus.open  # the API may still plan, enrol and check in
        db.session.flush()
        objects = {
            "activity_id": activity.id,
            "session_id": session.id,
            "person_id": person.id,
            "enrolment_id": enrolment.id,
            "certificate_id": certificate.id,
            "code": certificate.code,
            "token": bearer_token(app, admin),
        }
    yield objects
    app.config["CERTIFICATES_DIR"] = previous


def aim_at_known_objects(case, known: dict) -> None:
    """Point half of the generated path ids at real objects (which half follows from the value,
    so a failing example replays the same way)."""
    for name, value in (case.path_parameters or {}).items():
        if name in known and isinstance(value, int | str) and not isinstance(value, bool) and len(str(value)) % 2:
            case.path_parameters[name] = known[name]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, app, known):
    # The document was read at collection time, before the app (one per backend) existed; the
    # checks that send requests of their own (the same call without the token) use the schema's app.
    case.operation.schema.app = app
    aim_at_known_objects(case, known)
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {known['token']}"})
