"""Test harness: one app per database backend, built from the migrations; every test rolled back.

Backends: SQLite always; PostgreSQL when ``TEST_DATABASE_URL`` is set or the local server
(127.0.0.1:5432, user postgres, database test) answers. With ``REQUIRE_POSTGRES=1`` (CI)
an unreachable PostgreSQL fails the run instead of skipping.
"""

import contextvars
import os
from pathlib import Path

import pytest
from alembic import command
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession

from app import create_app
from app.budget.services import load_year
from app.extensions import db, limiter
from app.planning.reference import load_trainer_tiers
from app.reference.services import load_reference_data

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TEST_PASSWORD = "Mật-khẩu-thử-2023"


def postgres_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL


def postgres_unavailable_reason() -> str | None:
    import psycopg

    try:
        with psycopg.connect(postgres_url(), connect_timeout=3):
            return None
    except Exception as error:  # any failure means: no PostgreSQL to test against
        return f"PostgreSQL not reachable at {postgres_url()}: {error}"


def skip_or_fail(reason: str, required_env: str) -> None:
    if os.environ.get(required_env) == "1":
        pytest.fail(f"{reason} (and {required_env}=1 forbids skipping)")
    pytest.skip(reason)


def run_ddl(template: str, name: str, url: str | None = None) -> None:
    """Run one DDL statement whose ``{}`` is an identifier, quoted by psycopg (never pasted in)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url or postgres_url(), autocommit=True) as conn:
        conn.execute(sql.SQL(template).format(sql.Identifier(name)))


def private_postgres_schema(url: str, name: str) -> str:
    """Create an empty schema ``name`` and return a URL whose connections use only it.

    Each test session (and each benchmark) works in its own schema, so two runs against one
    server never see or drop each other's tables, and ``public`` is left alone.
    """
    run_ddl("DROP SCHEMA IF EXISTS {} CASCADE", name, url)
    run_ddl("CREATE SCHEMA {}", name, url)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{name}"


def drop_postgres_schema(url: str, name: str) -> None:
    run_ddl("DROP SCHEMA IF EXISTS {} CASCADE", name, url)


def upgrade_to_head(app) -> None:
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        command.upgrade(config, "head")


class IsolatedClient(FlaskClient):
    """A test client whose requests never see the test's own app context.

    Flask reuses an active app context for a request, so ``g`` (and the user Flask-Login
    caches there) would leak from one request to the next; a fresh ``contextvars`` context
    gives each request its own app context, ``g`` and database session, as in production.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def build_test_app(database_url: str, instance_path: Path, **extra):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
        "WTF_CSRF_ENABLED": False,
        "INSTANCE_PATH": str(instance_path),
        "CERTIFICATES_DIR": str(instance_path / "certificates"),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        # Public endpoints hit many times by the suite; tests of the limits set their own.
        "CHECKIN_RATE_LIMIT": "10000 per minute",
        "VERIFY_RATE_LIMIT": "10000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        **extra,
    }
    from app.config import normalise_database_url

    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    application = create_app(config)
    application.test_client_class = IsolatedClient
    return application


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory):
    """The application on one backend, schema from migrations, reference data loaded."""
    instance = tmp_path_factory.mktemp(f"instance-{request.param}")
    if request.param == "postgresql":
        reason = postgres_unavailable_reason()
        if reason:
            skip_or_fail(reason, "REQUIRE_POSTGRES")
        schema = f"test_{os.getpid()}"
        url = private_postgres_schema(postgres_url(), schema)
    else:
        url = f"sqlite:///{instance / 'test.db'}"
    application = build_test_app(url, instance)
    upgrade_to_head(application)
    with application.app_context():
        load_reference_data()
        load_trainer_tiers()
        load_year(2023)
        db.session.commit()
    yield application
    with application.app_context():
        db.engine.dispose()
    if request.param == "postgresql":
        drop_postgres_schema(postgres_url(), schema)


class ConnectionBoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session picks an engine per model and ignores ``bind``; tests need
    every session (the test's and each request's) on the one connection that is rolled back."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run each test inside a transaction that is rolled back, so tests never see each other.

    Code under test may commit: with ``create_savepoint`` a commit only releases a savepoint.
    """
    if "no_transaction" in request.keywords:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"class_": ConnectionBoundSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
    limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_ctx(app):
    with app.test_request_context():
        yield


class AuthActions:
    """Sign in and out through the real login form, as flaskr's tests do."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_name, password=TEST_PASSWORD, **kwargs):
        username = getattr(user_or_name, "username", user_or_name)
        return self.client.post("/login", data={"username": username, "password": password, **kwargs})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def api(app, client):
    """Call the JSON API with a bearer token of the given user."""
    from tests.factories import bearer_token

    class Api:
        def __call__(self, method, path, user=None, **kwargs):
            headers = kwargs.pop("headers", {})
            if user is not None:
                headers["Authorization"] = f"Bearer {bearer_token(app, user)}"
            return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return Api()


def pytest_configure(config):
    config.addinivalue_line("markers", "no_transaction: the test manages its own database")
    config.addinivalue_line("markers", "browser: drives a real Chromium")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With FAIL_ON_SKIP=1 (CI) a skipped test is a failed test: nothing is skipped silently."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("FAIL_ON_SKIP") == "1" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, and FAIL_ON_SKIP=1 forbids skips: {report.longrepr}"
