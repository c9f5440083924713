"""Checking and repairing what the reports read: the trained pairs and the all-years groups.

Database triggers keep both in the transaction of every write (migrations d28a16cb1326 and
7c3e91a4b2d0), so in normal running nothing here has anything to do. It is for the operator after
something went around the triggers: a data-only restore with triggers disabled, a hand edit
with ``session_replication_role = replica``, a bug. ``check`` counts the rows that disagree with
what they are kept from; ``repair`` writes only the pairs that disagree (the triggers then keep
the groups of the people they touch) and builds the groups again from the pairs.
"""

# ruff: noqa: S608  (the SQL text here is built from this module's constants, never from input)

from dataclasses import dataclass

from sqlalchemy import text

from app.extensions import db

# What the pairs must be: one per activity and person who attended, counted where the enrolment
# was (else where the person is), with the person's gender, level and ethnicity.
_PAIRS_FROM_ATTENDANCE = """
SELECT attended.activity_id AS activity_id, p.id AS person_id,
       COALESCE(e.unit_id, p.unit_id) AS unit_id, COALESCE(e.category_id, p.category_id) AS category_id,
       p.gender AS gender, p.level AS level, p.ethnicity_id AS ethnicity_id
  FROM (SELECT DISTINCT s.activity_id, a.person_id
          FROM attendances a JOIN activity_sessions s ON s.id = a.session_id) attended
  JOIN people p ON p.id = attended.person_id
  LEFT JOIN enrolments e ON e.activity_id = attended.activity_id AND e.person_id = p.id
"""
# A pair's columns as compared (NULL ids as 0: no row has id 0), so that whole sets are compared
# with EXCEPT, which both engines run by sorting or hashing once, never row against row.
_PAIR_COLUMNS = (
    "activity_id, person_id, unit_id, COALESCE(category_id, 0) AS category_id, gender, level,"
    " COALESCE(ethnicity_id, 0) AS ethnicity_id"
)
_KEPT_PAIRS = f"SELECT {_PAIR_COLUMNS} FROM trained_pairs"
_WANTED_PAIRS = f"SELECT {_PAIR_COLUMNS} FROM ({_PAIRS_FROM_ATTENDANCE}) wanted"
# Pairs kept that attendance does not give (or gives otherwise), and the other way round.
_STALE_PAIRS = f"{_KEPT_PAIRS} EXCEPT {_WANTED_PAIRS}"
_MISSING_PAIRS = f"{_WANTED_PAIRS} EXCEPT {_KEPT_PAIRS}"
_GROUP_COLUMNS = "dim, grp, person_id, times, female, minority"
_GROUPS_FROM_PAIRS = """
SELECT dim, grp, person_id, COUNT(*) AS times, MAX(female) AS female, MAX(minority) AS minority
  FROM trained_pair_groups GROUP BY dim, grp, person_id
"""
_STALE_GROUPS = f"""
SELECT COUNT(*) FROM (
  SELECT {_GROUP_COLUMNS} FROM trained_groups EXCEPT {_GROUPS_FROM_PAIRS}
) stale
"""
_MISSING_GROUPS = f"""
SELECT COUNT(*) FROM (
  {_GROUPS_FROM_PAIRS} EXCEPT SELECT {_GROUP_COLUMNS} FROM trained_groups
) missing
"""


@dataclass(frozen=True)
class Drift:
    """Rows that disagree with what they are kept from (0 everywhere: all is well)."""

    stale_pairs: int  # kept, but attendance gives no such pair, or gives it otherwise
    missing_pairs: int  # attendance gives them, the pairs do not hold them (as they should be)
    stale_groups: int
    missing_groups: int

    @property
    def clean(self) -> bool:
        return not (self.stale_pairs or self.missing_pairs or self.stale_groups or self.missing_groups)


def _count(statement: str) -> int:
    return db.session.execute(text(f"SELECT COUNT(*) FROM ({statement}) rows_")).scalar_one()


def check() -> Drift:
    """Count the disagreements (reads only)."""
    return Drift(
        stale_pairs=_count(_STALE_PAIRS),
        missing_pairs=_count(_MISSING_PAIRS),
        stale_groups=db.session.execute(text(_STALE_GROUPS)).scalar_one(),
        missing_groups=db.session.execute(text(_MISSING_GROUPS)).scalar_one(),
    )


def repair() -> Drift:
    """Make the pairs and the groups what they are kept from, in one transaction; returns what
    was found before. On PostgreSQL check-ins wait until it commits (they write pairs too)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE trained_pairs IN SHARE ROW EXCLUSIVE MODE"))
    else:
        # SQLite: take the write lock before reading (a reading transaction cannot wait for it
        # later); a write that changes nothing takes it, waiting for the app's writers up to the
        # busy timeout.
        db.session.execute(text("DELETE FROM trained_groups WHERE 1 = 0"))
    found = check()
    if found.stale_pairs or found.missing_pairs:
        stale = db.session.execute(text(f"SELECT activity_id, person_id FROM ({_STALE_PAIRS}) stale")).all()
        if stale:
            db.session.execute(
                text("DELETE FROM trained_pairs WHERE activity_id = :activity_id AND person_id = :person_id"),
                [{"activity_id": activity_id, "person_id": person_id} for activity_id, person_id in stale],
            )
        db.session.execute(
            text(
                "INSERT INTO trained_pairs (activity_id, person_id, unit_id, category_id, gender, level, ethnicity_id)"
                " SELECT activity_id, person_id, unit_id, NULLIF(category_id, 0), gender, level,"
                f" NULLIF(ethnicity_id, 0) FROM ({_MISSING_PAIRS}) missing"
            )
        )
    if not found.clean:
        # The pairs are right now; the groups are only ever the pairs grouped (no trigger on them).
        db.session.execute(text("DELETE FROM trained_groups"))
        db.session.execute(text(f"INSERT INTO trained_groups ({_GROUP_COLUMNS}) {_GROUPS_FROM_PAIRS}"))
    return found
