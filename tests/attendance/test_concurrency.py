"""Fifty check-ins of the same person at once, through a live HTTP server: one row, no errors.

The server runs in a thread with a thread per request and a database of its own (SQLite file
or a private PostgreSQL schema), so the requests really race in separate transactions.
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.attendance import codes
from app.attendance.models import Attendance
from app.core.formats import VIETNAM
from app.extensions import db
from app.people.models import Gender, Person
from app.planning.models import ActivitySession
from app.registration.models import Enrolment, EnrolmentStatus
from tests.live import post_json
from tests.registration.test_concurrency import _setup, fresh_app  # noqa: F401  (fixture)

ATTEMPTS = 50


def _session_now(application) -> tuple[int, str]:
    """A session running now (Vietnam wall clock) with one registered participant; their phone."""
    with application.test_request_context():
        activity_id, person_ids, _ = _setup(application)
        person = db.session.get(Person, person_ids[0])
        person.phone, person.gender = "0912345678", Gender.female
        local_now = datetime.now(UTC).astimezone(VIETNAM).replace(tzinfo=None)
        session = ActivitySession(
            activity_id=activity_id,
            title="Buổi sáng",
            starts_at=local_now - timedelta(minutes=5),
            ends_at=local_now + timedelta(hours=2),
        )
        db.session.add_all(
            [
                session,
                Enrolment(
                    activity_id=activity_id,
                    person_id=person.id,
                    status=EnrolmentStatus.registered,
                    unit_id=person.unit_id,
                ),
            ]
        )
        db.session.commit()
        return session.id, person.phone


@pytest.fixture
def live(fresh_app):  # noqa: F811
    server = make_server("127.0.0.1", 0, fresh_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fresh_app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.no_transaction
def test_fifty_simultaneous_check_ins_of_one_person_record_one_row(live):
    application, base = live
    session_id, phone = _session_now(application)
    with application.test_request_context():
        code = codes.current(session_id, datetime.now(UTC).replace(tzinfo=None)).code
    url = f"{base}/c/{session_id}/{code}"
    answers, start = [], threading.Barrier(ATTEMPTS)

    def tap(index):
        start.wait()
        # Half are retries of one tap (same nonce), half are separate taps.
        nonce = "same-tap" if index % 2 else f"tap-{index}"
        answers.append(post_json(url, {"phone": phone, "nonce": nonce}))

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _ in answers] == [200] * ATTEMPTS, answers[:3]
    first = [body for _, body in answers if body["status"] == "checked_in" and not body["replayed"]]
    assert len(first) == 1
    assert {body["checked_in_at"] for _, body in answers} == {first[0]["checked_in_at"]}
    with application.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 1
        db.session.remove()
