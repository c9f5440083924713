"""The restore drill: back up a database while threads write to it, restore the copy, check it.

Shared by tests/ops/test_restore_drill.py and bench/restore_drill.py (one command for anyone).
Each writer commits a person and that person's audit entry in one transaction, so a copy that
holds a different number of the two was not taken at one commit: that is what "consistent" means
here, beside SQLite's integrity and foreign-key checks and PostgreSQL's validated constraints.
"""

import os
import sqlite3
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from app.audit import services as audit
from app.audit.models import AuditEntry
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.people.models import Gender, Person
from app.reference.services import load_reference_data
from tests.conftest import (
    build_test_app,
    drop_postgres_schema,
    postgres_url,
    private_postgres_schema,
    run_ddl,
    upgrade_to_head,
)

DRILL_ACTION = "drill.person"
WRITERS = 3
WRITES_BEFORE_BACKUP = 30


@dataclass
class Drill:
    backend: str
    writes: int = 0  # commits by the writers over the whole drill
    before: int = 0  # people committed before the backup started
    after: int = 0  # ... when it had finished
    in_copy: int = 0
    audits_in_copy: int = 0
    backup_path: Path | None = None
    backup_mode: int = 0
    backup_seconds: float = 0.0
    revision: str | None = None
    head: str | None = None
    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    backup_output: str = ""
    restore_output: str = ""


def _databases(backend: str, tmp: Path, tag: str):
    """URLs of a fresh source and an empty target database, and a function that drops them."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'source.db'}", f"sqlite:///{tmp / 'restored.db'}", lambda: None
    schema, target_db = f"drill_{tag}", f"drill_restore_{tag}"
    source = private_postgres_schema(postgres_url(), schema)
    run_ddl("DROP DATABASE IF EXISTS {} WITH (FORCE)", target_db)
    run_ddl("CREATE DATABASE {}", target_db)
    base = make_url(postgres_url()).set(database=target_db)
    target = f"{base.render_as_string(hide_password=False)}?options=-csearch_path%3D{schema}"

    def drop():
        drop_postgres_schema(postgres_url(), schema)
        run_ddl("DROP DATABASE IF EXISTS {} WITH (FORCE)", target_db)

    return source, target, drop


def _write_people(application, stop: threading.Event, counter: list, errors: list, number: int) -> None:
    """Commit one person and their audit entry per transaction, as a request would, until told to stop."""
    with application.app_context():
        unit_id = db.session.scalar(select(AdminUnit.id).where(AdminUnit.level == UnitLevel.commune).limit(1))
        db.session.remove()
    index = 0
    while not stop.is_set():
        index += 1
        try:
            # A POST request context: on SQLite the transaction begins IMMEDIATE, as in the app.
            with application.test_request_context("/", method="POST"):
                person = Person(
                    full_name=f"Diễn Tập Viên {number}-{index}",
                    gender=Gender.female,
                    birth_year=1980,
                    level=UnitLevel.village,
                    unit_id=unit_id,
                )
                db.session.add(person)
                db.session.flush()
                audit.record(DRILL_ACTION, person, after={"full_name": person.full_name})
                db.session.commit()
                counter.append(1)
                db.session.remove()
        except Exception as error:  # noqa: BLE001 (reported by the drill, not swallowed)
            errors.append(repr(error))
            return


def _count(application, model, *where) -> int:
    with application.app_context():
        value = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
        return value


def _people(application) -> int:
    return _count(application, Person, Person.full_name.like("Diễn Tập Viên %"))


def run_drill(backend: str, tmp: Path, tag: str | None = None) -> Drill:
    """Back up ``backend`` under write load, restore into an empty database, and check the copy."""
    tag = tag or str(os.getpid())
    drill = Drill(backend)
    source_url, target_url, drop = _databases(backend, tmp, tag)
    source = build_test_app(source_url, tmp / "source-instance")
    target = build_test_app(target_url, tmp / "target-instance")
    try:
        upgrade_to_head(source)
        with source.app_context():
            load_reference_data()
            db.session.commit()
            config = source.extensions["migrate"].migrate.get_config()
            from alembic.script import ScriptDirectory

            drill.head = ScriptDirectory.from_config(config).get_current_head()
        _backup_under_load(drill, source, tmp / "backups")
        if drill.backup_path is not None:
            _restore_and_check(drill, target)
    finally:
        for application in (source, target):
            with application.app_context():
                db.session.remove()
                db.engine.dispose()
        drop()
    return drill


def _backup_under_load(drill: Drill, source, backups: Path) -> None:
    stop, counter, errors = threading.Event(), [], []
    writers = [threading.Thread(target=_write_people, args=(source, stop, counter, errors, n)) for n in range(WRITERS)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 60
    while len(counter) < WRITES_BEFORE_BACKUP and not errors and time.monotonic() < deadline:
        time.sleep(0.02)
    drill.before = _people(source)
    started = time.perf_counter()
    result = source.test_cli_runner().invoke(args=["backup", f"{backups}{os.sep}"])
    drill.backup_seconds = time.perf_counter() - started
    drill.after = _people(source)
    time.sleep(0.2)  # the writers carry on after the backup, as the app would
    stop.set()
    for writer in writers:
        writer.join()
    drill.writes = len(counter)
    drill.backup_output = result.output
    drill.problems += [f"writer failed: {error}" for error in errors]
    if result.exit_code != 0:
        drill.problems.append(f"backup exited {result.exit_code}: {result.output.strip()} {result.exception!r}")
        return
    files = sorted(backups.iterdir())
    if len(files) != 1:
        drill.problems.append(f"expected one backup file, found {[f.name for f in files]}")
        return
    drill.backup_path = files[0]
    drill.backup_mode = stat.S_IMODE(files[0].stat().st_mode)
    if drill.backend == "postgresql":
        _check_only_our_schema(drill, source)
    if drill.after <= drill.before:
        drill.problems.append(f"no write landed while the backup ran ({drill.before} -> {drill.after})")


def _check_only_our_schema(drill: Drill, source) -> None:
    """Other schemas on the same server (other deployments, other test runs) stay out of the dump."""
    import subprocess

    listing = subprocess.run(["pg_restore", "--list", str(drill.backup_path)], capture_output=True, check=True)
    schemas = {
        line.split()[-2] for line in listing.stdout.decode().splitlines() if " SCHEMA - " in line and "ACL" not in line
    }
    wanted = {source.config["SQLALCHEMY_DATABASE_URI"].rsplit("%3D", 1)[-1]}
    drill.checks.append(f"schemas in the dump: {', '.join(sorted(schemas))}")
    if schemas != wanted:
        drill.problems.append(f"the dump holds schemas {schemas}, expected only {wanted}")


def _restore_and_check(drill: Drill, target) -> None:
    result = target.test_cli_runner().invoke(args=["restore", str(drill.backup_path)])
    drill.restore_output = result.output
    if result.exit_code != 0:
        drill.problems.append(f"restore exited {result.exit_code}: {result.output.strip()} {result.exception!r}")
        return
    drill.in_copy = _people(target)
    drill.audits_in_copy = _count(target, AuditEntry, AuditEntry.action == DRILL_ACTION)
    with target.app_context():
        drill.revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        if drill.backend == "postgresql":
            foreign_keys, unchecked = db.session.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE NOT convalidated) FROM pg_constraint"
                    " WHERE contype = 'f' AND connamespace = current_schema()::regnamespace"
                )
            ).one()
            drill.checks.append(f"{foreign_keys} foreign keys validated by PostgreSQL, {unchecked} not")
            if unchecked or not foreign_keys:
                drill.problems.append("foreign keys not validated in the restored database")
        db.session.remove()
        db.engine.dispose()
    if drill.backend == "sqlite":
        path = make_url(target.config["SQLALCHEMY_DATABASE_URI"]).database
        with sqlite3.connect(path) as connection:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            orphans = connection.execute("PRAGMA foreign_key_check").fetchall()
        drill.checks.append(f"integrity_check: {', '.join(integrity)}; foreign_key_check: {len(orphans)} rows")
        if integrity != ["ok"] or orphans:
            drill.problems.append("the restored SQLite database fails its checks")
    if not drill.before <= drill.in_copy <= drill.after:
        drill.problems.append(f"copy holds {drill.in_copy} people, outside [{drill.before}, {drill.after}]")
    if drill.audits_in_copy != drill.in_copy:
        drill.problems.append(f"torn copy: {drill.in_copy} people but {drill.audits_in_copy} audit entries")
    if drill.revision != drill.head:
        drill.problems.append(f"schema revision {drill.revision}, head is {drill.head}")
    again = target.test_cli_runner().invoke(args=["restore", str(drill.backup_path)])
    if again.exit_code == 0 or "không trống" not in again.output:
        drill.problems.append(f"a second restore into the now non-empty database was not refused: {again.output}")
    else:
        drill.checks.append("a second restore into the non-empty database is refused")


def describe(drill: Drill) -> list[str]:
    return [
        f"{drill.backend}: {WRITERS} writer threads committed {drill.writes} person+audit transactions",
        f"  backup took {drill.backup_seconds:.2f} s: {drill.before} people before it began, {drill.after} when it"
        f" ended; the copy holds {drill.in_copy} people and {drill.audits_in_copy} matching audit entries",
        f"  file {drill.backup_path.name if drill.backup_path else '-'} mode {drill.backup_mode:o}; "
        f"schema revision {drill.revision} (head {drill.head})",
        *(f"  {check}" for check in drill.checks),
        *(f"  PROBLEM: {problem}" for problem in drill.problems),
    ]
