"""Spending norms (định mức chi): an amount per unit, with its legal basis and the dates it applies.

A norm never changes in place: a new circular or provincial resolution is a new row from its
effective date, and the old row gets an end date. Activities that straddle the change use each
row for the days it covers.
"""

from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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
