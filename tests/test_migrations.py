"""The schema comes only from Alembic: one head, and upgrading an empty database gives the models."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db
from tests.conftest import (
    build_test_app,
    postgres_unavailable_reason,
    postgres_url,
    run_ddl,
    skip_or_fail,
    upgrade_to_head,
)


def test_single_head(app):
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1


def test_migration_files_are_named_date_first(app):
    import re

    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        for revision in script.walk_revisions():
            assert re.match(r"^\d{8}_[0-9a-f]+_", revision.path.rsplit("/", 1)[-1]), revision.path


def _assert_schema_matches_models(application):
    with application.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.no_transaction
def test_upgrading_an_empty_sqlite_database_gives_the_models_schema(tmp_path):
    application = build_test_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    upgrade_to_head(application)
    _assert_schema_matches_models(application)


@pytest.mark.no_transaction
def test_an_upgrade_in_process_leaves_the_app_s_loggers_working(tmp_path):
    """`flask db upgrade` and the tests migrate in the app's process: Alembic's logging set-up
    must not switch off the loggers the app already made (a refused check-in logs a warning)."""
    import logging

    application = build_test_app(f"sqlite:///{tmp_path / 'logs.db'}", tmp_path)
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    logger = logging.getLogger("app.errors")
    upgrade_to_head(application)
    assert not logger.disabled
    assert (root.level, list(root.handlers)) == before


@pytest.mark.no_transaction
def test_upgrading_an_empty_postgresql_database_gives_the_models_schema(tmp_path):
    reason = postgres_unavailable_reason()
    if reason:
        skip_or_fail(reason, "REQUIRE_POSTGRES")
    base = postgres_url()
    name = f"dat7_migration_check_{os.getpid()}"
    run_ddl("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    run_ddl("CREATE DATABASE {}", name)
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        application = build_test_app(url, tmp_path)
        upgrade_to_head(application)
        _assert_schema_matches_models(application)
        with application.app_context():
            db.engine.dispose()
    finally:
        run_ddl("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
