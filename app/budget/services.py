"""Budget structure: loading a year, the tree with its sums, and finance's edits."""

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from app.audit import services as audit
from app.budget.models import Allocation, BudgetLine, FundingSource, LineKind
from app.core.formats import money_vn
from app.core.forms import year_or_none
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.errors import ValidationError
from app.extensions import db

DATA_DIR = Path(__file__).parent / "data"
LINE_FIELDS = ("year", "code", "name", "kind", "parent_id", "sort_order")
SOURCE_FIELDS = ("year", "code", "name", "legal_basis", "amount", "carried_over_from", "deadline")

# Domains that commit or spend money register a callable ``provider(year) -> (by_line, by_source)``,
# two dicts of đồng keyed by id: planning the estimates of its activities (committed), costs
# the expenditures recorded (spent). Budget stays independent of them: they depend on budget.
COMMITMENT_PROVIDERS: list = []
SPENDING_PROVIDERS: list = []


def _summed(providers: list, year: int) -> tuple[dict[int, int], dict[int, int]]:
    by_line: dict[int, int] = {}
    by_source: dict[int, int] = {}
    for provider in providers:
        lines, sources = provider(year)
        for key, amount in lines.items():
            by_line[key] = by_line.get(key, 0) + amount
        for key, amount in sources.items():
            by_source[key] = by_source.get(key, 0) + amount
    return by_line, by_source


def _rows(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return [{k: nfc(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def load_year(year: int = 2023) -> int:
    """Load a year's budget tree, funding sources and allocations from the data files where
    missing (the files describe 2023, the seed plan's year); return how many rows were added."""
    if db.session.scalar(select(func.count(BudgetLine.id)).where(BudgetLine.year == year)):
        return 0
    lines: dict[str, BudgetLine] = {}
    for row in _rows(f"budget_{year}.csv"):
        line = BudgetLine(
            year=year,
            code=row["code"],
            name=row["name"],
            kind=LineKind(row["kind"]),
            parent=lines.get(row["parent_code"]),
            sort_order=int(row["sort_order"]),
        )
        lines[line.code] = line
        db.session.add(line)
    sources: dict[str, FundingSource] = {}
    for row in _rows(f"funding_{year}.csv"):
        source = FundingSource(
            year=year,
            code=row["code"],
            name=row["name"],
            legal_basis=row["legal_basis"],
            amount=int(row["amount"]),
            carried_over_from=int(row["carried_over_from"]) if row["carried_over_from"] else None,
            deadline=date.fromisoformat(row["deadline"]) if row["deadline"] else None,
        )
        sources[source.code] = source
        db.session.add(source)
    allocations = [
        Allocation(budget_line=lines[r["line_code"]], funding_source=sources[r["source_code"]], amount=int(r["amount"]))
        for r in _rows(f"allocations_{year}.csv")
    ]
    db.session.add_all(allocations)
    db.session.flush()
    return len(lines) + len(sources) + len(allocations)


def chosen_year(value) -> int:
    """The year asked for (``?year=``) if it is one, else the latest year with a budget, else this year."""
    if (year := year_or_none(value)) is not None:
        return year
    known = years()
    return known[0] if known else date.today().year


def years() -> list[int]:
    return list(db.session.scalars(select(BudgetLine.year).distinct().order_by(BudgetLine.year.desc())))


def lines_query(year: int | None = None):
    query = select(BudgetLine).order_by(BudgetLine.year.desc(), BudgetLine.code)
    return query.where(BudgetLine.year == year) if year else query


def sources_query(year: int | None = None):
    query = select(FundingSource).order_by(FundingSource.year.desc(), FundingSource.code)
    return query.where(FundingSource.year == year) if year else query


@dataclass
class Figures:
    """Money of a budget line (its descendants included) or of a funding source, in đồng."""

    allocated: int
    committed: int  # estimates of activities submitted onward
    spent: int  # expenditures recorded (voided ones excluded)

    @property
    def available(self) -> int:
        """Not yet committed: what a new estimate may still take."""
        return self.allocated - self.committed

    @property
    def remaining(self) -> int:
        """Not yet spent."""
        return self.allocated - self.spent

    @property
    def disbursement_rate(self) -> float | None:
        return self.spent / self.allocated if self.allocated else None


@dataclass
class LineFigures(Figures):
    line: BudgetLine = None
    depth: int = 0


@dataclass
class SourceFigures(Figures):
    source: FundingSource = None


def line_figures(year: int) -> list[LineFigures]:
    """The year's tree, depth-first, each line with the sums of itself and everything under it."""
    lines = db.session.scalars(select(BudgetLine).where(BudgetLine.year == year)).all()
    own_allocated = dict(
        db.session.execute(
            select(Allocation.budget_line_id, func.sum(Allocation.amount)).group_by(Allocation.budget_line_id)
        ).all()
    )
    own_committed = _summed(COMMITMENT_PROVIDERS, year)[0]
    own_spent = _summed(SPENDING_PROVIDERS, year)[0]
    children: dict[int | None, list[BudgetLine]] = {}
    for line in lines:
        children.setdefault(line.parent_id, []).append(line)
    result: list[LineFigures] = []

    def walk(parent_id, depth) -> tuple[int, int, int]:
        totals = [0, 0, 0]
        for line in sorted(children.get(parent_id, []), key=lambda x: (x.sort_order, x.code)):
            figures = LineFigures(
                int(own_allocated.get(line.id, 0)),
                int(own_committed.get(line.id, 0)),
                int(own_spent.get(line.id, 0)),
                line=line,
                depth=depth,
            )
            result.append(figures)
            below = walk(line.id, depth + 1)
            figures.allocated += below[0]
            figures.committed += below[1]
            figures.spent += below[2]
            totals = [totals[0] + figures.allocated, totals[1] + figures.committed, totals[2] + figures.spent]
        return totals[0], totals[1], totals[2]

    walk(None, 0)
    return result


def source_figures(year: int) -> list[SourceFigures]:
    """Each funding source of the year with the amount allocated to lines, committed and spent."""
    sources = db.session.scalars(sources_query(year)).all()
    allocated = dict(
        db.session.execute(
            select(Allocation.funding_source_id, func.sum(Allocation.amount)).group_by(Allocation.funding_source_id)
        ).all()
    )
    committed = _summed(COMMITMENT_PROVIDERS, year)[1]
    spent = _summed(SPENDING_PROVIDERS, year)[1]
    return [
        SourceFigures(int(allocated.get(s.id, 0)), int(committed.get(s.id, 0)), int(spent.get(s.id, 0)), source=s)
        for s in sources
    ]


@dataclass
class Overrun:
    """A line or source that a new amount would push past its allocation."""

    label: str
    measure: str  # "committed" (estimates) or "spent" (expenditures)
    allocated: int
    taken: int  # already committed or spent, as the measure says
    added: int

    @property
    def excess(self) -> int:
        return self.taken + self.added - self.allocated

    def describe(self) -> str:
        values = {
            "what": self.label,
            "a": money_vn(self.allocated),
            "t": money_vn(self.taken),
            "n": money_vn(self.added),
            "x": money_vn(self.excess),
        }
        if self.measure == "spent":
            return str(_l("%(what)s: được phân bổ %(a)s, đã chi %(t)s, chi thêm %(n)s sẽ vượt %(x)s.", **values))
        return str(_l("%(what)s: được phân bổ %(a)s, đã dự toán %(t)s, thêm %(n)s sẽ vượt %(x)s.", **values))


def overruns(line_id: int, source_id: int, *, line_delta: int, source_delta: int, measure: str) -> list[Overrun]:
    """The budget line (its subtree) and funding source that ``line_delta`` / ``source_delta``
    đồng more of ``measure`` ("committed" or "spent") would push past their allocation.

    Callers pass the change only (the new amount minus what the figures already count), so an
    edited estimate is not counted twice and a reduction is never refused.
    """
    found = []
    line = db.session.get(BudgetLine, line_id)
    if line is not None and line_delta > 0:
        money = next(f for f in line_figures(line.year) if f.line.id == line_id)
        found += _overrun(line.label, money, line_delta, measure)
    source = db.session.get(FundingSource, source_id)
    if source is not None and source_delta > 0:
        money = next(f for f in source_figures(source.year) if f.source.id == source_id)
        found += _overrun(source.label, money, source_delta, measure)
    return found


def _overrun(label: str, money: Figures, delta: int, measure: str) -> list[Overrun]:
    taken = money.spent if measure == "spent" else money.committed
    return [Overrun(label, measure, money.allocated, taken, delta)] if taken + delta > money.allocated else []


def save_line(line: BudgetLine | None, data: dict) -> BudgetLine:
    """Create or update a budget line.

    :raises ValidationError: a code used twice in a year, or a parent of another year.
    """
    errors = {}
    clash = db.session.scalar(
        select(BudgetLine).where(BudgetLine.year == data["year"], BudgetLine.code == data["code"])
    )
    if clash is not None and clash is not line:
        errors["code"] = _l("Mã này đã có trong năm %(y)s.", y=data["year"])
    parent = db.session.get(BudgetLine, data["parent_id"]) if data.get("parent_id") else None
    if data.get("parent_id") and (parent is None or parent.year != data["year"]):
        errors["parent_id"] = _l("Dòng cấp trên phải là một dòng của cùng năm.")
    ancestor = parent
    while ancestor is not None and line is not None:
        if ancestor.id == line.id:
            errors["parent_id"] = _l("Dòng cấp trên không được là chính dòng này hoặc dòng cấp dưới của nó.")
            break
        ancestor = ancestor.parent
    if line is not None and line.year != data["year"] and (line.children or line.allocations):
        errors["year"] = _l("Dòng đã có dòng cấp dưới hoặc phân bổ: không đổi năm được.")
    if errors:
        raise ValidationError("invalid_budget_line", _l("Dòng ngân sách không hợp lệ."), errors)
    return audit.save_audited(line, BudgetLine, data, LINE_FIELDS, "budget_line")


def save_source(source: FundingSource | None, data: dict) -> FundingSource:
    """Create or update a funding source.

    :raises ValidationError: a code used twice in a year, a negative amount, a carry-over from
        a year that is not earlier.
    """
    errors = {}
    clash = db.session.scalar(
        select(FundingSource).where(FundingSource.year == data["year"], FundingSource.code == data["code"])
    )
    if clash is not None and clash is not source:
        errors["code"] = _l("Mã này đã có trong năm %(y)s.", y=data["year"])
    if data["amount"] < 0:
        errors["amount"] = _l("Số tiền không được âm.")
    if data.get("carried_over_from") and data["carried_over_from"] >= data["year"]:
        errors["carried_over_from"] = _l("Năm chuyển nguồn phải trước năm sử dụng.")
    if source is not None and "amount" not in errors:
        allocated = sum(a.amount for a in source.allocations)
        if data["amount"] < allocated:
            errors["amount"] = _l(
                "Số tiền không được nhỏ hơn số đã phân bổ (%(a)s đ).", a=f"{allocated:,}".replace(",", ".")
            )
    if errors:
        raise ValidationError("invalid_funding_source", _l("Nguồn kinh phí không hợp lệ."), errors)
    return audit.save_audited(source, FundingSource, data, SOURCE_FIELDS, "funding_source")


def set_allocation(line_id: int, source_id: int, amount: int) -> Allocation:
    """Set how much a source gives a line (0 removes nothing: it records a zero allocation).

    :raises ValidationError: line and source of different years, a negative amount, or a total
        above the source's amount.
    """
    line, source = db.session.get(BudgetLine, line_id), db.session.get(FundingSource, source_id)
    errors = {}
    if line is None:
        errors["budget_line_id"] = _l("Dòng ngân sách không tồn tại.")
    if source is None:
        errors["funding_source_id"] = _l("Nguồn kinh phí không tồn tại.")
    if line is not None and source is not None and line.year != source.year:
        errors["funding_source_id"] = _l("Nguồn kinh phí và dòng ngân sách phải cùng năm.")
    if amount < 0:
        errors["amount"] = _l("Số tiền không được âm.")
    if errors:
        raise ValidationError("invalid_allocation", _l("Phân bổ không hợp lệ."), errors)
    allocation = db.session.scalar(
        select(Allocation).where(Allocation.budget_line_id == line_id, Allocation.funding_source_id == source_id)
    )
    others = db.session.scalar(
        select(func.coalesce(func.sum(Allocation.amount), 0)).where(
            Allocation.funding_source_id == source_id, Allocation.id != (allocation.id if allocation else -1)
        )
    )
    if others + amount > source.amount:
        message = _l(
            "Tổng phân bổ (%(t)s đ) vượt số tiền của nguồn (%(s)s đ).",
            t=f"{others + amount:,}".replace(",", "."),
            s=f"{source.amount:,}".replace(",", "."),
        )
        raise ValidationError("over_allocated", message, {"amount": message})
    before = {"amount": allocation.amount} if allocation else None
    if allocation is None:
        allocation = Allocation(budget_line_id=line_id, funding_source_id=source_id, amount=amount)
        db.session.add(allocation)
    allocation.amount = amount
    db.session.flush()
    audit.record(
        "allocation.set",
        allocation,
        before=before,
        after={"amount": amount, "budget_line_id": line_id, "funding_source_id": source_id},
    )
    return allocation
