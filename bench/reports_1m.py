"""Benchmark: the trained report and the dashboard over 1,000,000 attendance rows (issue 9).

The issue: with 100.000 people, 5.000 activities and 1.000.000 attendance rows, the dashboard and
the trained report by any breakdown answer in under 1 s on SQLite and under 0,5 s on PostgreSQL,
and within 2x the time of the equivalent hand-written SQL run in the same benchmark.

Builds the database as the app does (migrations, reference data, the 2023 budget), then bulk-loads
people over the real communes (those of 2023, and the communes of 01/07/2025 for people registered
since), activities 2023-2026 with topics, sessions, enrolments and attendance rows (executemany on
SQLite, COPY on PostgreSQL), and runs ANALYZE, as a deployment would after a bulk load. Then, in a
request context, median of ``--runs`` runs after one warm-up, a fresh session each run:

- ``trained.breakdown(by, f)`` for every breakdown, for one year and for all years;
- ``trained.total(f)``; the dashboard page (``dashboard.build(f, with_breakdowns=False)``: its
  tables then come one request each, i.e. the breakdowns above) and, for comparison, all seven
  tables in one request (``dashboard.build(f)``, as the exports draw them);
- for each, a hand-written SQL statement returning the same numbers (asserted equal to the
  service's), run through the same SQLAlchemy session; the ratio service / hand SQL. The hand SQL
  keeps the service's meaning (a pair per activity and person, counted where the enrolment was,
  else where the person is) and computes the groups and the total in one statement, counting in
  two steps (per group and person, then per group) instead of COUNT(DISTINCT ...). Where the
  service reads the groups the database keeps (all years: the total and the tables by activity
  or enrolment), the hand SQL reads them too (``kept_groups_sql``), and the figures from the
  attendance rows must still be the same.

"in DB" is the time inside cursor.execute and the number of statements (on SQLite the BEGIN is
one, and the last groups of a query may be computed while rows are fetched, after execute).
``--experiment`` then adds indexes in the bench database only (never in the app) and times again.
On PostgreSQL the script works in a schema of its own (``bench_reports``), dropped at the end.
The full run takes about 40 minutes on two cores, most of it the slow dashboard; figures and
findings in docs/performance.md.
Usage: .venv/bin/python bench/reports_1m.py [--backend sqlite|postgresql|both]
       [--people N --activities N --attendance N] [--year 2025] [--runs 5] [--experiment] [--one-year]
"""
# ruff: noqa: S608  (SQL text here is built from this file's constants and table names, never input)

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Date, bindparam, event, select, text  # noqa: E402

from app.budget.models import BudgetLine, FundingSource  # noqa: E402
from app.budget.services import load_year  # noqa: E402
from app.core.text import fold, name_sort_key  # noqa: E402
from app.demo.services import FAMILY, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE  # noqa: E402
from app.extensions import db  # noqa: E402
from app.geo.models import AdminUnit, UnitLevel, unit_successors  # noqa: E402
from app.reference.models import Ethnicity, ParticipantCategory, TrainingTopic  # noqa: E402
from app.reference.services import load_reference_data  # noqa: E402
from app.reports import trained  # noqa: E402
from app.reports.filters import ReportFilter  # noqa: E402
from tests.conftest import (  # noqa: E402
    build_test_app,
    drop_postgres_schema,
    postgres_unavailable_reason,
    postgres_url,
    private_postgres_schema,
    upgrade_to_head,
)

try:  # being written alongside this benchmark: timed when present
    from app.reports import dashboard as dashboards
except ImportError:
    dashboards = None

LIMIT_MS = {"sqlite": 1000, "postgresql": 500}
HAND_RATIO = 2.0
SCHEMA = "bench_reports"
REORGANISED = date(2025, 7, 1)  # districts abolished, communes merged (NQ 202/2025/QH15)
YEARS = (2023, 2024, 2025, 2026)

# Lạng Sơn: Nùng and Tày are most of the province; Kinh about one in six.
ETHNICITY_MIX = {"07": 42, "02": 35, "01": 16, "09": 4, "04": 1, "15": 1, "08": 1}
LEVEL_MIX = {"village": 45, "commune": 35, "district": 12, "province": 8}
CATEGORY_BY_LEVEL = {
    "village": [
        "village_cadre",
        "community_rep",
        "group_leader",
        "mass_org_cadre",
        "poverty_collaborator",
        "prestigious_person",
    ],
    "commune": ["commune_officer", "poverty_collaborator", "mass_org_cadre"],
    "district": ["district_officer"],
    "province": ["province_officer", "other"],
}
# kind: (share of activities, relative size of its enrolment, sessions)
KIND_MIX = {
    "training": (55, 1.0, (2, 4)),
    "workshop": (20, 1.4, (2, 2)),
    "study_tour": (10, 0.3, (2, 4)),
    "central_training": (5, 0.06, (2, 3)),
    "monitoring": (10, 0.12, (2, 3)),
}
LINES_BY_KIND = {
    "training": ["DA7.TDA1.01", "DA7.TDA1.02"],
    "workshop": ["DA7.TDA1.04"],
    "study_tour": ["DA7.TDA1.03"],
    "central_training": ["DA7.TDA1.04"],
    "monitoring": ["DA7.TDA2.04", "DA7.TDA2.02"],
}
ATTENDANCE_SHARE = 0.85  # of the (enrolee, session) slots, on average


# -- data ------------------------------------------------------------------------------------------


def weighted(rng, mix: dict):
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _units():
    """Communes of 2023, communes since 01/07/2025, and the unit an old commune became on a day."""
    units = {u.id: u for u in db.session.scalars(select(AdminUnit).order_by(AdminUnit.id))}
    successors = defaultdict(list)
    for predecessor, successor in db.session.execute(select(unit_successors).order_by(*unit_successors.c)):
        successors[predecessor].append(successor)

    def on(unit_id: int, day: date) -> int:
        seen = 0
        while not units[unit_id].is_valid_on(day) and successors.get(unit_id) and seen < 5:
            unit_id, seen = successors[unit_id][0], seen + 1
        return unit_id

    communes = [u for u in units.values() if u.level is UnitLevel.commune]
    old = [u.id for u in communes if u.is_valid_on(date(2023, 6, 1))]
    new = [u.id for u in communes if u.is_valid_on(REORGANISED)]
    districts = sorted({units[c].parent_id for c in old})
    return units, old, new, districts, on


def generate(people: int, activities: int, attendance: int, seed: int = 9) -> dict[str, list[tuple]]:
    """Rows per table, ids given here; a few seconds of Python for the default sizes."""
    rng = random.Random(seed)
    units, old_communes, new_communes, districts, unit_on = _units()
    ethnicities = {e.code: e.id for e in db.session.scalars(select(Ethnicity))}  # by code: order-free
    categories = {c.code: c.id for c in db.session.scalars(select(ParticipantCategory))}
    topics = list(db.session.scalars(select(TrainingTopic.id).order_by(TrainingTopic.id)))
    lines = {line.code: line.id for line in db.session.scalars(select(BudgetLine).where(BudgetLine.year == 2023))}
    sources = list(
        db.session.scalars(select(FundingSource.id).where(FundingSource.year == 2023).order_by(FundingSource.id))
    )
    stamp = "2026-11-26 00:00:00"

    # People: 85 % registered in a 2023 commune, 15 % since the reorganisation.
    names: dict[str, tuple[str, str]] = {}
    person_rows, home = [], []
    by_district, by_new_commune = defaultdict(list), defaultdict(list)
    for pid in range(1, people + 1):
        female = rng.random() < 0.5
        name = " ".join(
            [
                rng.choice(FAMILY),
                rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE),
                rng.choice(FEMALE_GIVEN if female else MALE_GIVEN),
            ]
        )
        if name not in names:
            names[name] = (fold(name), name_sort_key(name))
        level = weighted(rng, LEVEL_MIX)
        category = categories[rng.choice(CATEGORY_BY_LEVEL[level])] if rng.random() < 0.97 else None
        ethnicity = ethnicities[weighted(rng, ETHNICITY_MIX)] if rng.random() < 0.99 else None
        if rng.random() < 0.85:
            unit = rng.choice(old_communes)
            by_district[units[unit].parent_id].append(pid)
        else:
            unit = rng.choice(new_communes)
        by_new_commune[unit_on(unit, REORGANISED)].append(pid)
        home.append(unit)
        person_rows.append(
            (
                pid,
                name,
                *names[name],
                "female" if female else "male",
                rng.randint(1962, 2004),
                ethnicity,
                level,
                category,
                unit,
                stamp,
                stamp,
            )
        )
    everyone_old = [pid for pids in by_district.values() for pid in pids]
    everyone = list(range(1, people + 1))
    category_of = [None] + [row[8] for row in person_rows]

    # Activities: even over the four years; sizes by kind, scaled to reach the attendance asked for.
    plans = []
    for aid in range(1, activities + 1):
        year = YEARS[(aid - 1) % len(YEARS)]
        start = date(year, 1, 6) + timedelta(days=rng.randrange(350))
        kind = weighted(rng, {k: v[0] for k, v in KIND_MIX.items()})
        low, high = KIND_MIX[kind][2]
        plans.append((aid, kind, start, rng.randint(low, high), KIND_MIX[kind][1] * rng.uniform(0.6, 1.4)))
    slots_per_size = sum(size * sessions for _, _, _, sessions, size in plans)
    scale = attendance / ATTENDANCE_SHARE / slots_per_size

    activity_rows, topic_rows, session_rows, enrolment_rows, attendance_rows = [], [], [], [], []
    session_id = enrolment_id = attendance_id = 0
    wanted = []
    for aid, kind, start, sessions, size in plans:
        after = start >= REORGANISED
        if not after and rng.random() < 0.6:
            unit = rng.choice(districts)
            pool = by_district[unit]
        elif after and rng.random() < 0.4:
            unit = rng.choice(new_communes)
            pool = by_new_commune[unit]
        else:
            unit, pool = None, everyone if after else everyone_old
        enrolled = rng.sample(pool, min(len(pool), max(2, round(size * scale))))
        wanted.append((enrolled, sessions))
        line = lines[rng.choice(LINES_BY_KIND[kind])]
        end = start + timedelta(days=(sessions + 1) // 2 - 1)
        activity_rows.append(
            (
                aid,
                kind,
                f"Hoạt động {aid}",
                "completed",
                unit,
                "[]",
                start.isoformat(),
                end.isoformat(),
                len(enrolled),
                line,
                rng.choice(sources),
                stamp,
                stamp,
            )
        )
        for topic in rng.sample(topics, rng.randint(1, 3)):
            topic_rows.append((aid, topic))
    # Exactly ``attendance`` rows: each activity's share of the slots, drawn without repeats.
    slots = [len(enrolled) * sessions for enrolled, sessions in wanted]
    total_slots = sum(slots)
    quotas = [min(s, int(attendance * s / total_slots)) for s in slots]
    short = attendance - sum(quotas)
    for index in sorted(range(len(slots)), key=lambda i: slots[i] - quotas[i], reverse=True):
        if short <= 0:
            break
        extra = min(short, slots[index] - quotas[index])
        quotas[index] += extra
        short -= extra
    methods = ["self_scan"] * 6 + ["personal_qr"] * 2 + ["paper", "manual"]
    for (aid, _, start, _, _), (enrolled, sessions), quota in zip(plans, wanted, quotas, strict=True):
        first_session = session_id + 1
        for number in range(sessions):
            session_id += 1
            day = start + timedelta(days=number // 2)
            hour = 8 if number % 2 == 0 else 14
            begins = datetime(day.year, day.month, day.day, hour)
            session_rows.append(
                (
                    session_id,
                    aid,
                    f"Buổi {number + 1}",
                    f"{begins:%Y-%m-%d %H:%M:%S}",
                    f"{begins + timedelta(hours=3, minutes=30):%Y-%m-%d %H:%M:%S}",
                )
            )
        enrolment_of = []
        for pid in enrolled:
            enrolment_id += 1
            enrolment_of.append(enrolment_id)
            enrolment_rows.append(
                (
                    enrolment_id,
                    aid,
                    pid,
                    "registered",
                    unit_on(home[pid - 1], start),
                    category_of[pid],
                    "organiser",
                    f"b{enrolment_id}",
                    stamp,
                )
            )
        for slot in sorted(rng.sample(range(len(enrolled) * sessions), quota)):
            index, number = divmod(slot, sessions)
            attendance_id += 1
            sid = first_session + number
            arrived = session_rows[sid - 1][3]
            attendance_rows.append(
                (
                    attendance_id,
                    sid,
                    enrolled[index],
                    enrolment_of[index],
                    arrived,
                    arrived,
                    methods[slot % 10],
                    False,
                    "[]",
                )
            )
    return {
        "people": (
            "id, full_name, search_name, sort_key, gender, birth_year, ethnicity_id, level, category_id, unit_id,"
            " created_at, updated_at",
            person_rows,
        ),
        "activities": (
            "id, kind, title, status, unit_id, target_levels, start_date, end_date, capacity, budget_line_id,"
            " funding_source_id, created_at, updated_at",
            activity_rows,
        ),
        "activity_topics": ("activity_id, topic_id", topic_rows),
        "activity_sessions": ("id, activity_id, title, starts_at, ends_at", session_rows),
        "enrolments": (
            "id, activity_id, person_id, status, unit_id, category_id, source, qr_token, created_at",
            enrolment_rows,
        ),
        "attendances": (
            "id, session_id, person_id, enrolment_id, checked_in_at, recorded_at, method, late, flags",
            attendance_rows,
        ),
    }


def write(tables: dict, dialect: str) -> None:
    """Bulk-load the rows on a raw DBAPI connection, then ANALYZE."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dialect == "sqlite":
            cursor.execute("BEGIN")  # the app's connections run pysqlite in autocommit mode
            for table, (columns, rows) in tables.items():
                marks = ", ".join("?" * len(rows[0])) if rows else ""
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
        else:
            for table, (columns, rows) in tables.items():
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                if "id" in columns.split(", "):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
            raw.commit()
            # Autovacuum does this after a bulk insert (PostgreSQL >= 13): statistics, and the
            # visibility map that lets index-only scans skip the table. VACUUM needs autocommit.
            connection = raw.driver_connection
            connection.autocommit = True
            for (table,) in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"):
                connection.execute(f'VACUUM ANALYZE "{table}"')  # this schema only: others may be busy
            connection.autocommit = False
    finally:
        raw.close()


# -- hand-written SQL ------------------------------------------------------------------------------

# Each CTE is materialized when it is used twice and inlined when once: both databases' default.
PAIRS = """
pairs AS (
  SELECT s.activity_id AS activity_id, a.person_id AS person_id{where_columns}
    FROM attendances a
    JOIN activity_sessions s ON s.id = a.session_id
    JOIN activities act ON act.id = s.activity_id{where_joins}
   WHERE act.status <> 'cancelled' {period}
   GROUP BY s.activity_id, a.person_id
),
per_person AS (SELECT person_id, COUNT(*) AS times FROM pairs GROUP BY person_id)"""
# Only the breakdowns by enrolment need where a pair was counted (the enrolment's, else the person's).
WHERE_COLUMNS = """,
         MAX(COALESCE(e.unit_id, p.unit_id)) AS unit_id,
         MAX(COALESCE(e.category_id, p.category_id)) AS category_id"""
WHERE_JOINS = """
    JOIN people p ON p.id = a.person_id
    LEFT JOIN enrolments e ON e.id = a.enrolment_id"""
BY_ENROLMENT = frozenset({"district", "unit", "category"})
UNIT_DISTRICT = """
unit_district AS (
  SELECT u0.id AS unit_id,
         CASE WHEN u0.level = 'province' THEN u0.id WHEN u1.level = 'province' THEN u0.id
              WHEN u2.level = 'province' THEN u1.id WHEN u3.level = 'province' THEN u2.id ELSE u3.id END AS grp
    FROM admin_units u0
    LEFT JOIN admin_units u1 ON u1.id = u0.parent_id
    LEFT JOIN admin_units u2 ON u2.id = u1.parent_id
    LEFT JOIN admin_units u3 ON u3.id = u2.parent_id
)"""
LINE_SUBPROJECT = """
line_subproject AS (
  SELECT l0.id AS line_id,
         CASE WHEN l0.kind = 'subproject' THEN l0.code WHEN l1.kind = 'subproject' THEN l1.code
              WHEN l2.kind = 'subproject' THEN l2.code WHEN l3.kind = 'subproject' THEN l3.code END AS grp
    FROM budget_lines l0
    LEFT JOIN budget_lines l1 ON l1.id = l0.parent_id
    LEFT JOIN budget_lines l2 ON l2.id = l1.parent_id
    LEFT JOIN budget_lines l3 ON l3.id = l2.parent_id
)"""
MEASURES = """COUNT(*) AS people,
       COALESCE(SUM(CASE WHEN p.gender = 'female' THEN 1 ELSE 0 END), 0) AS women,
       COALESCE(SUM(x.times), 0) AS person_times,
       COALESCE(SUM(CASE WHEN eth.is_minority THEN 1 ELSE 0 END), 0) AS ethnic_minority
  FROM {source} x
  JOIN people p ON p.id = x.person_id
  LEFT JOIN ethnicities eth ON eth.id = p.ethnicity_id"""
PERSON_KEYS = {"gender": "p.gender", "level": "p.level", "ethnicity": "p.ethnicity_id"}
# key expression over pairs ``pr`` and the joins it needs
PAIR_KEYS = {
    "category": ("pr.category_id", ""),
    "unit": ("pr.unit_id", ""),
    "district": ("ud.grp", "JOIN unit_district ud ON ud.unit_id = pr.unit_id"),
    "kind": ("act.kind", "JOIN activities act ON act.id = pr.activity_id"),
    "topic": ("t.topic_id", "LEFT JOIN activity_topics t ON t.activity_id = pr.activity_id"),
    "budget_line": (
        "bl.code",
        "JOIN activities act ON act.id = pr.activity_id LEFT JOIN budget_lines bl ON bl.id = act.budget_line_id",
    ),
    "subproject": (
        "ls.grp",
        "JOIN activities act ON act.id = pr.activity_id"
        " LEFT JOIN line_subproject ls ON ls.line_id = act.budget_line_id",
    ),
}


# The same statements over the pairs the database keeps (``trained_pairs``), as one would write them
# by hand there: the person's gender, level and ethnicity and the activity's kind and line are on
# each pair, so no join to people.
PAIRS_KEPT = """
pairs AS (
  SELECT tp.activity_id AS activity_id, tp.person_id AS person_id, tp.unit_id AS unit_id,
         tp.category_id AS category_id, tp.gender AS gender, tp.level AS level,
         tp.ethnicity_id AS ethnicity_id, act.kind AS kind, act.budget_line_id AS budget_line_id
    FROM trained_pairs tp
    JOIN activities act ON act.id = tp.activity_id
   WHERE act.status <> 'cancelled' {period}
),
per_person AS (
  SELECT person_id, gender, level, ethnicity_id, COUNT(*) AS times
    FROM pairs GROUP BY person_id, gender, level, ethnicity_id
)"""
MEASURES_KEPT = """COUNT(*) AS people,
       COALESCE(SUM(CASE WHEN x.gender = 'female' THEN 1 ELSE 0 END), 0) AS women,
       COALESCE(SUM(x.times), 0) AS person_times,
       COALESCE(SUM(CASE WHEN eth.is_minority THEN 1 ELSE 0 END), 0) AS ethnic_minority
  FROM {source} x
  LEFT JOIN ethnicities eth ON eth.id = x.ethnicity_id"""
PERSON_KEYS_KEPT = {"gender": "x.gender", "level": "x.level", "ethnicity": "x.ethnicity_id"}
PAIR_KEYS_KEPT = {
    **PAIR_KEYS,
    "kind": ("pr.kind", ""),
    "budget_line": ("bl.code", "LEFT JOIN budget_lines bl ON bl.id = pr.budget_line_id"),
    "subproject": ("ls.grp", "LEFT JOIN line_subproject ls ON ls.line_id = pr.budget_line_id"),
}


def _branch(by: str, kept: bool = False) -> tuple[str, str]:
    """(extra CTEs, SELECT of one breakdown's groups) over ``pairs`` / ``per_person``; ``kept``:
    the pairs carry the person's gender and ethnicity, so each step carries them along.

    Two steps instead of three COUNT(DISTINCT ...): first one row per (group, person) with the
    person's pairs in the group, then one row per group, counting those rows."""
    person_keys, pair_keys = (PERSON_KEYS_KEPT, PAIR_KEYS_KEPT) if kept else (PERSON_KEYS, PAIR_KEYS)
    measures = MEASURES_KEPT if kept else MEASURES
    if by in person_keys:
        key = person_keys[by]
        return "", f"SELECT '{by}' AS part, CAST({key} AS VARCHAR(40)) AS grp, " + (
            f"{measures.format(source='per_person')} GROUP BY {key}"
        )
    key, joins = pair_keys[by]
    carried = ("pr.gender", "pr.ethnicity_id") if kept else ()
    selected = "".join(f", {column} AS {column[3:]}" for column in carried)
    grouped = "".join(f", {column}" for column in carried)
    cte = f"""
g_{by} AS (
  SELECT {key} AS grp, pr.person_id AS person_id{selected}, COUNT(*) AS times
    FROM pairs pr {joins}
   GROUP BY {key}, pr.person_id{grouped}
)"""
    groups = measures.format(source=f"g_{by}")
    select_ = f"SELECT '{by}' AS part, CAST(x.grp AS VARCHAR(40)) AS grp, {groups} GROUP BY x.grp"
    return cte, select_


def hand_sql(breakdowns: list[str], bounded: bool, with_total: bool = True, kept: bool = False):
    """One statement: the groups of each breakdown and the total, from one pass over attendance
    (or, ``kept``, over the pairs the database keeps)."""
    where = bool(BY_ENROLMENT & set(breakdowns))
    period = "AND act.start_date >= :first AND act.start_date <= :last" if bounded else ""
    if kept:
        ctes = [PAIRS_KEPT.format(period=period)]
    else:
        ctes = [
            PAIRS.format(
                period=period,
                where_columns=WHERE_COLUMNS if where else "",
                where_joins=WHERE_JOINS if where else "",
            )
        ]
    if "district" in breakdowns:
        ctes.append(UNIT_DISTRICT)
    if "subproject" in breakdowns:
        ctes.append(LINE_SUBPROJECT)
    selects = []
    for by in breakdowns:
        cte, select_ = _branch(by, kept)
        if cte:
            ctes.append(cte)
        selects.append(select_)
    if with_total:
        measures = (MEASURES_KEPT if kept else MEASURES).format(source="per_person")
        selects.append(f"SELECT 'total' AS part, CAST(NULL AS VARCHAR(40)) AS grp, {measures}")
    statement = text("WITH " + ",".join(ctes) + "\n" + "\nUNION ALL\n".join(selects))
    if bounded:
        statement = statement.bindparams(bindparam("first", type_=Date), bindparam("last", type_=Date))
    return statement


def kept_groups_sql(breakdowns: list[str]):
    """The same figures over all years from the groups the database keeps (``trained_groups``): a
    row is one person in one group, so people are rows and person-times the sum of their pairs."""
    selects = [
        f"""SELECT '{part}' AS part, CASE WHEN grp = '' THEN NULL ELSE grp END AS grp, COUNT(*) AS people,
       COALESCE(SUM(female), 0) AS women, COALESCE(SUM(times), 0) AS person_times,
       COALESCE(SUM(minority), 0) AS ethnic_minority
  FROM trained_groups WHERE dim = '{part}' GROUP BY grp"""
        for part in [*breakdowns, "total"]
    ]
    return text("\nUNION ALL\n".join(selects))


def run_hand(statement, report_filter: ReportFilter) -> dict:
    first, last = report_filter.bounds
    params = {"first": first, "last": last} if first is not None else {}
    found = defaultdict(dict)
    for part, grp, *figures in db.session.execute(statement, params):
        found[part][trained.UNKNOWN if grp is None else str(grp)] = tuple(int(f) for f in figures)
    return dict(found)


def _figures(row) -> tuple:
    return (row.people, row.women, row.person_times, row.ethnic_minority)


def check(by: str, result, hand: dict) -> None:
    """The hand SQL and the service must give the same numbers, group for group."""
    service = {row.key: _figures(row) for row in result.rows}
    assert service == hand[by], f"{by}: service {service} != hand SQL {hand[by]}"
    assert _figures(result.total) == hand["total"][trained.UNKNOWN], f"{by}: total differs"


# -- timing ----------------------------------------------------------------------------------------


class StatementClock:
    """Time spent inside cursor.execute (most of the database's work: these queries aggregate
    before their first row), and how many statements ran."""

    def __init__(self):
        self.seconds, self.count, self._started = 0.0, 0, []

    def before(self, *args):
        self._started.append(time.perf_counter())

    def after(self, *args):
        self.seconds += time.perf_counter() - self._started.pop()
        self.count += 1

    @contextmanager
    def listening(self, engine):
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        try:
            yield self
        finally:
            event.remove(engine, "before_cursor_execute", self.before)
            event.remove(engine, "after_cursor_execute", self.after)


def timed(call, runs: int):
    """(result of the warm-up, median ms, median ms inside execute, statements per run)."""
    db.session.close()
    first = call()
    totals, inside, counts = [], [], []
    for _ in range(runs):
        db.session.close()  # each run as a request: a new transaction, nothing cached in the session
        clock = StatementClock()
        with clock.listening(db.engine):
            start = time.perf_counter()
            call()
            totals.append((time.perf_counter() - start) * 1000)
        inside.append(clock.seconds * 1000)
        counts.append(clock.count)
    return first, statistics.median(totals), statistics.median(inside), max(counts)


def measure_filter(report_filter: ReportFilter, label: str, runs: int, dialect: str) -> list[dict]:
    """Each figure: the service, the hand SQL over the kept pairs (the ratio's yardstick: the same
    data, written by hand) and the hand SQL from the attendance rows (run once: the numbers the
    service must give, whatever keeps the pairs, and what every figure cost before they were kept)."""
    limit = LIMIT_MS[dialect]
    bounded = report_filter.year is not None
    results = []

    def row(name, service, inside, count, hand_ms, raw_ms):
        ratio = service / hand_ms if hand_ms else None
        ok = service < limit and (ratio is None or ratio <= HAND_RATIO)
        results.append(
            {
                "period": label,
                "what": name,
                "service": service,
                "inside": inside,
                "statements": count,
                "hand": hand_ms,
                "raw": raw_ms,
                "ratio": ratio,
                "ok": ok,
            }
        )
        print(
            f"  {label:<9} {name:<26} service {service:8.1f} ms (in DB {inside:7.1f} ms, {count:>2} stmts)  "
            f"hand SQL {hand_ms or 0:8.1f} ms  ratio {ratio or 0:5.2f}  from attendance {raw_ms or 0:8.1f} ms  "
            f"{'pass' if ok else 'FAIL'}",
            flush=True,
        )

    def hand(breakdowns: list[str]):
        """(figures from the attendance rows, ms by hand over what the service reads, ms from
        attendance): over the kept groups where the service reads them (all years, breakdowns by
        activity or enrolment, the total), else over the kept pairs."""
        kept_statement = hand_sql(breakdowns, bounded, kept=True)
        raw_statement = hand_sql(breakdowns, bounded)
        raw, raw_ms, _, _ = timed(lambda: run_hand(raw_statement, report_filter), 1)
        if trained.reads_kept_groups(report_filter) and set(breakdowns) <= trained.KEPT_GROUPS:
            groups_statement = kept_groups_sql(breakdowns)
            groups, groups_ms, _, _ = timed(lambda: run_hand(groups_statement, report_filter), runs)
            assert groups == raw, "the kept groups disagree with the attendance rows"
            return raw, groups_ms, raw_ms
        kept, kept_ms, _, _ = timed(lambda: run_hand(kept_statement, report_filter), runs)
        assert kept == raw, "the kept pairs disagree with the attendance rows"
        return raw, kept_ms, raw_ms

    whole, service_ms, inside, count = timed(lambda: trained.total(report_filter), runs)
    found, total_hand_ms, total_raw_ms = hand([])
    assert _figures(whole) == found["total"][trained.UNKNOWN], (whole, found["total"])
    row("total", service_ms, inside, count, total_hand_ms, total_raw_ms)
    for by in trained.BREAKDOWNS:
        result, service_ms, inside, count = timed(lambda by=by: trained.breakdown(by, report_filter), runs)
        found, hand_ms, raw_ms = hand([by])
        check(by, result, found)
        row(f"breakdown: {by}", service_ms, inside, count, hand_ms, raw_ms)
    if dashboards is not None:
        # The page (/reports): its figures, with each table then loaded by a request of its own,
        # which is the breakdown above. Its only trained count is the total.
        _, service_ms, inside, count = timed(lambda: dashboards.build(report_filter, with_breakdowns=False), runs)
        row("dashboard page", service_ms, inside, count, total_hand_ms, total_raw_ms)
        # All seven tables in one request (the exports draw them so), for comparison.
        shown = list(getattr(dashboards, "DASHBOARD_BREAKDOWNS", ()))
        board, service_ms, inside, count = timed(lambda: dashboards.build(report_filter), runs)
        hand_ms = raw_ms = None
        if shown:
            # The same figures by hand: every breakdown shown and the total in one statement.
            found, hand_ms, raw_ms = hand(shown)
            for result in getattr(board, "breakdowns", []):
                check(result.by, result, found)
        row(f"all {len(shown)} tables at once", service_ms, inside, count, hand_ms, raw_ms)
    return results


EXPERIMENT_INDEXES = [
    # Every figure starts from attendance by session; with enrolment_id in the index the pairs come
    # from the index alone (no lookup of the 13-column row per attendance).
    "CREATE INDEX bench_attendances_session_person_enrolment ON attendances (session_id, person_id, enrolment_id)",
]


def measure(app, args, dialect: str, label: str) -> dict:
    with app.test_request_context():
        load_reference_data()
        load_year(2023)
        db.session.commit()
        started = time.perf_counter()
        tables = generate(args.people, args.activities, args.attendance)
        generated = time.perf_counter() - started
        db.session.close()
        write(tables, dialect)
        loaded = time.perf_counter() - started - generated
        print(
            f"{label}: {args.people:,} people, {args.activities:,} activities, "
            f"{len(tables['activity_sessions'][1]):,} sessions, {len(tables['enrolments'][1]):,} enrolments, "
            f"{len(tables['attendances'][1]):,} attendance rows; generated in {generated:.0f} s, "
            f"loaded and analysed in {loaded:.0f} s",
            flush=True,
        )
        del tables
        if args.kept_only:
            time_kept_check(label)
            db.session.close()
            return {"plain": []}
        filters = [(str(args.year), ReportFilter(year=args.year)), ("all years", ReportFilter(year=None))]
        filters = filters[:1] if args.one_year else filters
        results = {"plain": [r for name, f in filters for r in measure_filter(f, name, args.runs, dialect)]}
        if args.experiment:
            print(f"{label}: experiment, in this bench database only: {'; '.join(EXPERIMENT_INDEXES)}", flush=True)
            db.session.close()
            with db.engine.begin() as connection:
                for statement in EXPERIMENT_INDEXES:
                    connection.exec_driver_sql(statement)
                connection.exec_driver_sql("ANALYZE")
            results["experiment"] = [r for name, f in filters for r in measure_filter(f, name, args.runs, dialect)]
        db.session.close()
        return results


def time_kept_check(label: str) -> None:
    """`flask reports check` over every row, then a repair after the groups of one breakdown were
    deleted by hand (the whole groups table built again)."""
    from app.reports import kept

    started = time.perf_counter()
    found = kept.check()
    checked = time.perf_counter() - started
    assert found.clean, found
    db.session.execute(text("DELETE FROM trained_groups WHERE dim = 'kind'"))
    started = time.perf_counter()
    found = kept.repair()
    db.session.commit()
    repaired = time.perf_counter() - started
    assert found.missing_groups > 0 and kept.check().clean
    print(
        f"{label}: reports check {checked:.1f} s (clean); repair of {found.missing_groups:,} missing groups "
        f"{repaired:.1f} s",
        flush=True,
    )


def print_table(label: str, dialect: str, results: list[dict]) -> None:
    print(f"\n{label} (limit {LIMIT_MS[dialect]} ms, and at most {HAND_RATIO:g}x the hand SQL)")
    print(
        "| Period | Figure | Service | of which in DB | Hand SQL (what the service reads) | Ratio"
        " | From attendance | Result |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        hand = f"{r['hand']:.0f} ms" if r["hand"] else "–"
        raw = f"{r['raw']:.0f} ms" if r["raw"] else "–"
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] else "–"
        print(
            f"| {r['period']} | {r['what']} | {r['service']:.0f} ms | {r['inside']:.0f} ms ({r['statements']}) "
            f"| {hand} | {ratio} | {raw} | {'pass' if r['ok'] else 'FAIL'} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=5_000)
    parser.add_argument("--attendance", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2025, help="the one-year report (default 2025)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up (median)")
    parser.add_argument("--experiment", action="store_true", help="then add EXPERIMENT_INDEXES and time again")
    parser.add_argument("--one-year", action="store_true", help="time the one-year reports only")
    parser.add_argument("--kept-only", action="store_true", help="time `flask reports check` and a repair only")
    args = parser.parse_args()
    print(f"dashboard: {'app/reports/dashboard.py timed' if dashboards else 'app/reports/dashboard.py absent'}")
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            app = build_test_app(f"sqlite:///{tmp}/bench.db", Path(tmp))
            upgrade_to_head(app)
            tables[("SQLite", "sqlite")] = measure(app, args, "sqlite", "SQLite")
            with app.app_context():
                db.engine.dispose()
        if args.backend in ("postgresql", "both"):
            reason = postgres_unavailable_reason()
            if reason:
                print(reason)
            else:
                app = build_test_app(private_postgres_schema(postgres_url(), SCHEMA), Path(tmp))
                upgrade_to_head(app)
                try:
                    tables[("PostgreSQL", "postgresql")] = measure(app, args, "postgresql", "PostgreSQL")
                finally:
                    with app.app_context():
                        db.session.remove()
                        db.engine.dispose()
                    drop_postgres_schema(postgres_url(), SCHEMA)
    for (label, dialect), results in tables.items():
        print_table(label, dialect, results["plain"])
        if "experiment" in results:
            print_table(f"{label}, experiment (bench database only)", dialect, results["experiment"])


if __name__ == "__main__":
    main()
