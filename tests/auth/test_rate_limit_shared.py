"""Login rate limits live in Redis when REDIS_URL is set, so every app server counts together."""

import os

import pytest

from app.extensions import limiter
from tests.conftest import build_test_app, skip_or_fail

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_client():
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {error}", "REQUIRE_REDIS")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.mark.no_transaction
def test_two_app_servers_share_one_login_limit(app, redis_client, tmp_path):
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    settings = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "LOGIN_RATE_LIMIT": "4 per minute",
        "RATELIMIT_KEY_PREFIX": f"test-{os.getpid()}",
    }
    first = build_test_app(database, tmp_path / "one", **settings)
    second = build_test_app(database, tmp_path / "two", **settings)
    attempt = {"username": "nobody", "password": "not-the-password"}
    try:
        statuses = [
            server.test_client().post("/login", data=attempt).status_code
            for server in (first, second, first, second, first)
        ]
    finally:
        limiter.init_app(app)  # the limiter is process-wide: give it back the suite's storage
    assert statuses == [200, 200, 200, 200, 429]
    assert redis_client.dbsize() > 0, "the counts must live in Redis, not in process memory"
