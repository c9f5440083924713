"""GET /healthz: what a load balancer asks before sending a server requests."""

import pytest

from app.extensions import limiter
from tests.auth.test_rate_limit_shared import REDIS_URL, redis_client  # noqa: F401  (fixture)
from tests.conftest import build_test_app


def test_a_healthy_server_answers_200_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not_configured"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.no_transaction
def test_a_server_without_its_database_answers_503(tmp_path):
    broken = build_test_app(f"sqlite:///{tmp_path / 'no-such-dir' / 'app.db'}", tmp_path)
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "down", "redis": "not_configured"}


@pytest.mark.no_transaction
def test_redis_is_checked_when_the_rate_limits_live_there(app, redis_client, tmp_path):  # noqa: F811
    database = f"sqlite:///{tmp_path / 'health.db'}"
    try:
        shared = build_test_app(database, tmp_path / "one", RATELIMIT_STORAGE_URI=REDIS_URL)
        assert shared.test_client().get("/healthz").get_json()["redis"] == "ok"
        gone = build_test_app(database, tmp_path / "two", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
        response = gone.test_client().get("/healthz")
    finally:
        limiter.init_app(app)  # the limiter is process-wide: give it back the suite's storage
    assert response.status_code == 503
    assert response.get_json()["redis"] == "down"
