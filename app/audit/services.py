"""The one helper every domain uses to write the audit trail."""

import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from app.audit.models import AuditEntry
from app.core.text import mask_id_number
from app.core.time import utcnow
from app.extensions import db


def _plain(value):
    if isinstance(value, Decimal):  # JSON has no decimal type; text keeps 40.50 exact ("40.5")
        return format(value.normalize(), "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def snapshot(obj, fields) -> dict:
    """The named attributes of ``obj`` as JSON-ready values (for before/after)."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def changed_only(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Keep only the keys whose values differ, so an entry says what actually changed."""
    if not before or not after:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    action: str,
    obj=None,
    *,
    object_type: str | None = None,
    object_id=None,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits with its change).

    :param action: a stable verb such as ``person.update`` or ``user.deactivate``.
    :param obj: the changed model; its table name and id are recorded.
    """
    before, after = changed_only(before, after)
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        ip=request.remote_addr if has_request_context() else None,
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else "-"),
        object_id=str(object_id if object_id is not None else getattr(obj, "id", "")) or None,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def save_audited(obj, factory, values: dict, fields, name: str):
    """Create (``obj`` None: ``factory()``) or update ``obj`` with ``values``, flush, and audit
    what changed as ``<name>.create`` / ``<name>.update``.

    :param fields: the attributes recorded before and after.
    """
    before = snapshot(obj, fields) if obj is not None else None
    if obj is None:
        obj = factory()
        db.session.add(obj)
    for key, value in values.items():
        setattr(obj, key, value)
    db.session.flush()
    record(f"{name}.{'create' if before is None else 'update'}", obj, before=before, after=snapshot(obj, fields))
    return obj


def record_now(action: str, object_type: str, object_id, *, after: dict | None = None, actor=None) -> None:
    """Write an audit entry at once with one prepared INSERT, for hot paths (the check-in).

    Unlike ``record`` nothing waits for the session's flush, so the object must have its id.
    """
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    db.session.execute(
        _INSERT_ENTRY,
        {
            "at": utcnow(),
            "actor_id": getattr(actor, "id", None),
            "ip": request.remote_addr if has_request_context() else None,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "before": None,
            "after": after,
        },
    )


_INSERT_ENTRY = insert(AuditEntry.__table__)


# -- personal data leaving the system ------------------------------------------------------------

EXPORT_ACTION = "personal_data.export"
REVEAL_ACTION = "person.reveal_id_number"
REFUSAL_ACTION = "attendance.refuse"
DENIED_ACTION = "authorization.denied"  # app.permissions.record_refusal
# Entries that record a read or a refused attempt, not a change: a GET may write them.
RECORD_ONLY_ACTIONS = frozenset({EXPORT_ACTION, REFUSAL_ACTION, DENIED_ACTION})
_LONG_NUMBER = re.compile(r"\d{9,}")


def _harmless(value) -> str:
    """A filter value as recorded: a phone or citizen ID typed into a search box is masked."""
    return _LONG_NUMBER.sub(lambda m: mask_id_number(m.group()), str(value))[:100]


def request_filters() -> dict:
    """The current request's query string (bar the page number) as it goes into an export entry."""
    if not has_request_context():
        return {}
    return {key: _harmless(value) for key, value in request.args.items() if key != "page" and value}


def record_export(export: str, rows: int, obj=None, *, filters: dict | None = None, file: str | None = None):
    """Record that personal data left the system: who, which export, the filter and the row count,
    never the data itself.

    :param export: a stable name such as ``people.csv`` or ``attendance.session_xlsx``.
    :param rows: how many people (or records about people) the file holds.
    """
    after = {"export": export, "rows": rows, "filters": request_filters() if filters is None else filters}
    if file:
        after["file"] = file
    return record(EXPORT_ACTION, obj, object_type=None if obj is not None else "exports", after=after)
