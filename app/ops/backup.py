"""Consistent backups under write load, and restores into an empty database.

SQLite is copied with its online backup API in one step: one read transaction, so the copy is
the database as of one commit while writers carry on (WAL readers never block writers), and
never a torn file copy. PostgreSQL is dumped with ``pg_dump -Fc``, which reads from one
snapshot. Either way the copy is written to a hidden ``.part`` file created with mode 0600 in
the destination's directory, checked, fsynced and only then given its name, so a failure never
leaves a half-written backup behind and nobody else can read one while it is written.
"""

import os
import secrets
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from app.errors import DomainError

FILE_MODE = 0o600
DIR_MODE = 0o700
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}


class BackupError(DomainError):
    """A backup or restore was refused or failed; ``code`` is stable, ``message`` Vietnamese."""

    status = 409


@dataclass
class Outcome:
    """What a backup or restore produced and what was checked."""

    path: Path
    backend: str
    size: int = 0
    checks: list[str] = field(default_factory=list)


def backend_of(database_url: str) -> str:
    name = make_url(database_url).get_backend_name()
    if name not in SUFFIXES:
        raise BackupError("unsupported_database", f"Không sao lưu được loại cơ sở dữ liệu {name}.")
    return name


# -- writing a file safely -----------------------------------------------------------------------


def resolve_destination(dest: str | Path, backend: str, now: datetime | None = None) -> Path:
    """A directory (existing, or named with a trailing slash) gets a timestamped file inside it."""
    named_as_directory = str(dest).endswith(os.sep)  # Path() would drop the trailing slash
    dest = Path(dest)
    if dest.is_dir() or named_as_directory:
        dest.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%SZ")
        return dest / f"dat7-{stamp}{SUFFIXES[backend]}"
    if not dest.parent.is_dir():
        raise BackupError("destination_missing", f"Thư mục {dest.parent} không tồn tại.")
    return dest


def _fsync_path(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_atomically(target: Path, force: bool, write) -> None:
    """Run ``write(part_path)`` on a fresh 0600 file, then give it ``target``'s name.

    Without ``force`` the name is taken with ``link``, which fails if ``target`` appeared
    meanwhile, so an existing backup is never overwritten, not even by a race.
    """
    if target.exists() and not force:
        raise BackupError("destination_exists", f"Tệp {target} đã có; dùng --force để ghi đè.")
    part = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    try:
        write(part)
        _fsync_path(part)
        if force:
            os.replace(part, target)
        else:
            try:
                os.link(part, target)
            except FileExistsError:
                raise BackupError("destination_exists", f"Tệp {target} đã có; dùng --force để ghi đè.") from None
            os.unlink(part)
        _fsync_path(target.parent)  # the new name itself survives a crash
    finally:
        for leftover in [part, *(Path(f"{part}{extra}") for extra in ("-journal", "-wal", "-shm"))]:
            leftover.unlink(missing_ok=True)


# -- SQLite --------------------------------------------------------------------------------------


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("unsupported_database", "Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được.")
    return Path(database)


def sqlite_checks(path: Path) -> list[str]:
    """``integrity_check`` and ``foreign_key_check`` of the file at ``path``, or BackupError."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        orphans = connection.execute("PRAGMA foreign_key_check").fetchall()
        tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    except sqlite3.DatabaseError as error:  # not a database at all, or unreadable
        raise BackupError("integrity_failed", f"Tệp {path} không phải cơ sở dữ liệu SQLite hợp lệ ({error}).") from None
    finally:
        connection.close()
    if integrity != ["ok"]:
        raise BackupError("integrity_failed", f"Bản sao bị lỗi (integrity_check): {'; '.join(integrity[:5])}")
    if orphans:
        raise BackupError("integrity_failed", f"Bản sao có {len(orphans)} dòng tham chiếu hỏng (foreign_key_check).")
    return ["integrity_check: ok", "foreign_key_check: ok", f"{tables} tables"]


def _sqlite_copy(source: Path, destination: Path, self_contained: bool = True) -> None:
    """Copy with the online backup API, all pages in one step (one snapshot, see the module)."""
    reader = sqlite3.connect(source, timeout=30)
    writer = sqlite3.connect(destination, timeout=30)
    try:
        reader.backup(writer)
        if self_contained:
            # A backup inherits WAL mode from the live file; make it one self-contained file.
            # (Not on restore: the live database keeps its mode, and other connections may be open.)
            writer.execute("PRAGMA journal_mode=DELETE")
    finally:
        writer.close()
        reader.close()


def backup_sqlite(database_url: str, target: Path, force: bool) -> Outcome:
    source = sqlite_path(database_url)
    if not source.is_file():  # sqlite3.connect would quietly create an empty database
        raise BackupError("source_missing", f"Không có tệp cơ sở dữ liệu {source}.")
    outcome = Outcome(target, "sqlite")

    def write(part: Path) -> None:
        _sqlite_copy(source, part)
        outcome.checks = sqlite_checks(part)  # checked before it gets its name

    write_atomically(target, force, write)
    outcome.size = target.stat().st_size
    return outcome


def sqlite_tables(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        connection.close()


def restore_sqlite(database_url: str, source: Path, force: bool) -> Outcome:
    """Copy a backup into the database with the backup API (the live file's WAL stays coherent)."""
    target = sqlite_path(database_url)
    sqlite_checks(source)  # never restore a damaged copy
    if target.exists():
        if sqlite_tables(target) and not force:
            raise BackupError("not_empty", f"Cơ sở dữ liệu {target} không trống; dùng --force để ghi đè.")
    else:
        if not target.parent.is_dir():
            raise BackupError("destination_missing", f"Thư mục {target.parent} không tồn tại.")
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _sqlite_copy(source, target, self_contained=False)
    return Outcome(target, "sqlite", target.stat().st_size, sqlite_checks(target))


# -- PostgreSQL ------------------------------------------------------------------------------------


def postgres_env(database_url: str) -> tuple[dict, list[str]]:
    """libpq environment for ``database_url`` (the password stays out of argv) and its schemas.

    A URL carrying ``options=-csearch_path=a,b`` is a deployment living in those schemas; only
    they are dumped, and only they must be empty to restore.
    """
    url = make_url(database_url)
    env = dict(os.environ)  # PGPASSFILE, PGSSLROOTCERT... of the operator still apply
    for key, value in (
        ("PGHOST", url.host or url.query.get("host")),  # a Unix socket comes as ?host=/run/postgresql
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if value is not None:
            env[key] = str(value)
    schemas = []
    options = url.query.get("options") or ""
    for option in (options if isinstance(options, str) else " ".join(options)).split():
        if option.startswith("-csearch_path="):
            schemas = [s.strip() for s in option.split("=", 1)[1].split(",") if s.strip()]
    return env, schemas


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError("tool_missing", f"Không tìm thấy {name} (cài gói postgresql-client).")
    return found


def _run(command: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, stderr=subprocess.PIPE, check=False, **kwargs)  # noqa: S603  (pg_dump/pg_restore by absolute path, arguments a list, no shell)
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise BackupError("dump_failed", f"{Path(command[0]).name} thất bại: {' '.join(detail)}")
    return result


def backup_postgres(database_url: str, target: Path, force: bool) -> Outcome:
    env, schemas = postgres_env(database_url)
    command = [_tool("pg_dump"), "--format=custom", "--no-password"]
    command += [f"--schema={schema}" for schema in schemas]
    outcome = Outcome(target, "postgresql")

    def write(part: Path) -> None:
        with open(part, "wb") as handle:
            _run(command, env, stdout=handle)
        # pg_restore reads the whole table of contents back: the archive is complete and readable.
        listing = _run([_tool("pg_restore"), "--list", str(part)], env, stdout=subprocess.PIPE)
        entries = [line for line in listing.stdout.decode().splitlines() if line and not line.startswith(";")]
        outcome.checks = ["pg_restore --list: ok", f"{len(entries)} archive entries"]

    write_atomically(target, force, write)
    outcome.size = target.stat().st_size
    return outcome


def postgres_tables(database_url: str) -> int:
    import psycopg

    env, schemas = postgres_env(database_url)
    query = (
        "SELECT count(*) FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
    )
    url = make_url(database_url).set(drivername="postgresql")  # psycopg takes libpq's options, sslmode...
    with psycopg.connect(url.render_as_string(hide_password=False)) as connection:
        if schemas:
            return connection.execute(query + " AND table_schema = ANY(%s)", (schemas,)).fetchone()[0]
        return connection.execute(query).fetchone()[0]


def restore_postgres(database_url: str, source: Path, force: bool) -> Outcome:
    """``pg_restore`` in one transaction: a failed restore leaves the database as it was."""
    if not source.is_file():
        raise BackupError("source_missing", f"Không có tệp sao lưu {source}.")
    if postgres_tables(database_url) and not force:
        raise BackupError("not_empty", "Cơ sở dữ liệu đích không trống; dùng --force để ghi đè.")
    env, _ = postgres_env(database_url)
    # --clean drops what the archive is about to create (an existing empty schema included).
    command = [_tool("pg_restore"), "--no-password", "--single-transaction", "--exit-on-error"]
    command += ["--clean", "--if-exists", "--no-owner", "--no-privileges", f"--dbname={env.get('PGDATABASE', '')}"]
    _run([*command, str(source)], env)
    return Outcome(source, "postgresql", source.stat().st_size, ["pg_restore: ok"])


# -- the two commands ------------------------------------------------------------------------------


def backup(database_url: str, dest: str | Path, force: bool = False) -> Outcome:
    """Write a checked, consistent copy of the database to ``dest`` (a file or a directory).

    :raises BackupError: ``destination_exists``, ``destination_missing``, ``source_missing``,
        ``integrity_failed``, ``tool_missing``, ``dump_failed``, ``unsupported_database``.
    """
    backend = backend_of(database_url)
    target = resolve_destination(dest, backend)
    if backend == "sqlite":
        return backup_sqlite(database_url, target, force)
    return backup_postgres(database_url, target, force)


def restore(database_url: str, source: Path, force: bool = False) -> Outcome:
    """Load the backup at ``source`` into the (empty, unless ``force``) database.

    :raises BackupError: ``not_empty``, ``source_missing``, ``integrity_failed``, ``dump_failed``, ...
    """
    backend = backend_of(database_url)
    source = Path(source)
    if not source.is_file():
        raise BackupError("source_missing", f"Không có tệp sao lưu {source}.")
    if backend == "sqlite":
        return restore_sqlite(database_url, source, force)
    return restore_postgres(database_url, source, force)


def alembic_revision(database_url_engine) -> str | None:
    """The schema revision recorded in the database (None before the first migration)."""
    from sqlalchemy import inspect, text

    with database_url_engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
