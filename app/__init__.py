"""Application factory: config -> extensions -> blueprints -> errors -> CLI."""

import logging

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import PROJECT_ROOT, build_config
from app.core import sqlite_lock
from app.extensions import babel, csrf, db, limiter, login_manager, migrate, select_locale

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str((overrides or {}).get("INSTANCE_PATH") or PROJECT_ROOT / "instance"),
    )
    app.config.update(build_config(instance_path=app.instance_path))
    app.config.update(overrides or {})
    # JSON is UTF-8: names read as "Hoàng Thị Hoa" in the API, not as \u escapes.
    app.json.ensure_ascii = False
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=app.config["TRUSTED_PROXIES"],
            x_proto=app.config["TRUSTED_PROXIES"],
            x_host=app.config["TRUSTED_PROXIES"],
        )

    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_request_hooks(app)

    from app.errors import register_error_handlers

    register_error_handlers(app)

    from app.cli import register_cli

    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    from app.auth.loaders import init_login

    init_login(app, login_manager)

    import app.models  # noqa: F401  (every model known to Alembic and relationships)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL, foreign keys and a busy timeout on every SQLite connection.

    pysqlite's own transaction handling is switched off and BEGIN is emitted by SQLAlchemy
    (see ``_sqlite_begin``), so savepoints and rollbacks behave as on PostgreSQL.
    ``synchronous`` is the app's SQLITE_SYNCHRONOUS (NORMAL unless set; docs/reliability.md):
    Flask-SQLAlchemy only connects inside an app context, so the app's setting is at hand.
    """
    import sqlite3

    from flask import current_app, has_app_context

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    synchronous = current_app.config.get("SQLITE_SYNCHRONOUS", "NORMAL") if has_app_context() else "NORMAL"
    if synchronous not in ("NORMAL", "FULL", "EXTRA"):  # never pasted into SQL unchecked
        synchronous = "NORMAL"
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    """A request that may write takes SQLite's write lock when its transaction starts.

    A deferred transaction that reads and then writes cannot wait for another writer (SQLite
    refuses the lock upgrade at once, busy timeout or not); starting with BEGIN IMMEDIATE makes
    such requests queue behind each other instead, so read-then-write rules (capacity, waiting
    lists, quotas) hold under concurrency. Reads (GET) stay deferred and never block.
    """
    if connection.dialect.name != "sqlite":
        return
    from flask import g, has_request_context, request

    if not has_request_context():
        connection.exec_driver_sql("BEGIN")
        return
    chosen = g.get("sqlite_begin")  # a hot path may read first (app/core/transactions.py)
    statement = chosen or ("BEGIN IMMEDIATE" if request.method in WRITE_METHODS else "BEGIN")
    if statement == "BEGIN IMMEDIATE":
        sqlite_lock.acquire(connection)  # our writers queue in order (app/core/sqlite_lock.py)
    connection.exec_driver_sql(statement)


@event.listens_for(Engine, "commit")
def _sqlite_commit(connection):
    sqlite_lock.release(connection.info)


@event.listens_for(Engine, "rollback")
def _sqlite_rollback(connection):
    sqlite_lock.release(connection.info)


@event.listens_for(Pool, "checkin")
def _sqlite_checkin(dbapi_connection, connection_record):
    # A connection returned with its transaction still open (an error path) must not keep the lock.
    sqlite_lock.release(connection_record.info)


def register_url_converters(app: Flask) -> None:
    from app.core.urls import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added: rules bind their converter


def register_blueprints(app: Flask) -> None:
    from app.api import attendance as api_attendance  # noqa: F401  (these register their routes on api_bp)
    from app.api import certificates as api_certificates  # noqa: F401
    from app.api import evaluations as api_evaluations  # noqa: F401
    from app.api import planning as api_planning  # noqa: F401
    from app.api import registration as api_registration  # noqa: F401
    from app.api import reports as api_reports  # noqa: F401
    from app.api import views as api_views  # noqa: F401
    from app.api.blueprint import bp as api_bp
    from app.attendance.views import bp as attendance_bp
    from app.audit.views import bp as audit_bp
    from app.auth.views import bp as auth_bp
    from app.budget.views import bp as budget_bp
    from app.certificates.views import bp as certificates_bp
    from app.core.views import bp as core_bp
    from app.costs.views import bp as costs_bp
    from app.evaluations.views import bp as evaluations_bp
    from app.geo.views import bp as geo_bp
    from app.materials.views import bp as materials_bp
    from app.people.views import bp as people_bp
    from app.planning.views import bp as planning_bp
    from app.privacy.views import bp as privacy_bp
    from app.reference.views import bp as reference_bp
    from app.registration.views import bp as registration_bp
    from app.reports import framework_views  # noqa: F401  (the results framework's routes, on reports_bp)
    from app.reports.views import bp as reports_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(geo_bp)
    app.register_blueprint(reference_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(budget_bp)
    app.register_blueprint(planning_bp)
    app.register_blueprint(materials_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(attendance_bp)
    app.register_blueprint(evaluations_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(costs_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens, never cookies: see app/api/auth.py


def register_request_hooks(app: Flask) -> None:
    from flask_babel import get_locale

    from app.core import formats
    from app.permissions import template_helpers

    app.jinja_env.filters.update(formats.FILTERS)
    app.jinja_env.globals["get_locale"] = get_locale
    app.context_processor(template_helpers)

    @app.before_request
    def refuse_nul_characters():
        """A NUL in the path, the query, a form field or a JSON body is a 400, on every route:
        PostgreSQL refuses it in text (a 500 if it reached a query), found by the API fuzzing."""
        from flask import abort

        from app.core.text import holds_nul

        fields = [request.path, *request.args.lists()]
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields.extend(request.form.lists())  # uploaded files are not text: request.files is left alone
        elif request.is_json:
            fields.append(request.get_json(silent=True))
        if any(holds_nul(field if not isinstance(field, tuple) else list(field)) for field in fields):
            abort(400)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages carry personal data: never keep them in shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
