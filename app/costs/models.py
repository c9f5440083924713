"""Spending norms (định mức chi): an amount per unit, with its legal basis and the dates it applies.

A norm never changes in place: a new circular or provincial resolution is a new row from its
effective date, and the old row gets an end date. Activities that straddle the change use each
row for the days it covers.
"""

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.extensions import db


class SpendingNorm(db.Model):
    __tablename__ = "spending_norms"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What is paid: lecturer_fee, meal_support, lodging, per_diem, drinking_water, ...
    code: Mapped[str] = mapped_column(String(40), index=True)
    # Which case of it: a lecturer tier, "not_on_payroll/district", a class of place; "" if one case.
    variant: Mapped[str] = mapped_column(String(60), default="")
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))  # "buổi", "người/ngày", ...
    amount: Mapped[int]  # whole đồng
    is_ceiling: Mapped[bool] = mapped_column(default=True)  # "không quá": finance may pay less
    legal_basis: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (db.UniqueConstraint("code", "variant", "valid_from", name="uq_spending_norms_code_variant_from"),)


class Place(enum.Enum):
    """Where an event is held, as the meal-support rules class it (TT 40/2017 Art. 12(4))."""

    city = "city"  # urban district of a centrally-run city
    province = "province"  # provincial city, district, town
    commune = "commune"  # held by a commune

    @property
    def label(self):
        return PLACE_LABELS[self]


PLACE_LABELS = {
    Place.city: _l("Quận thuộc thành phố trực thuộc trung ương"),
    Place.province: _l("Thành phố thuộc tỉnh, huyện, thị xã"),
    Place.commune: _l("Do xã tổ chức"),
}


class Estimate(db.Model):
    """An activity's estimate (dự toán): its lines, where it is held, and any allocation override.

    Its total is kept in ``Activity.estimated_cost``, which the budget figures read.
    """

    __tablename__ = "estimates"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), unique=True)
    place: Mapped[Place] = mapped_column(Enum(Place, native_enum=False, length=20), default=Place.province)
    # Finance may let an estimate exceed the allocation, saying why; kept with the estimate.
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    override_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    activity = relationship("Activity")
    lines: Mapped[list["EstimateLine"]] = relationship(
        back_populates="estimate", order_by="EstimateLine.position", cascade="all, delete-orphan"
    )
    override_by = relationship("User", foreign_keys=[override_by_id])

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


class EstimateLine(db.Model):
    """One line of an estimate: what, how many, at what rate; built from a norm or typed by finance."""

    __tablename__ = "estimate_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    estimate_id: Mapped[int] = mapped_column(ForeignKey("estimates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=100)
    norm_code: Mapped[str | None] = mapped_column(String(40))
    norm_id: Mapped[int | None] = mapped_column(ForeignKey("spending_norms.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int]
    unit_amount: Mapped[int] = mapped_column(BigInteger)  # đồng
    amount: Mapped[int] = mapped_column(BigInteger)  # quantity × unit_amount, stored for sums in SQL

    estimate: Mapped[Estimate] = relationship(back_populates="lines")
    norm: Mapped[SpendingNorm | None] = relationship()


class Advance(db.Model):
    """Money advanced (tạm ứng) to a person for an activity, to be settled with vouchers."""

    __tablename__ = "advances"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), index=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    funding_source_id: Mapped[int] = mapped_column(ForeignKey("funding_sources.id"), index=True)
    payee: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(300))
    amount: Mapped[int] = mapped_column(BigInteger)
    voucher_no: Mapped[str] = mapped_column(String(40))
    voucher_date: Mapped[date]
    # Settlement (thanh toán tạm ứng): the vouchers spent from it are expenditures linked to it;
    # what was left is returned (a negative figure: paid to the person on top of the advance).
    settled_on: Mapped[date | None]
    settlement_voucher_no: Mapped[str | None] = mapped_column(String(40))
    returned: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity = relationship("Activity")
    budget_line = relationship("BudgetLine")
    funding_source = relationship("FundingSource")
    expenditures: Mapped[list["Expenditure"]] = relationship(back_populates="advance")

    @property
    def used(self) -> int:
        return sum(e.amount for e in self.expenditures if e.voided_at is None)

    @property
    def outstanding(self) -> int:
        """Advanced and not yet justified by vouchers nor returned."""
        return 0 if self.settled_on else self.amount - self.used


class Expenditure(db.Model):
    """A payment (chi) with its voucher, against an activity, a budget line and a funding source.

    Never deleted: a mistaken entry is voided with a reason, so the books keep what happened.
    """

    __tablename__ = "expenditures"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), index=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    funding_source_id: Mapped[int] = mapped_column(ForeignKey("funding_sources.id"), index=True)
    advance_id: Mapped[int | None] = mapped_column(ForeignKey("advances.id"), index=True)
    voucher_no: Mapped[str] = mapped_column(String(40))
    voucher_date: Mapped[date]
    description: Mapped[str] = mapped_column(String(300))
    payee: Mapped[str | None] = mapped_column(String(120))
    amount: Mapped[int] = mapped_column(BigInteger)
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity = relationship("Activity")
    budget_line = relationship("BudgetLine")
    funding_source = relationship("FundingSource")
    advance: Mapped[Advance | None] = relationship(back_populates="expenditures")

    __table_args__ = (
        # One live voucher number per funding source: the same voucher typed twice is refused.
        Index(
            "uq_expenditures_source_voucher",
            "funding_source_id",
            "voucher_no",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
    )
