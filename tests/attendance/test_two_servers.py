"""Two app servers, one database, one Redis: a check-in burst spread over both is recorded exactly once.

Two apps are created separately (as two gunicorn instances would be, with the same SECRET_KEY and
REDIS_URL) and served by two live HTTP servers on the suite's backend (its own SQLite file, or a
private PostgreSQL schema). Participants check in through either server, some through both at the
same moment, and the check-in rate limit is counted in Redis for both together.
bench/two_servers.py runs the same with gunicorn and 500 people, and measures it.
"""

import os
import threading
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.attendance import codes
from app.attendance.models import Attendance
from app.auth.models import User
from app.core.formats import VIETNAM
from app.extensions import db, limiter
from app.people.models import Person
from app.planning.models import Activity, ActivitySession
from app.registration import services as registration
from tests.auth.test_rate_limit_shared import REDIS_URL, redis_client  # noqa: F401  (fixture)
from tests.conftest import build_test_app, drop_postgres_schema, postgres_url, private_postgres_schema, upgrade_to_head
from tests.live import post_json
from tests.registration.test_concurrency import PEOPLE, _setup

CONTENDERS, TAPS = 6, 4  # people who hit both servers at once, POSTs each
BURST_POSTS = PEOPLE + CONTENDERS * TAPS
LIMIT = BURST_POSTS + 2  # the burst fits; the limit is reached two requests later, on either server


@pytest.fixture
def two_servers(app, redis_client, tmp_path):  # noqa: F811
    """Two apps on one database of their own, rate limits in Redis under a namespace of this run."""
    schema = None
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        schema = f"two_servers_{os.getpid()}"
        url = private_postgres_schema(postgres_url(), schema)
    else:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    namespace = f"dat7-two-{uuid.uuid4().hex}"
    settings = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATE_LIMIT_NAMESPACE": namespace,
        "CHECKIN_RATE_LIMIT": f"{LIMIT} per hour",
        "VERIFY_RATE_LIMIT": "3 per minute",
    }
    apps = [build_test_app(url, tmp_path / name, **settings) for name in ("one", "two")]
    upgrade_to_head(apps[0])
    servers = [make_server("127.0.0.1", 0, application, threaded=True) for application in apps]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield apps, [f"http://127.0.0.1:{server.server_port}" for server in servers], namespace
    finally:
        for server in servers:
            server.shutdown()
        limiter.init_app(app)  # the limiter is process-wide: give it back the suite's storage
        for key in redis_client.scan_iter(f"*{namespace}*"):
            redis_client.delete(key)
        for application in apps:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()
        if schema:
            drop_postgres_schema(postgres_url(), schema)


def _course_now(application) -> tuple[int, list[str]]:
    """A session running now with every person of ``_setup`` registered and given a phone."""
    with application.test_request_context():
        activity_id, person_ids, _ = _setup(application)
        activity = db.session.get(Activity, activity_id)
        activity.capacity = PEOPLE
        organiser = db.session.scalar(select(User).where(User.username == "to-chuc"))
        local_now = datetime.now(UTC).astimezone(VIETNAM).replace(tzinfo=None)
        session = ActivitySession(
            activity_id=activity_id,
            title="Buổi sáng",
            starts_at=local_now - timedelta(minutes=5),
            ends_at=local_now + timedelta(hours=2),
        )
        db.session.add(session)
        phones = []
        for index, person_id in enumerate(person_ids):
            person = db.session.get(Person, person_id)
            person.phone = f"09123{index:05d}"
            phones.append(person.phone)
            registration.enrol(activity, person, organiser)
        db.session.commit()
        return session.id, phones


def _all_at_once(calls: list) -> list:
    """Run (url, body) POSTs in threads released together; their answers in the same order."""
    answers = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def call(index, url, body):
        start.wait()
        answers[index] = post_json(url, body)

    threads = [threading.Thread(target=call, args=(i, *c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.no_transaction
def test_a_burst_over_two_servers_records_everyone_once_and_shares_the_limit(two_servers, redis_client):  # noqa: F811
    apps, bases, namespace = two_servers
    session_id, phones = _course_now(apps[0])
    with apps[1].app_context():  # the QR shown by one server's screen, checked by the other
        code = codes.current(session_id, datetime.now(UTC).replace(tzinfo=None)).code
    urls = [f"{base}/c/{session_id}/{code}" for base in bases]

    # Everyone once, alternately through each server; then a few people through both at once,
    # half of their POSTs retries of one tap (same nonce), half separate taps.
    burst = _all_at_once([(urls[i % 2], {"phone": phone, "nonce": f"n-{i}"}) for i, phone in enumerate(phones)])
    clash_calls = [
        (urls[tap % 2], {"phone": phone, "nonce": f"same-{phone}" if tap % 2 else f"tap-{tap}-{phone}"})
        for tap in range(TAPS)
        for phone in phones[:CONTENDERS]
    ]
    clash = _all_at_once(clash_calls)
    over = [post_json(urls[n % 2], {"phone": phones[0]})[0] for n in range(4)]

    assert [status for status, _ in burst] == [200] * PEOPLE, burst[:3]
    assert {body["status"] for _, body in burst} == {"checked_in"}
    assert [status for status, _ in clash] == [200] * len(clash_calls), clash[:3]
    assert {body["status"] for _, body in clash} == {"already_checked_in"}
    # The limit counts both servers' requests together: two more fit, on whichever server.
    assert over == [200, 200, 429, 429]
    counted = [int(redis_client.get(key)) for key in redis_client.scan_iter(f"*{namespace}*") if b"check_in" in key]
    assert counted == [LIMIT + 2], "the counts must live in Redis, one count for both servers"
    with apps[1].app_context():
        rows = db.session.execute(
            select(Attendance.person_id, func.count())
            .where(Attendance.session_id == session_id)
            .group_by(Attendance.person_id)
        ).all()
        db.session.remove()
    assert len(rows) == PEOPLE and {count for _, count in rows} == {1}


@pytest.mark.no_transaction
def test_certificate_verification_is_limited_across_both_servers(two_servers, redis_client):  # noqa: F811
    _, bases, namespace = two_servers
    statuses = []
    for n in range(5):
        try:
            with urllib.request.urlopen(f"{bases[n % 2]}/verify/KHONG-CO-MA-NAY", timeout=30):  # noqa: S310  (a http://127.0.0.1 URL of the test servers)
                statuses.append(200)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    assert statuses == [404, 404, 404, 429, 429]
    assert any(b"verify" in key for key in redis_client.scan_iter(f"*{namespace}*"))
