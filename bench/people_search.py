"""Benchmark: searching the people registry ("huong", first page + total) at registry sizes.

Prints the median time of the query a person runs from the people list, on SQLite and, when
reachable, PostgreSQL. Usage: .venv/bin/python bench/people_search.py [N ...]
"""

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select  # noqa: E402

from app.auth.models import Role, User  # noqa: E402
from app.core.text import fold, name_sort_key  # noqa: E402
from app.demo.services import FAMILY, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE  # noqa: E402
from app.extensions import db  # noqa: E402
from app.geo.models import AdminUnit, UnitLevel  # noqa: E402
from app.people.models import Person  # noqa: E402
from app.people.services import PeopleFilter, search  # noqa: E402
from app.reference.services import load_reference_data  # noqa: E402
from tests.conftest import (  # noqa: E402
    build_test_app,
    drop_postgres_schema,
    postgres_unavailable_reason,
    postgres_url,
    private_postgres_schema,
    upgrade_to_head,
)


def fill(count: int, rng: random.Random) -> None:
    communes = db.session.scalars(select(AdminUnit.id).where(AdminUnit.level == UnitLevel.commune)).all()
    rows = []
    for _ in range(count):
        female = rng.random() < 0.46
        name = " ".join(
            [
                rng.choice(FAMILY),
                rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE),
                rng.choice(FEMALE_GIVEN if female else MALE_GIVEN),
            ]
        )
        rows.append(
            {
                "full_name": name,
                "search_name": fold(name),
                "sort_key": name_sort_key(name),
                "gender": "female" if female else "male",
                "birth_year": rng.randint(1960, 2004),
                "level": "village",
                "unit_id": rng.choice(communes),
            }
        )
    db.session.execute(insert(Person), rows)
    db.session.commit()


def measure(app, sizes, label):
    rng = random.Random(7)
    with app.test_request_context():
        load_reference_data()
        district = db.session.scalar(select(AdminUnit).where(AdminUnit.code == "188"))
        users = [
            User(username="bench-org", full_name="x", role=Role.organiser, password_hash="x"),
            User(username="bench-dist", full_name="x", role=Role.district, unit_id=district.id, password_hash="x"),
        ]
        db.session.add_all(users)
        db.session.commit()
        have = 0
        for size in sizes:
            fill(size - have, rng)
            have = size
            for user in users:
                query = search(user, PeopleFilter(q="huong"))
                timings = []
                for _ in range(15):
                    start = time.perf_counter()
                    db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
                    db.session.scalars(query.limit(50)).all()
                    timings.append((time.perf_counter() - start) * 1000)
                print(
                    f"{label:<10} people={size:>7,} role={user.role.value:<9} search 'huong' page 1 + total: "
                    f"median {statistics.median(timings):6.1f} ms"
                )


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    with tempfile.TemporaryDirectory() as tmp:
        app = build_test_app(f"sqlite:///{tmp}/bench.db", Path(tmp))
        upgrade_to_head(app)
        measure(app, sizes, "SQLite")
        if postgres_unavailable_reason() is None:
            schema = "bench_people_search"
            app = build_test_app(private_postgres_schema(postgres_url(), schema), Path(tmp))
            upgrade_to_head(app)
            measure(app, sizes, "PostgreSQL")
            with app.app_context():
                db.engine.dispose()
            drop_postgres_schema(postgres_url(), schema)


if __name__ == "__main__":
    main()
