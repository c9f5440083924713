"""Spending norms: loading the defaults, choosing the one in force on a day, changing them.

Every figure is data that finance can change; the CSV only seeds an empty table.
"""

import csv
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import or_, select

from app.audit import services as audit
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.costs.models import SpendingNorm
from app.errors import ValidationError
from app.extensions import db

DATA = Path(__file__).parent / "data" / "spending_norms.csv"


def load_norms() -> int:
    """Add the default norms that are missing (by code, variant and start date); never overwrite edits."""
    added = 0
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            start = date.fromisoformat(row["valid_from"])
            exists = db.session.scalar(
                select(SpendingNorm.id).where(
                    SpendingNorm.code == row["code"],
                    SpendingNorm.variant == row["variant"],
                    SpendingNorm.valid_from == start,
                )
            )
            if exists:
                continue
            db.session.add(
                SpendingNorm(
                    code=row["code"],
                    variant=row["variant"],
                    name=row["name"],
                    unit=row["unit"],
                    amount=int(row["amount"]),
                    is_ceiling=row["is_ceiling"] == "1",
                    legal_basis=row["legal_basis"],
                    valid_from=start,
                    valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                    notes=row["notes"] or None,
                )
            )
            added += 1
    db.session.flush()
    return added


def norm_on(code: str, day: date, variant: str = "") -> SpendingNorm | None:
    """The norm in force on ``day`` (None when no norm covers it)."""
    return db.session.scalar(
        select(SpendingNorm)
        .where(
            SpendingNorm.code == code,
            SpendingNorm.variant == variant,
            SpendingNorm.valid_from <= day,
            or_(SpendingNorm.valid_to.is_(None), SpendingNorm.valid_to >= day),
        )
        .order_by(SpendingNorm.valid_from.desc())
    )


def amount_per_day(code: str, first: date, last: date, variant: str = "") -> list[tuple[date, SpendingNorm | None]]:
    """For each day from ``first`` to ``last``, the norm that applies: an activity that straddles a
    new circular is paid at the old rate before it and the new rate from its first day."""
    days = []
    day = first
    while day <= last:
        days.append((day, norm_on(code, day, variant)))
        day += timedelta(days=1)
    return days


def supersede(norm: SpendingNorm, data: dict, user) -> SpendingNorm:
    """A new level from a date (a new circular or resolution): the current row ends the day before.

    :raises ValidationError: a missing legal basis, an amount that is not a whole positive number of
        đồng, or a start date not after the current row's.
    """
    errors = {}
    amount = data.get("amount")
    if not isinstance(amount, int) or amount < 0:
        errors["amount"] = _l("Nhập số tiền (đồng, số nguyên không âm).")
    basis = nfc(data.get("legal_basis")) or ""
    if not basis:
        errors["legal_basis"] = _l("Ghi căn cứ pháp lý (số, ngày của văn bản).")
    start = data.get("valid_from")
    if not isinstance(start, date) or start <= norm.valid_from:
        errors["valid_from"] = _l(
            "Ngày áp dụng phải sau ngày %(d)s của mức hiện hành.", d=norm.valid_from.strftime("%d/%m/%Y")
        )
    if errors:
        raise ValidationError("invalid_norm", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    new = SpendingNorm(
        code=norm.code,
        variant=norm.variant,
        name=norm.name,
        unit=norm.unit,
        amount=amount,
        is_ceiling=norm.is_ceiling,
        legal_basis=basis,
        valid_from=start,
        valid_to=norm.valid_to if norm.valid_to and norm.valid_to >= start else None,
        notes=nfc(data.get("notes")) or None,
        updated_by_id=getattr(user, "id", None),
    )
    norm.valid_to = start - timedelta(days=1)
    db.session.add(new)
    db.session.flush()
    audit.record(
        "spending_norm.supersede",
        new,
        before={"id": norm.id, "amount": norm.amount, "legal_basis": norm.legal_basis},
        after={"amount": amount, "legal_basis": basis, "valid_from": start.isoformat()},
    )
    return new


def current_norms(day: date) -> list[SpendingNorm]:
    return db.session.scalars(
        select(SpendingNorm)
        .where(SpendingNorm.valid_from <= day, or_(SpendingNorm.valid_to.is_(None), SpendingNorm.valid_to >= day))
        .order_by(SpendingNorm.code, SpendingNorm.variant)
    ).all()


def history(code: str, variant: str) -> list[SpendingNorm]:
    return db.session.scalars(
        select(SpendingNorm)
        .where(SpendingNorm.code == code, SpendingNorm.variant == variant)
        .order_by(SpendingNorm.valid_from)
    ).all()
