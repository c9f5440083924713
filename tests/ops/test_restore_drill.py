"""The restore drill on each backend: a backup taken under write load restores to a consistent database."""

import pytest

from tests.ops.drill import describe, run_drill


@pytest.mark.no_transaction
def test_a_backup_taken_while_people_are_written_restores_whole(app, tmp_path):
    backend = "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "sqlite"
    drill = run_drill(backend, tmp_path)
    report = "\n".join(describe(drill))
    assert drill.problems == [], report
    assert drill.before < drill.after, report  # writes really ran during the backup
    assert drill.before <= drill.in_copy <= drill.after, report
    assert drill.audits_in_copy == drill.in_copy, report  # one commit's worth, never half of one
    assert drill.revision == drill.head, report
    assert drill.backup_mode == 0o600, report
    assert "(mới nhất)" in drill.restore_output, report
