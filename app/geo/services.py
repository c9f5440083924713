"""Loading, listing and editing administrative units."""

import csv
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import or_, select, union_all

from app.audit import services as audit
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.errors import ValidationError
from app.extensions import db
from app.geo.models import AdminUnit, UnitKind, UnitLevel, unit_successors

DATA_FILE = Path(__file__).parent / "data" / "units_lang_son.csv"
AUDITED_FIELDS = ("code", "name", "kind", "level", "parent_id", "valid_from", "valid_to", "note")


def _parse_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def valid_on(query, day: date):
    """Limit a select() of units to those in force on ``day``."""
    return query.where(
        or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= day),
        or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to >= day),
    )


def find_by_code(code: str, on: date | None = None) -> AdminUnit | None:
    """The unit with this code in force on ``on`` (today by default), else its latest version."""
    versions = list(db.session.scalars(select(AdminUnit).where(AdminUnit.code == code)))
    if not versions:
        return None
    on = on or date.today()
    current = [unit for unit in versions if unit.is_valid_on(on)]
    if current:
        return current[0]
    return max(versions, key=lambda unit: unit.valid_from or date.min)


def load_units(path: Path = DATA_FILE) -> int:
    """Insert the units of the data file that are not there yet; return how many were added.

    Existing rows are left alone so that an admin's corrections survive a reload.
    """
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    existing = {(u.code, u.valid_from): u for u in db.session.scalars(select(AdminUnit))}
    added = 0
    for row in rows:  # the file lists parents before children
        key = (row["code"], _parse_date(row["valid_from"]))
        if key in existing:
            continue
        parent = None
        if row["parent_code"]:
            parent = next(u for (code, _), u in existing.items() if code == row["parent_code"])
        unit = AdminUnit(
            code=row["code"],
            name=nfc(row["name"]),
            kind=UnitKind(row["kind"]),
            level=UnitLevel(row["level"]),
            parent=parent,
            valid_from=key[1],
            valid_to=_parse_date(row["valid_to"]),
            note=nfc(row["note"]) or None,
        )
        db.session.add(unit)
        existing[key] = unit
        added += 1
    db.session.flush()
    _link_successors(rows, existing)
    return added


def _link_successors(rows, units_by_key) -> None:
    """A successor code means the unit with that code in force the day after this one ends."""
    by_code: dict[str, list[AdminUnit]] = {}
    for (code, _), unit in units_by_key.items():
        by_code.setdefault(code, []).append(unit)
    for row in rows:
        unit = units_by_key[(row["code"], _parse_date(row["valid_from"]))]
        if not row["successor_codes"] or unit.valid_to is None or unit.successors:
            continue
        next_day = unit.valid_to + timedelta(days=1)
        for code in row["successor_codes"].split():
            successor = next((u for u in by_code.get(code, []) if u.is_valid_on(next_day)), None)
            if successor is not None:
                unit.successors.append(successor)
    db.session.flush()


def descendant_unit_ids(unit_id: int) -> set[int]:
    """The unit, every unit under it, and the units that took over from any of them.

    Following successors keeps a district officer's reach across a reorganisation: the
    communes of Huyện Lộc Bình became new communes under the province on 01/07/2025, and the
    people registered there since are still the officer's. Predecessors are not followed, so
    the reach never widens back into other districts. (Recursive query; SQLite and PostgreSQL.)
    """
    edges = union_all(
        select(AdminUnit.parent_id.label("source"), AdminUnit.id.label("target")).where(
            AdminUnit.parent_id.is_not(None)
        ),
        select(unit_successors.c.predecessor_id, unit_successors.c.successor_id),
    ).subquery("edges")
    tree = select(AdminUnit.id).where(AdminUnit.id == unit_id).cte("tree", recursive=True)
    # UNION, not UNION ALL: a unit reached twice (two merged communes) is walked once.
    tree = tree.union(select(edges.c.target).join(tree, edges.c.source == tree.c.id))
    return set(db.session.scalars(select(tree.c.id)))


def list_units(
    level: UnitLevel | None = None, parent_id: int | None = None, on: date | None = None, q: str | None = None
):
    """A select() of units, filtered; ordered by level then code."""
    query = select(AdminUnit)
    if level is not None:
        query = query.where(AdminUnit.level == level)
    if parent_id is not None:
        query = query.where(AdminUnit.parent_id == parent_id)
    if on is not None:
        query = valid_on(query, on)
    if q:
        query = query.where(AdminUnit.name.icontains(nfc(q), autoescape=True) | AdminUnit.code.startswith(q.strip()))
    return query.order_by(AdminUnit.level, AdminUnit.code, AdminUnit.valid_from)


def unit_choices(allowed_ids: set[int] | None = None, on: date | None = None) -> list[tuple[int, str]]:
    """(id, label) pairs for pick lists: units in force on ``on`` (today) first, as a tree, then
    the ones that have ended, marked with their end date — old records still point at them."""
    on = on or date.today()
    units = db.session.scalars(select(AdminUnit).order_by(AdminUnit.level, AdminUnit.code)).all()
    children: dict[int | None, list[AdminUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    choices: list[tuple[int, str]] = []

    def walk(parent_id, depth, current: bool):
        for unit in children.get(parent_id, []):
            shown = unit.is_valid_on(on) is current and (allowed_ids is None or unit.id in allowed_ids)
            if shown:
                label = "\u2003" * depth + unit.name
                if unit.valid_to is not None and not current:
                    label += " " + str(_l("(đến %(d)s)", d=unit.valid_to.strftime("%d/%m/%Y")))
                choices.append((unit.id, label))
            walk(unit.id, depth + 1 if shown else depth, current)

    walk(None, 0, current=True)
    walk(None, 0, current=False)
    return choices


def save_unit(unit: AdminUnit | None, data: dict) -> AdminUnit:
    """Create or update a unit from form/API data.

    :raises ValidationError: dates in the wrong order, a parent that would make a cycle,
        or a code already used by a unit starting the same day.
    """
    errors = {}
    if data.get("valid_from") and data.get("valid_to") and data["valid_from"] > data["valid_to"]:
        errors["valid_to"] = _l("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.")
    parent_id = data.get("parent_id")
    if parent_id and db.session.get(AdminUnit, parent_id) is None:
        errors["parent_id"] = _l("Đơn vị cấp trên không tồn tại.")
    elif unit is not None and parent_id and parent_id in descendant_unit_ids(unit.id):
        errors["parent_id"] = _l("Đơn vị cấp trên không được là chính đơn vị này hoặc đơn vị cấp dưới của nó.")
    clash = db.session.scalar(
        select(AdminUnit).where(AdminUnit.code == data["code"], AdminUnit.valid_from == data.get("valid_from"))
    )
    if clash is not None and clash is not unit:
        errors["code"] = _l("Mã này đã được dùng cho đơn vị khác có cùng ngày bắt đầu hiệu lực.")
    if errors:
        raise ValidationError("invalid_unit", _l("Dữ liệu đơn vị hành chính không hợp lệ."), errors)
    values = {
        field: nfc(value) if isinstance(value, str) else value
        for field, value in data.items()
        if field in AUDITED_FIELDS
    }
    return audit.save_audited(unit, AdminUnit, values, AUDITED_FIELDS, "unit")
