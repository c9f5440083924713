"""flask backup / flask restore: file modes, no overwrite, nothing half-written, clear refusals."""

import stat

import pytest

from app.ops import backup as service
from tests.conftest import build_test_app, upgrade_to_head


def run(application, *args):
    return application.test_cli_runner().invoke(args=list(args))


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on an SQLite file of its own (the file backup reads must hold the schema)."""
    application = build_test_app(f"sqlite:///{tmp_path / 'live.db'}", tmp_path / "instance")
    upgrade_to_head(application)
    return application


@pytest.mark.no_transaction
def test_a_directory_gets_a_private_timestamped_file_and_existing_files_are_kept(sqlite_app, tmp_path):
    first = run(sqlite_app, "backup", f"{tmp_path / 'backups'}/")
    files = list((tmp_path / "backups").iterdir())
    assert first.exit_code == 0, first.output
    assert mode(tmp_path / "backups") == 0o700
    assert len(files) == 1 and files[0].name.startswith("dat7-") and files[0].suffix == ".sqlite3"
    assert mode(files[0]) == 0o600
    assert "integrity_check: ok" in first.output

    again = run(sqlite_app, "backup", str(files[0]))
    assert again.exit_code != 0 and "đã có" in again.output and "--force" in again.output
    forced = run(sqlite_app, "backup", str(files[0]), "--force")
    assert forced.exit_code == 0, forced.output
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [files[0].name]  # no temp file left


@pytest.mark.no_transaction
def test_a_failed_copy_leaves_no_file_behind(sqlite_app, tmp_path, monkeypatch):
    def copy_then_fail(source, destination):
        destination.write_bytes(b"half a database")
        raise service.BackupError("integrity_failed", "Bản sao bị lỗi (integrity_check): giả lập")

    monkeypatch.setattr(service, "_sqlite_copy", copy_then_fail)
    (tmp_path / "out").mkdir()
    result = run(sqlite_app, "backup", str(tmp_path / "out" / "copy.sqlite3"))
    assert result.exit_code != 0 and "Sao lưu thất bại" in result.output
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.no_transaction
def test_a_missing_database_or_directory_is_refused_not_created(tmp_path):
    missing = build_test_app(f"sqlite:///{tmp_path / 'nothing.db'}", tmp_path / "instance")
    result = run(missing, "backup", str(tmp_path / "copy.sqlite3"))
    assert result.exit_code != 0 and "Không có tệp cơ sở dữ liệu" in result.output
    assert not (tmp_path / "nothing.db").exists() and not (tmp_path / "copy.sqlite3").exists()
    nowhere = run(missing, "backup", str(tmp_path / "no" / "such" / "copy.sqlite3"))
    assert nowhere.exit_code != 0 and "không tồn tại" in nowhere.output


@pytest.mark.no_transaction
def test_restore_refuses_a_damaged_backup_and_a_database_that_is_not_empty(sqlite_app, tmp_path):
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all" * 100)
    fresh = build_test_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "instance")
    damaged = run(fresh, "restore", str(garbage))
    assert damaged.exit_code != 0 and "không phải cơ sở dữ liệu SQLite" in damaged.output
    assert not (tmp_path / "fresh.db").exists()

    copy = tmp_path / "copy.sqlite3"
    assert run(sqlite_app, "backup", str(copy)).exit_code == 0
    refused = run(sqlite_app, "restore", str(copy))  # the live database has the schema: not empty
    assert refused.exit_code != 0 and "không trống" in refused.output
    restored = run(fresh, "restore", str(copy))
    assert restored.exit_code == 0, restored.output
    assert mode(tmp_path / "fresh.db") == 0o600 and "(mới nhất)" in restored.output
    forced = run(sqlite_app, "restore", str(copy), "--force")
    assert forced.exit_code == 0 and "integrity_check: ok" in forced.output, forced.output


@pytest.mark.no_transaction
def test_a_failing_pg_dump_says_why_never_shows_the_password_and_leaves_nothing(tmp_path):
    url = "postgresql://dat7:mat-khau-bi-mat@127.0.0.1:1/dat7?options=-csearch_path%3Dkhong_co"
    application = build_test_app(url, tmp_path / "instance")
    (tmp_path / "out").mkdir()
    result = run(application, "backup", str(tmp_path / "out") + "/")
    assert result.exit_code != 0 and "pg_dump thất bại" in result.output
    assert "mat-khau-bi-mat" not in result.output
    assert list((tmp_path / "out").iterdir()) == []


def test_the_dump_is_limited_to_the_schema_in_the_url_and_the_password_goes_through_the_environment():
    env, schemas = service.postgres_env(
        "postgresql+psycopg://u:p%40ss@db.internal:5433/dat7?options=-csearch_path%3Dapp"
    )
    assert schemas == ["app"]
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGPASSWORD"], env["PGDATABASE"]) == (
        "db.internal",
        "5433",
        "u",
        "p@ss",
        "dat7",
    )
