"""The results framework: how computed indicators are counted, each period's table and spreadsheet,
and the edits of periods, targets, entered figures and indicator definitions.

A computed indicator names one entry of ``COMPUTATIONS``; everything else about it (name, baseline,
targets) is data. Computed figures follow the reader's scope (a district officer: their units);
figures entered by hand are the province's and are marked as such for readers limited to some units.
"""

import csv
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path

from sqlalchemy import func, select

from app.audit import services as audit
from app.core.formats import date_vn, money_vn, number_vn, percent_vn
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.errors import ValidationError
from app.extensions import db
from app.permissions import can, scope_unit_ids
from app.planning.models import ActivityKind, Plan
from app.reports import trained
from app.reports.filters import ReportFilter
from app.reports.models import Direction, Indicator, IndicatorValue, Measure, PeriodKind, ReportingPeriod

DATA = Path(__file__).parent / "data" / "indicators.csv"
CENT = Decimal("0.01")
LARGEST = Decimal(10) ** 16  # what a Numeric(18, 2) column holds
# Counted as held, as the dashboard counts them: a class still planned for the period is not held.


# -- computed indicators ---------------------------------------------------------------------------


class Context:
    """What a computation needs: the period and the reader, with the trained totals counted once."""

    def __init__(self, period: ReportingPeriod, user=None):
        self.period = period
        self.user = user

    @cached_property
    def report_filter(self) -> ReportFilter:
        return ReportFilter(period="custom", date_from=self.period.starts_on, date_to=self.period.ends_on)

    @cached_property
    def allowed_units(self) -> set[int] | None:
        return scope_unit_ids(self.user) if self.user is not None else None

    @property
    def limited(self) -> bool:
        return self.allowed_units is not None

    @cached_property
    def trained(self) -> trained.Row:
        return trained.total(self.report_filter, self.user)


def share(part: int, whole: int | None) -> Decimal | None:
    """part ÷ whole in per cent, two decimals rounded half up (3 of 4 -> 75.00); None without a whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def _held(kind: ActivityKind):
    def count(context: Context, _denominator) -> Decimal:
        # The dashboard's rule: for an officer, activities held in their units or that trained their cadres.
        held = trained.activities_query(context.report_filter.but(kind=kind), context.user).subquery()
        return Decimal(db.session.scalar(select(func.count()).select_from(held)))

    return count


def _budget_disbursed(context: Context, _denominator) -> Decimal | None:
    """Spent (vouchers up to the period's last day) ÷ allocated, over the funding sources of the period's year."""
    from app.budget.models import FundingSource
    from app.budget.services import source_figures
    from app.costs.models import Expenditure

    period = context.period
    allocated = sum(figures.allocated for figures in source_figures(period.year))
    spent = db.session.scalar(
        select(func.coalesce(func.sum(Expenditure.amount), 0))
        .join(FundingSource, FundingSource.id == Expenditure.funding_source_id)
        .where(
            FundingSource.year == period.year,
            Expenditure.voided_at.is_(None),
            Expenditure.voucher_date <= period.ends_on,
        )
    )
    return share(int(spent), allocated)


ANNUAL = frozenset({PeriodKind.annual})
HALF_OR_YEAR = frozenset({PeriodKind.annual, PeriodKind.six_month})


@dataclass(frozen=True)
class Computation:
    measure: Measure
    method: object  # how it is counted, shown beside the figure
    compute: Callable[[Context, int | None], Decimal | None]
    plan_target: str | None = None  # the Plan attribute that gives the year's target
    plan_kinds: frozenset = ANNUAL  # periods a yearly plan target applies to (a share holds for half a year)
    needs_denominator: bool = False
    # The figure is the province's only (its denominator is the province's register): not shown to
    # readers limited to some units, whose numerator would be theirs.
    province_only: bool = False
    permission: str | None = None  # needed to read the figure at all


COMPUTATIONS: dict[str, Computation] = {
    "cadres_trained_share": Computation(
        Measure.percent,
        _l("Số người được tập huấn trong kỳ (mỗi người một lần) ÷ số cán bộ trong danh sách (mẫu số nhập cho kỳ)"),
        lambda context, denominator: share(context.trained.people, denominator),
        needs_denominator=True,
        province_only=True,
    ),
    "people_trained": Computation(
        Measure.count,
        _l("Số người đã tham dự ít nhất một buổi của hoạt động bắt đầu trong kỳ (mỗi người một lần)"),
        lambda context, _: Decimal(context.trained.people),
    ),
    "person_times": Computation(
        Measure.count,
        _l("Số lượt người: mỗi người tính một lượt cho mỗi hoạt động đã tham dự trong kỳ"),
        lambda context, _: Decimal(context.trained.person_times),
        plan_target="target_trainees",
    ),
    "women_share": Computation(
        Measure.percent,
        _l("Số nữ ÷ số người được tập huấn trong kỳ"),
        lambda context, _: share(context.trained.women, context.trained.people),
        plan_target="target_women_percent",
        plan_kinds=HALF_OR_YEAR,
    ),
    "minority_share": Computation(
        Measure.percent,
        _l("Số người dân tộc thiểu số ÷ số người được tập huấn trong kỳ"),
        lambda context, _: share(context.trained.ethnic_minority, context.trained.people),
    ),
    "classes_held": Computation(
        Measure.count,
        _l("Lớp tập huấn bắt đầu trong kỳ, đang hoặc đã diễn ra (không tính lớp đã hủy hoặc chưa tổ chức)"),
        _held(ActivityKind.training),
        plan_target="target_classes",
    ),
    "study_tours_held": Computation(
        Measure.count,
        _l("Đoàn học tập kinh nghiệm bắt đầu trong kỳ, đang hoặc đã đi (không tính đoàn đã hủy)"),
        _held(ActivityKind.study_tour),
        plan_target="target_study_tours",
    ),
    "workshops_held": Computation(
        Measure.count,
        _l("Hội thảo, hội nghị bắt đầu trong kỳ, đang hoặc đã diễn ra (không tính cuộc đã hủy)"),
        _held(ActivityKind.workshop),
    ),
    "monitoring_held": Computation(
        Measure.count,
        _l("Cuộc kiểm tra, giám sát bắt đầu trong kỳ, đang hoặc đã diễn ra (không tính cuộc đã hủy)"),
        _held(ActivityKind.monitoring),
    ),
    "budget_disbursed_share": Computation(
        Measure.percent,
        _l("Số đã chi (chứng từ đến hết ngày cuối kỳ) ÷ số được phân bổ, các nguồn kinh phí của năm báo cáo"),
        _budget_disbursed,
        province_only=True,
        permission="costs.spending",
    ),
}


# -- a period's table -------------------------------------------------------------------------------


@dataclass
class FrameworkRow:
    indicator: Indicator
    entry: IndicatorValue | None
    target: Decimal | None
    target_from: str | None  # "period" (entered), "plan" (the year's plan), "default" (the indicator's)
    actual: Decimal | None
    missing: object | None = None  # why a computed figure is blank
    province_wide: bool = False  # an entered figure shown to a reader limited to some units
    comparable: bool = True  # False: a unit's count against the province's target

    @property
    def computation(self) -> Computation | None:
        return COMPUTATIONS.get(self.indicator.computation) if self.indicator.computation else None

    @property
    def method(self) -> str:
        """How the figure was obtained: the computation, or the source typed with it."""
        if self.computation is not None:
            return str(self.computation.method)
        return (self.entry.source if self.entry else None) or ""

    @property
    def ratio(self) -> Decimal | None:
        """Actual ÷ target (1 = 100 %), where the two can be compared."""
        if self.actual is None or not self.target or not self.comparable:
            return None
        return self.actual / self.target

    @property
    def met(self) -> bool | None:
        if self.ratio is None:
            return None
        if self.indicator.direction is Direction.lower:
            return self.actual <= self.target
        return self.actual >= self.target


def periods() -> list[ReportingPeriod]:
    """Every period, the latest first."""
    return db.session.scalars(
        select(ReportingPeriod).order_by(ReportingPeriod.ends_on.desc(), ReportingPeriod.starts_on.desc())
    ).all()


def indicators(active_only: bool = True) -> list[Indicator]:
    query = select(Indicator).order_by(Indicator.sort_order, Indicator.code)
    if active_only:
        query = query.where(Indicator.active.is_(True))
    return db.session.scalars(query).all()


def plan_targets(year: int) -> dict[str, Decimal]:
    """The year's plan targets by Plan attribute: counts add up over the year's plans; of several
    women's shares the highest counts (the dashboard reads them here too)."""
    plans = db.session.scalars(select(Plan).where(Plan.year == year)).all()
    found = {}
    for name in ("target_classes", "target_trainees", "target_study_tours"):
        values = [getattr(p, name) for p in plans if getattr(p, name) is not None]
        if values:
            found[name] = Decimal(sum(values))
    women = [p.target_women_percent for p in plans if p.target_women_percent is not None]
    if women:
        found["target_women_percent"] = Decimal(max(women))
    return found


def _target(indicator: Indicator, entry, period: ReportingPeriod, from_plan: dict) -> tuple[Decimal | None, str | None]:
    """The period's own target, else the year's plan target, else the indicator's standing target."""
    if entry is not None and entry.target is not None:
        return entry.target, "period"
    computation = COMPUTATIONS.get(indicator.computation or "")
    if computation and computation.plan_target in from_plan and period.kind in computation.plan_kinds:
        return from_plan[computation.plan_target], "plan"
    if indicator.default_target is not None:
        return indicator.default_target, "default"
    return None, None


def _computed(computation: Computation, context: Context, entry) -> tuple[Decimal | None, object | None]:
    if computation.permission and not (context.user is None or can(computation.permission, user=context.user)):
        return None, _l("Không hiển thị với vai trò của bạn.")
    if computation.province_only and context.limited:
        return None, _l("Chỉ tính cho toàn tỉnh.")
    denominator = entry.denominator if entry is not None else None
    if computation.needs_denominator and not denominator:
        return None, _l("Chưa nhập mẫu số (số cán bộ trong danh sách) cho kỳ này.")
    value = computation.compute(context, denominator)
    return value, None if value is not None else _l("Chưa có số liệu trong kỳ.")


def build(period: ReportingPeriod, user=None, only: Indicator | None = None) -> list[FrameworkRow]:
    """The period's rows in order (or ``only`` that indicator's); ``user`` None: the whole province."""
    context = Context(period, user)
    entries = {
        v.indicator_id: v for v in db.session.scalars(select(IndicatorValue).where(IndicatorValue.period == period))
    }
    from_plan = plan_targets(period.year)
    rows = []
    for indicator in [only] if only is not None else indicators():
        entry = entries.get(indicator.id)
        target, target_from = _target(indicator, entry, period, from_plan)
        computation = COMPUTATIONS.get(indicator.computation or "")
        if computation is not None:
            actual, missing = _computed(computation, context, entry)
            # A unit's count cannot be read against the province's target; a share can.
            comparable = not context.limited or indicator.measure is Measure.percent
            rows.append(FrameworkRow(indicator, entry, target, target_from, actual, missing, False, comparable))
        else:
            actual = entry.actual if entry is not None else None
            rows.append(FrameworkRow(indicator, entry, target, target_from, actual, None, context.limited))
    return rows


def format_figure(value: Decimal | None, measure: Measure) -> str:
    """40.00 -> '40,0 %'; 1200 -> '1.200'; 12500000 -> '12.500.000 đ'."""
    if value is None:
        return ""
    if measure is Measure.percent:
        return percent_vn(value / 100)
    if measure is Measure.money:
        return money_vn(int(value))
    if value == value.to_integral_value():
        return number_vn(int(value))
    return f"{value.normalize()}".replace(".", ",")


# -- the spreadsheet --------------------------------------------------------------------------------

XLSX_HEADER = [
    "STT",
    "Mã",
    "Chỉ số",
    "Đơn vị tính",
    "Giá trị cơ sở",
    "Năm cơ sở",
    "Chỉ tiêu",
    "Thực hiện",
    "Tỷ lệ thực hiện so với chỉ tiêu",
    "Cách tính",
    "Nguồn số liệu",
    "Mẫu số",
    "Ghi chú",
]
NUMBER_FORMATS = {Measure.percent: "0.0%", Measure.count: "#,##0", Measure.money: "#,##0"}


def _cell(value: Decimal | None, measure: Measure):
    """A figure as the number a spreadsheet should hold: shares as fractions (shown as %)."""
    if value is None:
        return None
    if measure is Measure.percent:
        return float(value / 100)
    return int(value) if value == value.to_integral_value() else float(value)


def xlsx_bytes(period: ReportingPeriod, rows: list[FrameworkRow], scope: str | None = None) -> bytes:
    """The period's framework as Biểu số 01 is filled in: numbers stay numbers, headers in Vietnamese.

    :param scope: for a reader limited to some units, which units the computed figures cover.
    """
    import openpyxl

    from app.core.exports import spreadsheet_safe, workbook_bytes

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Khung kết quả"
    sheet.append([spreadsheet_safe(f"Khung kết quả — {period.title}")])
    sheet.append([f"Từ ngày {date_vn(period.starts_on)} đến ngày {date_vn(period.ends_on)}"])
    sheet.append(
        [spreadsheet_safe(f"Số liệu tính tự động chỉ gồm: {scope}; số liệu nhập tay là của toàn tỉnh.")]
        if scope
        else []
    )
    sheet.append(XLSX_HEADER)
    for index, row in enumerate(rows, start=1):
        indicator, entry = row.indicator, row.entry
        measure = indicator.measure
        computed = row.computation is not None
        text = [
            indicator.code,
            indicator.name,
            indicator.unit_name or "",
        ]
        sheet.append(
            [index, *(spreadsheet_safe(v) for v in text)]
            + [_cell(indicator.baseline_value, measure), indicator.baseline_year]
            + [_cell(row.target, measure), _cell(row.actual, measure)]
            + [float(row.ratio) if row.ratio is not None else None]
            + [
                spreadsheet_safe(row.method) if computed else "Nhập tay",
                "" if computed else spreadsheet_safe(row.method) + (" (toàn tỉnh)" if row.province_wide else ""),
                entry.denominator if entry is not None else None,
                spreadsheet_safe((entry.note if entry else None) or (str(row.missing) if row.missing else "")),
            ]
        )
        line = sheet.max_row
        for column in ("E", "G", "H"):
            sheet[f"{column}{line}"].number_format = NUMBER_FORMATS[measure]
        sheet[f"I{line}"].number_format = "0.0%"
    for column, width in zip("ABCDEFGHIJKLM", (5, 10, 50, 12, 14, 10, 14, 14, 16, 50, 40, 10, 40), strict=True):
        sheet.column_dimensions[column].width = width
    return workbook_bytes(workbook)


# -- loading and editing ----------------------------------------------------------------------------


def _figure(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def load_indicators() -> int:
    """Add the default indicators that are missing (by code); never overwrite the department's edits.

    :raises ValueError: a computation key the code does not know, or a measure that is not the
        computation's (a data file out of step with the code must fail loudly, not show wrong figures).
    """
    known = set(db.session.scalars(select(Indicator.code)))
    added = 0
    with DATA.open(encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            row = {k: nfc(v) for k, v in raw.items()}
            computation = row["computation"] or None
            measure = Measure(row["measure"])
            if computation is not None and (
                computation not in COMPUTATIONS or COMPUTATIONS[computation].measure != measure
            ):
                raise ValueError(f"indicator {row['code']}: unknown computation {computation!r} for {measure.value}")
            if row["code"] in known:
                continue
            db.session.add(
                Indicator(
                    code=row["code"],
                    name=row["name"],
                    name_en=row["name_en"] or None,
                    measure=measure,
                    unit_name=row["unit_name"] or None,
                    computation=computation,
                    baseline_value=_figure(row["baseline_value"]),
                    baseline_year=int(row["baseline_year"]) if row["baseline_year"] else None,
                    default_target=_figure(row["default_target"]),
                    direction=Direction(row["direction"] or "higher"),
                    target_notes=row["target_notes"] or None,
                    legal_basis=row["legal_basis"] or None,
                    sort_order=int(row["sort_order"]),
                )
            )
            added += 1
    db.session.flush()
    return added


def _text(value, limit: int, field: str, errors: dict) -> str | None:
    value = nfc(value) or None
    if value is not None and len(value) > limit:
        errors[field] = _l("Tối đa %(n)s ký tự.", n=limit)
    return value


def _long_text(value) -> str | None:
    """Notes keep their line breaks; only the Unicode form is normalised."""
    value = unicodedata.normalize("NFC", value or "").strip()
    return value or None


def _check_figure(value, measure: Measure, field: str, errors: dict) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or value < 0 or value >= LARGEST:
        errors[field] = _l("Nhập một số không âm.")
    elif measure is Measure.percent and value > 100:
        errors[field] = _l("Tỷ lệ phải từ 0 đến 100.")
    elif measure is not Measure.percent and value != value.to_integral_value():
        errors[field] = _l("Nhập số nguyên (không có phần thập phân).")


def _year(value, field: str, errors: dict) -> int | None:
    if value is not None and not 2000 <= value <= 2100:
        errors[field] = _l("Năm không hợp lệ.")
    return value


PERIOD_FIELDS = ("kind", "year", "title", "starts_on", "ends_on")


def _default_dates(kind: PeriodKind | None, year: int | None) -> tuple[date | None, date | None]:
    """A year or first half-year needs no typed dates (the 6-month report covers January to June)."""
    if year is None or not 2000 <= year <= 2100:
        return None, None
    if kind is PeriodKind.annual:
        return date(year, 1, 1), date(year, 12, 31)
    if kind is PeriodKind.six_month:
        return date(year, 1, 1), date(year, 6, 30)
    return None, None


def _default_title(kind: PeriodKind, year: int, starts_on: date, ends_on: date) -> str:
    # Stored data, so in Vietnamese whatever the interface language: reports go out in Vietnamese.
    if kind is PeriodKind.annual:
        return f"Năm {year}"
    if kind is PeriodKind.six_month:
        return f"6 tháng {'đầu' if ends_on.month <= 6 else 'cuối'} năm {year}"
    names = {
        PeriodKind.baseline: "Đánh giá đầu kỳ",
        PeriodKind.mid_term: "Đánh giá giữa kỳ",
        PeriodKind.final: "Đánh giá cuối kỳ",
        PeriodKind.ad_hoc: "Báo cáo đột xuất",
    }
    return f"{names[kind]} ({date_vn(starts_on)} – {date_vn(ends_on)})"


def save_period(period: ReportingPeriod | None, data: dict, user) -> ReportingPeriod:
    """Create or change a reporting period. A year or first half-year may leave its dates blank.

    :raises ValidationError: no kind, a year out of range, a missing date, a start after the end,
        a year outside the dates, or the same kind and dates as another period.
    """
    errors = {}
    kind = data.get("kind")
    if not isinstance(kind, PeriodKind):
        errors["kind"] = _l("Chọn loại kỳ báo cáo.")
        kind = None
    year = data.get("year")
    if year is None:
        errors["year"] = _l("Nhập năm báo cáo.")
    _year(year, "year", errors)
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if starts_on is None and ends_on is None:
        starts_on, ends_on = _default_dates(kind, year)
    if starts_on is None:
        errors["starts_on"] = _l("Nhập ngày bắt đầu.")
    if ends_on is None:
        errors["ends_on"] = _l("Nhập ngày kết thúc.")
    if starts_on and ends_on and starts_on > ends_on:
        errors["ends_on"] = _l("Ngày kết thúc không được trước ngày bắt đầu.")
    elif starts_on and ends_on and year and "year" not in errors and not starts_on.year <= year <= ends_on.year:
        errors["year"] = _l("Năm báo cáo phải nằm trong khoảng thời gian của kỳ.")
    title = _text(data.get("title"), 200, "title", errors)
    if not errors:
        clash = db.session.scalar(
            select(ReportingPeriod.id).where(
                ReportingPeriod.kind == kind,
                ReportingPeriod.starts_on == starts_on,
                ReportingPeriod.ends_on == ends_on,
                ReportingPeriod.id != (period.id if period is not None else -1),
            )
        )
        if clash:
            errors["starts_on"] = _l("Đã có một kỳ cùng loại với cùng ngày bắt đầu và kết thúc.")
    if errors:
        raise ValidationError("invalid_period", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    values = {
        "kind": kind,
        "year": year,
        "title": title or _default_title(kind, year, starts_on, ends_on),
        "starts_on": starts_on,
        "ends_on": ends_on,
    }
    if period is None:
        values["created_by_id"] = getattr(user, "id", None)
    return audit.save_audited(period, ReportingPeriod, values, PERIOD_FIELDS, "reporting_period")


VALUE_FIELDS = ("target", "actual", "denominator", "source", "note")


def entry_for(indicator: Indicator, period: ReportingPeriod) -> IndicatorValue | None:
    return db.session.scalar(
        select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id, IndicatorValue.period_id == period.id)
    )


def save_value(indicator: Indicator, period: ReportingPeriod, data: dict, user) -> IndicatorValue | None:
    """Set an indicator's target, entered figure, denominator, source and note for a period.

    :return: the row, or None when nothing was entered and there was no row to change.
    :raises ValidationError: ``computed_actual`` when a figure is typed for a computed indicator
        (it comes from the data); ``invalid_indicator_value`` for a figure that does not fit the
        indicator's measure, a denominator below 1, or a figure without its source.
    """
    if data.get("actual") is not None and indicator.is_computed:
        raise ValidationError(
            "computed_actual",
            _l("Chỉ số này được tính tự động từ dữ liệu; không nhập số thực hiện."),
            {"actual": _l("Chỉ số này được tính tự động từ dữ liệu; không nhập số thực hiện.")},
        )
    errors = {}
    _check_figure(data.get("target"), indicator.measure, "target", errors)
    _check_figure(data.get("actual"), indicator.measure, "actual", errors)
    denominator = data.get("denominator")
    if denominator is not None and denominator < 1:
        errors["denominator"] = _l("Mẫu số phải là số nguyên dương.")
    source = _text(data.get("source"), 300, "source", errors)
    if data.get("actual") is not None and not source:
        errors["source"] = _l("Ghi nguồn của số liệu (báo cáo, biên bản, số và ngày văn bản).")
    if errors:
        raise ValidationError("invalid_indicator_value", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    values = {
        "target": data.get("target"),
        "actual": data.get("actual"),
        "denominator": denominator,
        "source": source,
        "note": _long_text(data.get("note")),
    }
    entry = entry_for(indicator, period)
    if entry is None and not any(v is not None for v in values.values()):
        return None
    values["updated_by_id"] = getattr(user, "id", None)
    return audit.save_audited(
        entry,
        lambda: IndicatorValue(indicator_id=indicator.id, period_id=period.id),
        values,
        VALUE_FIELDS,
        "indicator_value",
    )


INDICATOR_FIELDS = (
    "code",
    "name",
    "name_en",
    "measure",
    "unit_name",
    "baseline_value",
    "baseline_year",
    "default_target",
    "direction",
    "target_notes",
    "legal_basis",
    "sort_order",
    "active",
)


def save_indicator(indicator: Indicator | None, data: dict, user) -> Indicator:
    """Create a manual indicator or change an indicator's definition. The code is fixed once made,
    and a computed indicator keeps the measure its computation gives.

    :raises ValidationError: a missing or taken code, a missing name, a measure change on a computed
        indicator, figures that do not fit the measure, or a year out of range.
    """
    errors = {}
    code = (indicator.code if indicator is not None else _text(data.get("code"), 40, "code", errors)) or ""
    if indicator is None:
        if not code:
            errors["code"] = _l("Nhập mã chỉ số.")
        elif db.session.scalar(select(Indicator.id).where(Indicator.code == code)):
            errors["code"] = _l("Mã này đã được dùng cho chỉ số khác.")
    name = _text(data.get("name"), 300, "name", errors)
    if not name:
        errors["name"] = _l("Nhập tên chỉ số.")
    measure = data.get("measure")
    if not isinstance(measure, Measure):
        errors["measure"] = _l("Chọn đơn vị đo.")
        measure = None
    elif indicator is not None and indicator.is_computed and measure is not indicator.measure:
        errors["measure"] = _l("Chỉ số tính tự động: đơn vị đo do cách tính quyết định, không đổi được.")
    if measure is not None:
        _check_figure(data.get("baseline_value"), measure, "baseline_value", errors)
        _check_figure(data.get("default_target"), measure, "default_target", errors)
    _year(data.get("baseline_year"), "baseline_year", errors)
    sort_order = data.get("sort_order")
    if sort_order is not None and not 0 <= sort_order <= 9999:
        errors["sort_order"] = _l("Thứ tự từ 0 đến 9999.")
    values = {
        "code": code,
        "name": name,
        "name_en": _text(data.get("name_en"), 300, "name_en", errors),
        "measure": measure,
        "unit_name": _text(data.get("unit_name"), 40, "unit_name", errors),
        "baseline_value": data.get("baseline_value"),
        "baseline_year": data.get("baseline_year"),
        "default_target": data.get("default_target"),
        "direction": data.get("direction") if isinstance(data.get("direction"), Direction) else Direction.higher,
        "target_notes": _long_text(data.get("target_notes")),
        "legal_basis": _long_text(data.get("legal_basis")),
        "sort_order": sort_order if sort_order is not None else 100,
        "active": bool(data.get("active")),
    }
    if errors:
        raise ValidationError("invalid_indicator", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    values["updated_by_id"] = getattr(user, "id", None)
    return audit.save_audited(indicator, Indicator, values, INDICATOR_FIELDS, "indicator")
