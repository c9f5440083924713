"""Searching the audit trail: the admin page and its .xlsx export share one filter."""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, cast, or_, select

from app.audit.models import AuditEntry
from app.core.formats import VIETNAM, datetime_vn
from app.core.forms import int_or_none, parse_vn_date
from app.core.i18n import lazy_gettext as _l

MAX_TEXT = 100
EXPORT_LIMIT = 50_000  # one sheet stays usable; narrow the filter beyond this


@dataclass
class AuditFilter:
    date_from: date | None = None
    date_to: date | None = None
    actor_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    q: str | None = None

    def as_args(self) -> dict:
        """The filter as query-string values (dates dd/mm/yyyy), for links and the export entry."""
        values = {k: (v.strftime("%d/%m/%Y") if isinstance(v, date) else v) for k, v in asdict(self).items()}
        return {k: v for k, v in values.items() if v not in (None, "")}


def parse_filter(args) -> tuple[AuditFilter, dict]:
    """Read the filter from request arguments; unreadable dates are left out and reported in
    the returned ``{field: message}``."""
    errors = {}

    def text(name):
        return (args.get(name) or "").strip()[:MAX_TEXT] or None

    def day(name, label):
        raw = text(name)
        if raw is None:
            return None
        try:
            return parse_vn_date(raw)
        except ValueError:
            errors[name] = _l("%(field)s không hợp lệ (dd/mm/yyyy): %(value)s", field=label, value=raw[:40])
            return None

    found = AuditFilter(
        date_from=day("date_from", _l("Từ ngày")),
        date_to=day("date_to", _l("Đến ngày")),
        actor_id=int_or_none(args.get("actor_id")),
        action=text("action"),
        object_type=text("object_type"),
        object_id=text("object_id"),
        q=text("q"),
    )
    if found.date_from and found.date_to and found.date_from > found.date_to:
        errors["date_to"] = _l("Ngày kết thúc phải sau ngày bắt đầu.")
    return found, errors


def _utc_start_of(day: date) -> datetime:
    """Midnight in Vietnam as the naive UTC the table stores."""
    return datetime.combine(day, time(), VIETNAM).astimezone(UTC).replace(tzinfo=None)


def search(found: AuditFilter):
    """Entries matching the filter, newest first. ``action`` matches a whole action or a prefix
    ending in a dot ("auth." finds every sign-in entry); ``q`` searches the recorded values and IP."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if found.date_from:
        query = query.where(AuditEntry.at >= _utc_start_of(found.date_from))
    if found.date_to:
        query = query.where(AuditEntry.at < _utc_start_of(found.date_to + timedelta(days=1)))
    if found.actor_id:
        query = query.where(AuditEntry.actor_id == found.actor_id)
    if found.action:
        if found.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(found.action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == found.action)
    if found.object_type:
        query = query.where(AuditEntry.object_type == found.object_type)
    if found.object_id:
        query = query.where(AuditEntry.object_id == found.object_id)
    if found.q:
        # JSON columns hold non-ASCII letters as \\uXXXX escapes: look for both spellings.
        needles = {found.q, json.dumps(found.q)[1:-1]}
        columns = (AuditEntry.before, AuditEntry.after, AuditEntry.ip, AuditEntry.action)
        query = query.where(
            or_(
                *(
                    cast(column, String).ilike(f"%{_escaped(needle)}%", escape="\\")
                    for column in columns
                    for needle in needles
                )
            )
        )
    return query


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


HEADER = ["Thời gian", "Người thực hiện", "Thao tác", "Loại bản ghi", "Mã bản ghi", "Trước", "Sau", "IP"]


def export_rows(entries, usernames: dict[int, str]) -> list[list]:
    """The entries as spreadsheet rows (Vietnamese header), values as compact JSON text."""
    from app.core.exports import spreadsheet_safe

    def as_text(value):
        return json.dumps(value, ensure_ascii=False, default=str) if value else ""

    rows = [HEADER]
    for e in entries:
        cells = [
            datetime_vn(e.at),
            usernames.get(e.actor_id, ""),
            e.action,
            e.object_type,
            e.object_id or "",
            as_text(e.before),
            as_text(e.after),
            e.ip or "",
        ]
        rows.append([spreadsheet_safe(c) for c in cells])
    return rows


def xlsx_bytes(rows: list[list]) -> bytes:
    import io

    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)  # streams rows: a large log stays flat in memory
    sheet = workbook.create_sheet("Nhật ký")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
