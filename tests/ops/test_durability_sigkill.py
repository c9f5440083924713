"""Three SIGKILLs of gunicorn under check-ins and an import: nothing acknowledged lost, nothing doubled.

The quick variant of bench/durability_sigkill.py (which kills twenty times). SQLite only: it is
SQLite's durability on this machine that the script proves; PostgreSQL keeps its own WAL.
"""

import pytest

from bench.durability_sigkill import run


@pytest.fixture(autouse=True)
def _transaction():
    """This test serves its own database file with gunicorn: no shared app, no rolled-back transaction."""
    yield


def test_sigkill_of_master_and_workers_loses_no_acknowledged_check_in_and_halves_no_import(tmp_path):
    figures = run(3, seed=2026, people=60, sessions=4, rows=50, workers=1, clients=4, window=(0.5, 1.2), tmp=tmp_path)
    report = "\n".join(figures.lines())
    assert figures.kills == 3, report
    assert figures.checkins_acknowledged > 0 and figures.imports_acknowledged > 0, report
    assert figures.integrity == "ok" and figures.foreign_key_violations == 0, report
    assert (figures.lost, figures.duplicates, figures.missing_audits) == (0, 0, 0), report
    assert (figures.half_imports, figures.lost_imports) == (0, 0), report
    assert figures.imports_refused == [], report
