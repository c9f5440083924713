"""Hostile text written into every free-text field of the database, for XSS and formula walks."""

from sqlalchemy import Enum, String, Text, cast, literal, select, update

from app.extensions import db

XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
XSS_MARKERS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
FORMULA = '=HYPERLINK("http://evil","x")'

# Text columns that hold identifiers or values derived from others, never text a person types.
NOT_FREE_TEXT = {"username", "password_hash", "id_number", "phone", "search_name", "sort_key", "stored_name"}


def free_text_columns():
    """(table, column) of every text column of every table with an ``id`` (enums and keys left out)."""
    for table in db.metadata.sorted_tables:
        if "id" not in table.c:
            continue
        for column in table.c:
            if column.name in NOT_FREE_TEXT or column.primary_key or column.foreign_keys:
                continue
            if isinstance(column.type, String | Text) and not isinstance(column.type, Enum):
                yield table, column


def poison(payload: str) -> list[str]:
    """Write ``payload`` into every free-text column of every row whose value reads as text a person
    wrote (it has a space), numbered by the row's id for unique keys; also the JSON snapshots that
    certificates and self-registration requests print. Returns the "table.column" names changed."""
    from app.certificates.models import Certificate
    from app.registration.models import RegistrationRequest

    changed = []
    for table, column in free_text_columns():
        if column.type.length and column.type.length < len(payload) + 12:
            continue
        value = literal(payload + " ") + cast(table.c.id, String)
        if db.session.execute(update(table).where(column.like("% %")).values({column.name: value})).rowcount:
            changed.append(f"{table.name}.{column.name}")
    for row in db.session.scalars(select(Certificate)).all() + db.session.scalars(select(RegistrationRequest)).all():
        row.data = {**row.data, **{k: f"{payload} {row.id}" for k in ("full_name", "course") if k in row.data}}
    db.session.flush()
    db.session.expire_all()
    return changed
