"""Restore drill: back up under write load, restore into an empty database, prove the copy whole.

On SQLite, and on PostgreSQL when one answers at TEST_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test; it works in a schema and a database of its own and
drops both). Three threads commit a person and their audit entry per transaction while
``flask backup`` runs; the copy is restored with ``flask restore`` and must hold between the
people committed before and after the backup, exactly as many audit entries as people, pass
integrity/foreign-key checks and carry the head schema revision; a second restore is refused.
Usage: .venv/bin/python bench/restore_drill.py [--sqlite-only]
Exits non-zero when anything failed to be proved.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import postgres_unavailable_reason  # noqa: E402
from tests.ops.drill import describe, run_drill  # noqa: E402


def main() -> int:
    backends = ["sqlite"]
    reason = postgres_unavailable_reason()
    if "--sqlite-only" not in sys.argv:
        if reason is None:
            backends.append("postgresql")
        else:
            print(f"PostgreSQL skipped: {reason}")
    failed = False
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            drill = run_drill(backend, Path(tmp), tag="bench")
        print("\n".join(describe(drill)))
        print(f"  -> {'PROVED' if not drill.problems else 'FAILED'}")
        failed = failed or bool(drill.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
