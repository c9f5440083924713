"""trained pairs kept by triggers

One row per (activity, person) who attended at least one of its sessions, kept by triggers on
attendances, enrolments and people, on SQLite and PostgreSQL alike, so any write (the check-in's
plain INSERT, a person merge, an edit of someone's gender or unit) updates it in its own
transaction. The same SQL statements serve both engines; only the trigger wrapping differs.

Revision ID: d28a16cb1326
Revises: b96564525dbd
Create Date: 2026-11-26 20:13:56.492347

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd28a16cb1326'
down_revision = 'b96564525dbd'
branch_labels = None
depends_on = None


# The place a pair is counted: its enrolment's unit and category, the person's own without one.
_PLACE = """
    unit_id = COALESCE(
        (SELECT e.unit_id FROM enrolments e
          WHERE e.activity_id = trained_pairs.activity_id AND e.person_id = trained_pairs.person_id),
        (SELECT p.unit_id FROM people p WHERE p.id = trained_pairs.person_id)),
    category_id = COALESCE(
        (SELECT e.category_id FROM enrolments e
          WHERE e.activity_id = trained_pairs.activity_id AND e.person_id = trained_pairs.person_id),
        (SELECT p.category_id FROM people p WHERE p.id = trained_pairs.person_id))
"""

# (row, session, person) -> a pair for whoever just attended, unless it is there already.
_REMEMBER = """
INSERT INTO trained_pairs (activity_id, person_id, unit_id, category_id, gender, level, ethnicity_id)
SELECT s.activity_id, p.id, COALESCE(e.unit_id, p.unit_id), COALESCE(e.category_id, p.category_id),
       p.gender, p.level, p.ethnicity_id
  FROM activity_sessions s
  JOIN people p ON p.id = {row}.person_id
  LEFT JOIN enrolments e ON e.activity_id = s.activity_id AND e.person_id = p.id
 WHERE s.id = {row}.session_id
ON CONFLICT (activity_id, person_id) DO NOTHING;
"""

# The pair goes when the person's last attendance of the activity goes.
_FORGET = """
DELETE FROM trained_pairs
 WHERE person_id = {row}.person_id
   AND activity_id = (SELECT s.activity_id FROM activity_sessions s WHERE s.id = {row}.session_id)
   AND NOT EXISTS (
       SELECT 1 FROM attendances a JOIN activity_sessions s ON s.id = a.session_id
        WHERE a.person_id = trained_pairs.person_id AND s.activity_id = trained_pairs.activity_id);
"""

_REPLACE_ENROLMENT = "\nUPDATE trained_pairs SET " + _PLACE + """
 WHERE activity_id = {row}.activity_id AND person_id = {row}.person_id;
"""

_PERSON_CHANGED = """
UPDATE trained_pairs SET gender = NEW.gender, level = NEW.level, ethnicity_id = NEW.ethnicity_id, """ + _PLACE + """
 WHERE person_id = NEW.id;
"""

PERSON_COLUMNS = "gender, level, ethnicity_id, unit_id, category_id"
ENROLMENT_COLUMNS = "unit_id, category_id, activity_id, person_id"

BACKFILL = """
INSERT INTO trained_pairs (activity_id, person_id, unit_id, category_id, gender, level, ethnicity_id)
SELECT attended.activity_id, p.id, COALESCE(e.unit_id, p.unit_id), COALESCE(e.category_id, p.category_id),
       p.gender, p.level, p.ethnicity_id
  FROM (SELECT DISTINCT s.activity_id, a.person_id
          FROM attendances a JOIN activity_sessions s ON s.id = a.session_id) attended
  JOIN people p ON p.id = attended.person_id
  LEFT JOIN enrolments e ON e.activity_id = attended.activity_id AND e.person_id = p.id
"""

SQLITE_TRIGGERS = [
    "CREATE TRIGGER trained_pairs_attendances AFTER INSERT ON attendances BEGIN"
    + _REMEMBER.format(row="NEW") + "END",
    "CREATE TRIGGER trained_pairs_attendances_deleted AFTER DELETE ON attendances BEGIN"
    + _FORGET.format(row="OLD") + "END",
    "CREATE TRIGGER trained_pairs_attendances_moved AFTER UPDATE OF person_id, session_id ON attendances BEGIN"
    + _FORGET.format(row="OLD") + _REMEMBER.format(row="NEW") + "END",
    "CREATE TRIGGER trained_pairs_enrolments AFTER INSERT ON enrolments BEGIN"
    + _REPLACE_ENROLMENT.format(row="NEW") + "END",
    f"CREATE TRIGGER trained_pairs_enrolments_changed AFTER UPDATE OF {ENROLMENT_COLUMNS} ON enrolments BEGIN"
    + _REPLACE_ENROLMENT.format(row="OLD") + _REPLACE_ENROLMENT.format(row="NEW") + "END",
    "CREATE TRIGGER trained_pairs_enrolments_deleted AFTER DELETE ON enrolments BEGIN"
    + _REPLACE_ENROLMENT.format(row="OLD") + "END",
    f"CREATE TRIGGER trained_pairs_people AFTER UPDATE OF {PERSON_COLUMNS} ON people BEGIN"
    + _PERSON_CHANGED + "END",
]


def _plpgsql(table: str, body: str) -> str:
    return (
        f"CREATE FUNCTION trained_pairs_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"{body}\nRETURN NULL;\nEND\n$$"
    )


# PostgreSQL runs writers side by side: a removal that cannot yet see another session's
# uncommitted check-in of the same person would take their pair away. So a check-in locks an
# existing pair (DO UPDATE instead of DO NOTHING) and a removal locks it before looking: the
# removal then waits for the check-in, and its next statement sees it. SQLite has one writer.
_LOCK = """
PERFORM 1 FROM trained_pairs
  WHERE person_id = {row}.person_id
    AND activity_id = (SELECT s.activity_id FROM activity_sessions s WHERE s.id = {row}.session_id)
    FOR UPDATE;
"""
_REMEMBER_LOCKING = _REMEMBER.replace(
    "DO NOTHING;", "DO UPDATE SET unit_id = EXCLUDED.unit_id, category_id = EXCLUDED.category_id;"
)

POSTGRESQL_TRIGGERS = [
    _plpgsql(
        "attendances",
        "IF TG_OP <> 'INSERT' THEN" + _LOCK.format(row="OLD") + _FORGET.format(row="OLD") + "END IF;\n"
        "IF TG_OP <> 'DELETE' THEN" + _REMEMBER_LOCKING.format(row="NEW") + "END IF;",
    ),
    "CREATE TRIGGER trained_pairs_attendances AFTER INSERT OR DELETE OR UPDATE OF person_id, session_id"
    " ON attendances FOR EACH ROW EXECUTE FUNCTION trained_pairs_attendances()",
    _plpgsql(
        "enrolments",
        "IF TG_OP <> 'INSERT' THEN" + _REPLACE_ENROLMENT.format(row="OLD") + "END IF;\n"
        "IF TG_OP <> 'DELETE' THEN" + _REPLACE_ENROLMENT.format(row="NEW") + "END IF;",
    ),
    f"CREATE TRIGGER trained_pairs_enrolments AFTER INSERT OR DELETE OR UPDATE OF {ENROLMENT_COLUMNS}"
    " ON enrolments FOR EACH ROW EXECUTE FUNCTION trained_pairs_enrolments()",
    _plpgsql("people", _PERSON_CHANGED),
    f"CREATE TRIGGER trained_pairs_people AFTER UPDATE OF {PERSON_COLUMNS}"
    " ON people FOR EACH ROW EXECUTE FUNCTION trained_pairs_people()",
]


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('trained_pairs',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('gender', sa.Enum('female', 'male', name='gender', native_enum=False, length=10), nullable=False),
    sa.Column('level', sa.Enum('province', 'district', 'commune', 'village', name='unitlevel', native_enum=False, length=20), nullable=False),
    sa.Column('ethnicity_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_trained_pairs_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['participant_categories.id'], name=op.f('fk_trained_pairs_category_id_participant_categories')),
    sa.ForeignKeyConstraint(['ethnicity_id'], ['ethnicities.id'], name=op.f('fk_trained_pairs_ethnicity_id_ethnicities')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_trained_pairs_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_units.id'], name=op.f('fk_trained_pairs_unit_id_admin_units')),
    sa.PrimaryKeyConstraint('activity_id', 'person_id', name=op.f('pk_trained_pairs')),
    sqlite_with_rowid=False
    )
    # ### end Alembic commands ###
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


SQLITE_TRIGGER_NAMES = [
    "trained_pairs_attendances", "trained_pairs_attendances_deleted", "trained_pairs_attendances_moved",
    "trained_pairs_enrolments", "trained_pairs_enrolments_changed", "trained_pairs_enrolments_deleted",
    "trained_pairs_people",
]


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("attendances", "enrolments", "people"):
            op.execute(f"DROP TRIGGER IF EXISTS trained_pairs_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS trained_pairs_{table}()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('trained_pairs')
