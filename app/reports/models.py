"""What reports read besides the live tables: the trained pairs (kept by the database) and the
results framework.

The results framework (khung kết quả, TT 10/2022 Biểu số 01 Phụ lục III): indicators, reporting
periods, and each indicator's target and entered figures for a period.

Everything here is data the department edits: indicator names, baselines, targets and the periods
themselves. Only *how* a computed indicator is counted lives in code (``app/reports/framework.py``),
named by the indicator's ``computation`` key.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.extensions import db
from app.geo.models import UnitLevel
from app.people.models import Gender
from app.reference.models import LocalisedName

# One type for every figure of the framework: shares as 40.00 (per cent), counts and đồng as whole
# numbers (the services refuse fractions for them). 18 digits hold any programme budget in đồng.
FIGURE = Numeric(18, 2)


class Measure(enum.Enum):
    """What an indicator's figures are: a share in per cent, a count, or an amount in đồng."""

    percent = "percent"
    count = "count"
    money = "money"

    @property
    def label(self):
        return MEASURE_LABELS[self]


MEASURE_LABELS = {
    Measure.percent: _l("Tỷ lệ (%)"),
    Measure.count: _l("Số lượng"),
    Measure.money: _l("Số tiền (đồng)"),
}


class Direction(enum.Enum):
    """Whether reaching the target means going above it (most indicators) or staying below it."""

    higher = "higher"
    lower = "lower"

    @property
    def label(self):
        return DIRECTION_LABELS[self]


DIRECTION_LABELS = {
    Direction.higher: _l("Càng cao càng tốt (đạt khi bằng hoặc vượt chỉ tiêu)"),
    Direction.lower: _l("Càng thấp càng tốt (đạt khi không vượt chỉ tiêu)"),
}


class Indicator(LocalisedName, db.Model):
    """One line of the results framework."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    measure: Mapped[Measure] = mapped_column(Enum(Measure, native_enum=False, length=20))
    unit_name: Mapped[str | None] = mapped_column(String(40))  # đơn vị tính: "người", "lớp", "%"
    # None: entered by hand each period with its source; else a key of framework.COMPUTATIONS.
    computation: Mapped[str | None] = mapped_column(String(40))
    baseline_value: Mapped[Decimal | None] = mapped_column(FIGURE)
    baseline_year: Mapped[int | None]
    # The target of every period that sets none of its own (e.g. the programme's share of cadres trained).
    default_target: Mapped[Decimal | None] = mapped_column(FIGURE)
    direction: Mapped[Direction] = mapped_column(
        Enum(Direction, native_enum=False, length=10), default=Direction.higher
    )
    target_notes: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)  # where the indicator and its target come from
    sort_order: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_computed(self) -> bool:
        return self.computation is not None


class PeriodKind(enum.Enum):
    """The monitoring and evaluation periods of TT 10/2022."""

    six_month = "six_month"
    annual = "annual"
    baseline = "baseline"
    mid_term = "mid_term"
    final = "final"
    ad_hoc = "ad_hoc"

    @property
    def label(self):
        return PERIOD_KIND_LABELS[self]


PERIOD_KIND_LABELS = {
    PeriodKind.six_month: _l("6 tháng"),
    PeriodKind.annual: _l("Hằng năm"),
    PeriodKind.baseline: _l("Đầu kỳ"),
    PeriodKind.mid_term: _l("Giữa kỳ"),
    PeriodKind.final: _l("Cuối kỳ"),
    PeriodKind.ad_hoc: _l("Đột xuất"),
}


class ReportingPeriod(db.Model):
    """A reporting or evaluation period: its kind, the year it reports on, and its first and last day."""

    __tablename__ = "reporting_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PeriodKind] = mapped_column(Enum(PeriodKind, native_enum=False, length=20))
    # The plan and budget year the period reports on (a mid-term period: the year it ends).
    year: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    values: Mapped[list["IndicatorValue"]] = relationship(back_populates="period", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="starts_before_ends"),
        db.UniqueConstraint("kind", "starts_on", "ends_on", name="uq_reporting_periods_kind_dates"),
    )


class IndicatorValue(db.Model):
    """An indicator's figures for one period: its target, and what people entered by hand."""

    __tablename__ = "indicator_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_periods.id", ondelete="CASCADE"), index=True)
    target: Mapped[Decimal | None] = mapped_column(FIGURE)
    actual: Mapped[Decimal | None] = mapped_column(FIGURE)  # manual indicators only
    # For a share: how many people the share is of (the register of poverty-reduction cadres).
    denominator: Mapped[int | None]
    source: Mapped[str | None] = mapped_column(String(300))  # where a manual figure comes from
    note: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    indicator: Mapped[Indicator] = relationship()
    period: Mapped[ReportingPeriod] = relationship(back_populates="values")
    updated_by = relationship("User")

    __table_args__ = (db.UniqueConstraint("indicator_id", "period_id", name="uq_indicator_values_indicator_period"),)


class TrainedPair(db.Model):
    """One row per person who attended at least one session of an activity, with what reports
    group them by: the unit and category of their enrolment (their own when they had none) and
    their gender, level and ethnicity.

    Database triggers keep it (migration d28a16cb1326, "trained pairs kept by triggers"): every write to attendances,
    enrolments or people, through the app or not, updates it in the same transaction, so it can
    never disagree with the attendance rows. Reports read it instead of grouping a period's
    attendance rows again for every table (docs/performance.md, "Reports").
    """

    __tablename__ = "trained_pairs"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("participant_categories.id"))
    gender: Mapped[Gender] = mapped_column(Enum(Gender, native_enum=False, length=10))
    level: Mapped[UnitLevel] = mapped_column(Enum(UnitLevel, native_enum=False, length=20))
    ethnicity_id: Mapped[int | None] = mapped_column(ForeignKey("ethnicities.id"))

    # SQLite: the rows live in the primary key's b-tree, so a period's activities are read as
    # ranges of one index with every column at hand.
    __table_args__ = ({"sqlite_with_rowid": False},)


class TrainedGroup(db.Model):
    """The all-years figures of one person in one group of a breakdown: how many of their pairs
    fall in it (``times``), and whether they are a woman and of an ethnic minority.

    Database triggers keep it from the trained pairs (migration 7c3e91a4b2d0, "trained groups
    kept by triggers") through the view ``trained_pair_groups``, which says which groups a pair
    falls in. A breakdown over all years reads one row per person and group here instead of
    grouping every pair of every year again. ``dim`` is the breakdown ("total" for the total),
    ``grp`` the group's key as text ('' for pairs with none)."""

    __tablename__ = "trained_groups"

    dim: Mapped[str] = mapped_column(String(12), primary_key=True)
    grp: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[int] = mapped_column(primary_key=True, index=True)
    times: Mapped[int]
    female: Mapped[int]
    minority: Mapped[int]

    __table_args__ = ({"sqlite_with_rowid": False},)
