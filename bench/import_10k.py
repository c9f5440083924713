"""Benchmark: importing 10.000 rows (the issue asks for "well under a minute").

Builds an .xlsx of 10.000 new people in a temporary SQLite database (and PostgreSQL when
reachable), then times the dry run and the commit, each from the file's bytes to the report
(reading the file included); then the same file into a second activity, every row matched.
``--repeat N`` runs it all N times on fresh databases and prints medians.
Usage: .venv/bin/python bench/import_10k.py [rows] [--repeat N] [--sqlite-only]
"""

import io
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.auth.models import Role, User  # noqa: E402
from app.budget.models import BudgetLine, FundingSource  # noqa: E402
from app.budget.services import load_year  # noqa: E402
from app.demo.services import FAMILY, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE  # noqa: E402
from app.extensions import db  # noqa: E402
from app.geo.models import AdminUnit, UnitLevel  # noqa: E402
from app.geo.services import valid_on  # noqa: E402
from app.planning.models import Activity, ActivityKind, ActivityStatus  # noqa: E402
from app.reference.services import load_reference_data  # noqa: E402
from app.registration import imports  # noqa: E402
from tests.conftest import (  # noqa: E402
    build_test_app,
    drop_postgres_schema,
    postgres_unavailable_reason,
    postgres_url,
    private_postgres_schema,
    upgrade_to_head,
)


def workbook(rows: int, codes: list[str]) -> bytes:
    rng = random.Random(10)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(
        [
            "Họ và tên",
            "Giới tính",
            "Ngày sinh",
            "Dân tộc",
            "Số định danh cá nhân",
            "Số điện thoại",
            "Cấp",
            "Đối tượng",
            "Chức vụ",
            "Nơi công tác",
            "Mã đơn vị hành chính",
        ]
    )
    for index in range(rows):
        female = rng.random() < 0.46
        name = " ".join(
            [
                rng.choice(FAMILY),
                rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE),
                rng.choice(FEMALE_GIVEN if female else MALE_GIVEN),
            ]
        )
        year = rng.randint(1960, 2000)
        id_number = f"020{1 if female else 0}{year % 100:02d}{index:06d}"
        sheet.append(
            [
                name,
                "Nữ" if female else "Nam",
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
                rng.choice(["Tày", "Nùng", "Kinh", "Dao"]),
                id_number,
                f"09{index:08d}",
                "Thôn",
                "Cán bộ thôn, bản",
                "Trưởng thôn",
                "Thôn Nà Lầu",
                rng.choice(codes),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def measure(app, rows: int, label: str) -> list[float]:
    """Seconds for the dry run and the commit of ``rows`` new people, then of the same people again."""
    with app.test_request_context():
        load_reference_data()
        load_year(2023)
        user = User(username="bench", full_name="Bench", role=Role.organiser, password_hash="x")
        db.session.add(user)
        codes = list(
            db.session.scalars(
                valid_on(select(AdminUnit.code).where(AdminUnit.level == UnitLevel.commune), date(2023, 6, 1))
            )
        )
        data = workbook(rows, codes)
        timings = []
        # First everyone is new; then the same file into a second activity, where every row is
        # matched to the person the first import registered (the registry lookups at full size).
        for case in ("new", "matched"):
            activity = Activity(
                kind=ActivityKind.training,
                title="Lớp lớn",
                start_date=date(2023, 6, 1),
                end_date=date(2023, 6, 2),
                capacity=rows,
                status=ActivityStatus.open,
                budget_line_id=db.session.scalar(select(BudgetLine.id).limit(1)),
                funding_source_id=db.session.scalar(select(FundingSource.id).limit(1)),
            )
            db.session.add(activity)
            db.session.commit()
            for commit in (False, True):
                start = time.perf_counter()
                report = imports.run(activity, "ds.xlsx", data, user, commit=commit, max_bytes=50 * 1024 * 1024)
                db.session.commit()
                elapsed = time.perf_counter() - start
                timings.append(elapsed)
                print(
                    f"{label:<10} rows={rows:>6,} {case:<7} {'commit ' if commit else 'dry run'}: {elapsed:6.1f} s "
                    f"({rows / elapsed:,.0f} rows/s), {report.count(person=case)} {case}, errors={report.errors}, "
                    f"committed={report.committed}"
                )
        return timings


def run_once(rows: int, sqlite_only: bool) -> dict[str, list[float]]:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = build_test_app(f"sqlite:///{tmp}/bench.db", Path(tmp))
        upgrade_to_head(app)
        results["SQLite"] = measure(app, rows, "SQLite")
        if postgres_unavailable_reason() is None and not sqlite_only:
            schema = "bench_import"
            app = build_test_app(private_postgres_schema(postgres_url(), schema), Path(tmp))
            upgrade_to_head(app)
            results["PostgreSQL"] = measure(app, rows, "PostgreSQL")
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            drop_postgres_schema(postgres_url(), schema)
    return results


def main():
    args = sys.argv[1:]
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 1
    counts = [a for i, a in enumerate(args) if a.isdigit() and (i == 0 or args[i - 1] != "--repeat")]
    rows = int(counts[0]) if counts else 10_000
    runs = [run_once(rows, "--sqlite-only" in args) for _ in range(repeat)]
    if repeat > 1:
        for label in runs[0]:
            new_dry, new_commit, matched_dry, matched_commit = (
                statistics.median(run[label][i] for run in runs) for i in range(4)
            )
            print(
                f"median of {repeat}: {label:<10} new: dry run {new_dry:5.1f} s, commit {new_commit:5.1f} s; "
                f"matched: dry run {matched_dry:5.1f} s, commit {matched_commit:5.1f} s"
            )


if __name__ == "__main__":
    main()
