"""trained groups kept by triggers

The all-years figures per group: one row per (breakdown, group, person) trained in it, with the
person's pairs in the group (``times``) and whether they are a woman and of an ethnic minority.
A table over all years then reads a row per person and group instead of grouping every pair of
every year again (docs/performance.md, "Reports"). The view ``trained_pair_groups`` says which
groups each trained pair falls in; triggers keep the table equal to the view grouped per person:

- a new pair (the check-in's path) adds its groups, one upsert each;
- anything else that can move a pair between groups recomputes the people it touches from the
  view: a pair removed or changed (the person's gender, ethnicity, unit; the enrolment's unit or
  category), an activity cancelled or restored or given another kind or budget line, its topics
  changed, a unit or a budget line moved in its tree or recoded, an ethnicity's minority flag.

The same SQL statements serve SQLite and PostgreSQL; only the trigger wrapping differs.

Revision ID: 7c3e91a4b2d0
Revises: d28a16cb1326
Create Date: 2026-12-05 20:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e91a4b2d0'
down_revision = 'd28a16cb1326'
branch_labels = None
depends_on = None


# The unit directly under the province above a pair's unit (a district before 01/07/2025, a
# commune after it), as app/reports/trained.py's _district_key says; units are at most four deep.
_DISTRICT = (
    "CASE WHEN u0.level = 'province' THEN u0.id WHEN u1.level = 'province' THEN u0.id"
    " WHEN u2.level = 'province' THEN u1.id WHEN u3.level = 'province' THEN u2.id ELSE u3.id END",
    """
  LEFT JOIN admin_units u0 ON u0.id = tp.unit_id
  LEFT JOIN admin_units u1 ON u1.id = u0.parent_id
  LEFT JOIN admin_units u2 ON u2.id = u1.parent_id
  LEFT JOIN admin_units u3 ON u3.id = u2.parent_id""",
)
_SUBPROJECT = (
    "CASE WHEN l0.kind = 'subproject' THEN l0.code WHEN l1.kind = 'subproject' THEN l1.code"
    " WHEN l2.kind = 'subproject' THEN l2.code WHEN l3.kind = 'subproject' THEN l3.code END",
    """
  LEFT JOIN budget_lines l0 ON l0.id = act.budget_line_id
  LEFT JOIN budget_lines l1 ON l1.id = l0.parent_id
  LEFT JOIN budget_lines l2 ON l2.id = l1.parent_id
  LEFT JOIN budget_lines l3 ON l3.id = l2.parent_id""",
)
# breakdown -> (group key expression, joins it needs); '' is the group of pairs with no key.
GROUP_KEYS = {
    "total": ("''", ""),
    "district": _DISTRICT,
    "unit": ("tp.unit_id", ""),
    "category": ("tp.category_id", ""),
    "topic": ("t.topic_id", "\n  LEFT JOIN activity_topics t ON t.activity_id = tp.activity_id"),
    "kind": ("act.kind", ""),
    "subproject": _SUBPROJECT,
    "budget_line": ("bl.code", "\n  LEFT JOIN budget_lines bl ON bl.id = act.budget_line_id"),
}


def _arm(dim: str, key: str, joins: str) -> str:
    # No CTE shared by the arms: both engines would materialise it, and a trigger's
    # "WHERE person_id = ..." could no longer reach the index of each arm.
    return f"""SELECT tp.activity_id AS activity_id, tp.person_id AS person_id, '{dim}' AS dim,
       COALESCE(CAST({key} AS VARCHAR(40)), '') AS grp,
       CASE WHEN tp.gender = 'female' THEN 1 ELSE 0 END AS female,
       CASE WHEN eth.is_minority THEN 1 ELSE 0 END AS minority
  FROM trained_pairs tp
  JOIN activities act ON act.id = tp.activity_id
  LEFT JOIN ethnicities eth ON eth.id = tp.ethnicity_id{joins}
 WHERE act.status <> 'cancelled'"""


VIEW = "CREATE VIEW trained_pair_groups AS\n" + "\nUNION ALL\n".join(
    _arm(dim, key, joins) for dim, (key, joins) in GROUP_KEYS.items()
)

# A new pair adds one to each of its groups.
_ADD = """
INSERT INTO trained_groups (dim, grp, person_id, times, female, minority)
SELECT dim, grp, person_id, 1, female, minority FROM trained_pair_groups
 WHERE activity_id = NEW.activity_id AND person_id = NEW.person_id
ON CONFLICT (dim, grp, person_id) DO UPDATE SET times = trained_groups.times + 1;
"""


def _recompute(people: str) -> str:
    """The rows of some people, worked out again from the view (``people``: a SELECT or a value)."""
    return f"""
DELETE FROM trained_groups WHERE person_id IN ({people});
INSERT INTO trained_groups (dim, grp, person_id, times, female, minority)
SELECT dim, grp, person_id, COUNT(*), MAX(female), MAX(minority) FROM trained_pair_groups
 WHERE person_id IN ({people})
 GROUP BY dim, grp, person_id;
"""


# The people trained in what changed.
OF_ACTIVITY = "SELECT person_id FROM trained_pairs WHERE activity_id = {row}.{column}"
_SUBTREE = (
    "SELECT id FROM {table} WHERE id = NEW.id OR parent_id = NEW.id"
    " OR parent_id IN (SELECT id FROM {table} WHERE parent_id = NEW.id)"
    " OR parent_id IN (SELECT id FROM {table} WHERE parent_id IN (SELECT id FROM {table} WHERE parent_id = NEW.id))"
)
OF_UNIT_TREE = "SELECT person_id FROM trained_pairs WHERE unit_id IN (" + _SUBTREE.format(table="admin_units") + ")"
OF_LINE_TREE = (
    "SELECT tp.person_id FROM trained_pairs tp JOIN activities a ON a.id = tp.activity_id"
    " WHERE a.budget_line_id IN (" + _SUBTREE.format(table="budget_lines") + ")"
)
OF_ETHNICITY = "SELECT person_id FROM trained_pairs WHERE ethnicity_id = NEW.id"

PAIR_CHANGED = (
    "OLD.person_id IS NOT NEW.person_id OR OLD.activity_id IS NOT NEW.activity_id"
    " OR OLD.unit_id IS NOT NEW.unit_id OR OLD.category_id IS NOT NEW.category_id"
    " OR OLD.gender IS NOT NEW.gender OR OLD.ethnicity_id IS NOT NEW.ethnicity_id"
)
ACTIVITY_CHANGED = (
    "(OLD.status = 'cancelled') IS NOT (NEW.status = 'cancelled')"
    " OR OLD.kind IS NOT NEW.kind OR OLD.budget_line_id IS NOT NEW.budget_line_id"
)
TREE_CHANGED = "OLD.parent_id IS NOT NEW.parent_id OR OLD.{column} IS NOT NEW.{column}"
LINE_CHANGED = "OLD.parent_id IS NOT NEW.parent_id OR OLD.kind IS NOT NEW.kind OR OLD.code IS NOT NEW.code"

BACKFILL = """
INSERT INTO trained_groups (dim, grp, person_id, times, female, minority)
SELECT dim, grp, person_id, COUNT(*), MAX(female), MAX(minority) FROM trained_pair_groups
 GROUP BY dim, grp, person_id
"""


def _sqlite(name: str, event: str, body: str, when: str | None = None) -> str:
    condition = f" WHEN {when}" if when else ""
    return f"CREATE TRIGGER {name} {event}{condition} BEGIN{body}END"


SQLITE_TRIGGERS = [
    _sqlite("trained_groups_pair_added", "AFTER INSERT ON trained_pairs", _ADD),
    _sqlite("trained_groups_pair_removed", "AFTER DELETE ON trained_pairs", _recompute("OLD.person_id")),
    _sqlite(
        "trained_groups_pair_changed", "AFTER UPDATE ON trained_pairs",
        _recompute("OLD.person_id") + _recompute("NEW.person_id"), PAIR_CHANGED,
    ),
    _sqlite(
        "trained_groups_activity", "AFTER UPDATE OF status, kind, budget_line_id ON activities",
        _recompute(OF_ACTIVITY.format(row="NEW", column="id")), ACTIVITY_CHANGED,
    ),
    _sqlite(
        "trained_groups_topic_added", "AFTER INSERT ON activity_topics",
        _recompute(OF_ACTIVITY.format(row="NEW", column="activity_id")),
    ),
    _sqlite(
        "trained_groups_topic_removed", "AFTER DELETE ON activity_topics",
        _recompute(OF_ACTIVITY.format(row="OLD", column="activity_id")),
    ),
    _sqlite(
        "trained_groups_topic_changed", "AFTER UPDATE ON activity_topics",
        _recompute(OF_ACTIVITY.format(row="OLD", column="activity_id"))
        + _recompute(OF_ACTIVITY.format(row="NEW", column="activity_id")),
    ),
    _sqlite(
        "trained_groups_unit_moved", "AFTER UPDATE OF parent_id, level ON admin_units",
        _recompute(OF_UNIT_TREE), TREE_CHANGED.format(column="level"),
    ),
    _sqlite(
        "trained_groups_line_moved", "AFTER UPDATE OF parent_id, kind, code ON budget_lines",
        _recompute(OF_LINE_TREE), LINE_CHANGED,
    ),
    _sqlite(
        "trained_groups_ethnicity", "AFTER UPDATE OF is_minority ON ethnicities",
        _recompute(OF_ETHNICITY), "OLD.is_minority IS NOT NEW.is_minority",
    ),
]
SQLITE_TRIGGER_NAMES = [statement.split()[2] for statement in SQLITE_TRIGGERS]


# PostgreSQL runs writers side by side. Two transactions recomputing one person from snapshots
# that miss each other's pairs would leave one of them out, so every change of a person's rows
# first locks that person's row in ``people`` (released at commit); the next statement then sees
# what the other transaction committed. A row lock, not an advisory lock: row locks live in the
# row itself, so a transaction that touches 100.000 people (a bulk load, a big import) holds no
# more of PostgreSQL's shared lock table than a check-in does; advisory locks filled it ("out of
# shared memory"). NO KEY UPDATE does not wait for the foreign-key checks (KEY SHARE) of other
# check-ins of the same person, so they queue here instead of deadlocking. SQLite has one writer.
_LOCK_PERSON = "PERFORM 1 FROM people WHERE id = {person} FOR NO KEY UPDATE;"
_LOCK_PEOPLE = "PERFORM 1 FROM people WHERE id IN ({people}) ORDER BY id FOR NO KEY UPDATE;"

# A change to what sorts pairs into groups recomputes the people whose pairs it can see; a
# check-in not yet committed adds its groups from what it sees. Each must wait for the other, or
# the check-in's groups keep the old sorting for good:
# - an activity's status, kind or line: the UPDATE holds the activity's row, and a new pair first
#   takes that row FOR SHARE (check-ins to one activity share it; an edit of it waits for them);
# - its topics: the topic trigger takes the activity's row as an UPDATE would;
# - a unit or a line moved, an ethnicity's flag (rare edits of reference data, each touching
#   many activities): the trigger locks the pairs' table against writers, so check-ins in flight
#   finish first and new ones wait for the commit.
# A check-in takes the activity's row before the person's, as the activity and topic triggers do,
# so a check-in and an edit of its activity do not deadlock.
_SHARE_ACTIVITY = "PERFORM 1 FROM activities WHERE id = NEW.activity_id FOR SHARE;\n"
_HOLD_ACTIVITY = "\nPERFORM 1 FROM activities WHERE id = {row}.activity_id FOR NO KEY UPDATE;"
_HOLD_PAIRS = "\nLOCK TABLE trained_pairs IN SHARE ROW EXCLUSIVE MODE;"


def _recompute_locked(people: str) -> str:
    if people.startswith("SELECT"):
        return "\n" + _LOCK_PEOPLE.format(people=people) + _recompute(people)
    return "\n" + _LOCK_PERSON.format(person=people) + _recompute(people)


def _plpgsql(name: str, body: str) -> str:
    return f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body}\nRETURN NULL;\nEND\n$$"


def _pg_condition(condition: str) -> str:
    return condition.replace(" IS NOT ", " IS DISTINCT FROM ")


POSTGRESQL_FUNCTIONS = {
    "trained_groups_pairs": (
        "IF TG_OP = 'INSERT' THEN\n" + _SHARE_ACTIVITY + _LOCK_PERSON.format(person="NEW.person_id") + _ADD
        + "END IF;\n"
        "IF TG_OP <> 'INSERT' THEN" + _recompute_locked("OLD.person_id") + "END IF;\n"
        "IF TG_OP = 'UPDATE' AND NEW.person_id <> OLD.person_id THEN"
        + _recompute_locked("NEW.person_id") + "END IF;"
    ),
    "trained_groups_activities": _recompute_locked(OF_ACTIVITY.format(row="NEW", column="id")),
    "trained_groups_topics": (
        "IF TG_OP <> 'INSERT' THEN" + _HOLD_ACTIVITY.format(row="OLD")
        + _recompute_locked(OF_ACTIVITY.format(row="OLD", column="activity_id"))
        + "END IF;\nIF TG_OP <> 'DELETE' THEN" + _HOLD_ACTIVITY.format(row="NEW")
        + _recompute_locked(OF_ACTIVITY.format(row="NEW", column="activity_id")) + "END IF;"
    ),
    "trained_groups_units": _HOLD_PAIRS + _recompute_locked(OF_UNIT_TREE),
    "trained_groups_lines": _HOLD_PAIRS + _recompute_locked(OF_LINE_TREE),
    "trained_groups_ethnicities": _HOLD_PAIRS + _recompute_locked(OF_ETHNICITY),
}
POSTGRESQL_TRIGGERS = [
    "CREATE TRIGGER trained_groups_pairs_added AFTER INSERT OR DELETE ON trained_pairs"
    " FOR EACH ROW EXECUTE FUNCTION trained_groups_pairs()",
    # The check-in's locking upsert rewrites a pair with the same values: no recompute for that.
    "CREATE TRIGGER trained_groups_pairs_changed AFTER UPDATE ON trained_pairs FOR EACH ROW"
    f" WHEN ({_pg_condition(PAIR_CHANGED)}) EXECUTE FUNCTION trained_groups_pairs()",
    "CREATE TRIGGER trained_groups_activities AFTER UPDATE OF status, kind, budget_line_id ON activities"
    f" FOR EACH ROW WHEN ({_pg_condition(ACTIVITY_CHANGED)}) EXECUTE FUNCTION trained_groups_activities()",
    "CREATE TRIGGER trained_groups_topics AFTER INSERT OR DELETE OR UPDATE ON activity_topics"
    " FOR EACH ROW EXECUTE FUNCTION trained_groups_topics()",
    "CREATE TRIGGER trained_groups_units AFTER UPDATE OF parent_id, level ON admin_units FOR EACH ROW"
    f" WHEN ({_pg_condition(TREE_CHANGED.format(column='level'))}) EXECUTE FUNCTION trained_groups_units()",
    "CREATE TRIGGER trained_groups_lines AFTER UPDATE OF parent_id, kind, code ON budget_lines FOR EACH ROW"
    f" WHEN ({_pg_condition(LINE_CHANGED)}) EXECUTE FUNCTION trained_groups_lines()",
    "CREATE TRIGGER trained_groups_ethnicities AFTER UPDATE OF is_minority ON ethnicities FOR EACH ROW"
    " WHEN (OLD.is_minority IS DISTINCT FROM NEW.is_minority) EXECUTE FUNCTION trained_groups_ethnicities()",
]
POSTGRESQL_TRIGGERS_ON = {
    "trained_groups_pairs_added": "trained_pairs", "trained_groups_pairs_changed": "trained_pairs",
    "trained_groups_activities": "activities", "trained_groups_topics": "activity_topics",
    "trained_groups_units": "admin_units", "trained_groups_lines": "budget_lines",
    "trained_groups_ethnicities": "ethnicities",
}


def upgrade():
    # A person's pairs, for the recomputes (and for the trained pairs' own person triggers).
    op.create_index('ix_trained_pairs_person_id', 'trained_pairs', ['person_id'])
    # No foreign key to people: the rows are worked out from the pairs, and a person's removal
    # recomputes them while the cascade is still under way.
    op.create_table('trained_groups',
    sa.Column('dim', sa.String(length=12), nullable=False),
    sa.Column('grp', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('times', sa.Integer(), nullable=False),
    sa.Column('female', sa.Integer(), nullable=False),
    sa.Column('minority', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dim', 'grp', 'person_id', name=op.f('pk_trained_groups')),
    sqlite_with_rowid=False
    )
    op.create_index('ix_trained_groups_person_id', 'trained_groups', ['person_id'])
    op.execute(VIEW)
    if op.get_bind().dialect.name == "postgresql":
        # No pair may be written between the backfill and the triggers (held until commit).
        op.execute("LOCK TABLE trained_pairs IN SHARE ROW EXCLUSIVE MODE")
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        for name, body in POSTGRESQL_FUNCTIONS.items():
            op.execute(_plpgsql(name, body))
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, table in POSTGRESQL_TRIGGERS_ON.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP VIEW IF EXISTS trained_pair_groups")
    op.drop_index('ix_trained_groups_person_id', table_name='trained_groups')
    op.drop_table('trained_groups')
    op.drop_index('ix_trained_pairs_person_id', table_name='trained_pairs')
