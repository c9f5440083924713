"""Login rate limits live in Redis when REDIS_URL is set, so every app server counts together."""

import os
import uuid

import pytest

from app.extensions import limiter
from tests.conftest import build_test_app, skip_or_fail, upgrade_to_head

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client():
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {error}", "REQUIRE_REDIS")
    return client


@pytest.mark.no_transaction
def test_two_app_servers_share_one_login_limit(app, redis_client, tmp_path):
    # A prefix of this run's own: other runs may use the same Redis at the same time.
    prefix = f"dat7-test-{uuid.uuid4().hex}"
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "LOGIN_RATE_LIMIT": "4 per minute", "RATE_LIMIT_NAMESPACE": prefix}
    database = f"sqlite:///{tmp_path / 'shared.db'}"  # its own: failed logins are audited and committed
    first = build_test_app(database, tmp_path / "one", **settings)
    second = build_test_app(database, tmp_path / "two", **settings)
    upgrade_to_head(first)
    attempt = {"username": "nobody", "password": "not-the-password"}
    try:
        statuses = [
            server.test_client().post("/login", data=attempt).status_code
            for server in (first, second, first, second, first)
        ]
        stored = list(redis_client.scan_iter(f"*{prefix}*"))
    finally:
        limiter.init_app(app)  # the limiter is process-wide: give it back the suite's storage
        for key in redis_client.scan_iter(f"*{prefix}*"):
            redis_client.delete(key)
    assert statuses == [200, 200, 200, 200, 429]
    assert stored, "the counts must live in Redis, not in process memory"
