"""What a report covers: a period, and optionally a unit, a kind, a topic, a budget line or a source.

One filter serves the dashboard, the breakdown tables, the drill-down lists, the exports and the
API, so a figure on the screen and the same figure in a spreadsheet always count the same rows.
"""

from dataclasses import dataclass, fields, replace
from datetime import date

from app.core.i18n import lazy_gettext as _l
from app.planning.models import ActivityKind

# Periods of the monitoring guidance (TT 10/2022) a yearly report is cut into.
PERIODS = {
    "year": _l("Cả năm"),
    "h1": _l("6 tháng đầu năm"),
    "h2": _l("6 tháng cuối năm"),
    "custom": _l("Từ ngày … đến ngày …"),
}


class FilterError(ValueError):
    """A filter value that cannot be read; the message is shown to the user."""


@dataclass(frozen=True)
class ReportFilter:
    year: int | None = None
    period: str = "year"
    date_from: date | None = None
    date_to: date | None = None
    unit_id: int | None = None  # a unit and everything under it (and what took over from it)
    kind: ActivityKind | None = None
    topic_id: int | None = None
    budget_line_code: str | None = None  # codes, not ids: one line's code is the same every year
    funding_source_id: int | None = None

    @property
    def bounds(self) -> tuple[date | None, date | None]:
        """First and last day of the period (activities are counted by the day they start)."""
        if self.period == "custom":
            return self.date_from, self.date_to
        if self.year is None:
            return None, None
        if self.period == "h1":
            return date(self.year, 1, 1), date(self.year, 6, 30)
        if self.period == "h2":
            return date(self.year, 7, 1), date(self.year, 12, 31)
        return date(self.year, 1, 1), date(self.year, 12, 31)

    def args(self) -> dict[str, str]:
        """The filter as query-string arguments (links to drill-downs and exports keep it)."""
        out = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None or (field.name == "period" and value == "year"):
                continue
            if isinstance(value, ActivityKind):
                value = value.value
            elif isinstance(value, date):
                value = value.isoformat()
            out[field.name] = str(value)
        return out

    def but(self, **changes) -> "ReportFilter":
        return replace(self, **changes)


def _int(args, name: str, label) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise FilterError(_l("%(field)s không hợp lệ: %(value)s", field=label, value=raw[:40])) from None


def _day(args, name: str, label) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            from datetime import datetime

            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise FilterError(_l("%(field)s không hợp lệ: %(value)s", field=label, value=raw[:40]))


def parse(args, default_year: int | None = None) -> ReportFilter:
    """Read a filter from request arguments; anything unreadable raises FilterError."""
    year = _int(args, "year", _l("Năm"))
    if year is not None and not 2000 <= year <= 2100:
        raise FilterError(_l("%(field)s không hợp lệ: %(value)s", field=_l("Năm"), value=year))
    period = (args.get("period") or "year").strip()
    if period not in PERIODS:
        raise FilterError(_l("%(field)s không hợp lệ: %(value)s", field=_l("Kỳ báo cáo"), value=period[:20]))
    date_from, date_to = _day(args, "date_from", _l("Từ ngày")), _day(args, "date_to", _l("Đến ngày"))
    if period == "custom":
        if date_from is None or date_to is None:
            raise FilterError(_l("Kỳ tùy chọn cần cả ngày bắt đầu và ngày kết thúc."))
        if date_from > date_to:
            raise FilterError(_l("Ngày bắt đầu phải trước ngày kết thúc."))
    elif year is None:
        year = default_year
    kind = (args.get("kind") or "").strip()
    if kind and kind not in ActivityKind.__members__:
        raise FilterError(_l("%(field)s không hợp lệ: %(value)s", field=_l("Loại hoạt động"), value=kind[:20]))
    return ReportFilter(
        year=year if period != "custom" else None,
        period=period,
        date_from=date_from if period == "custom" else None,
        date_to=date_to if period == "custom" else None,
        unit_id=_int(args, "unit_id", _l("Đơn vị")),
        kind=ActivityKind(kind) if kind else None,
        topic_id=_int(args, "topic_id", _l("Chuyên đề")),
        budget_line_code=(args.get("budget_line_code") or "").strip()[:40] or None,
        funding_source_id=_int(args, "funding_source_id", _l("Nguồn kinh phí")),
    )
