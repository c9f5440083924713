"""Budget lines (programme → project → sub-project → content), funding sources and allocations."""

import enum
from datetime import date

from sqlalchemy import BigInteger, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.i18n import lazy_gettext as _l
from app.extensions import db


class LineKind(enum.Enum):
    programme = "programme"
    project = "project"
    subproject = "subproject"
    content = "content"

    @property
    def label(self):
        return LINE_KIND_LABELS[self]


LINE_KIND_LABELS = {
    LineKind.programme: _l("Chương trình"),
    LineKind.project: _l("Dự án"),
    LineKind.subproject: _l("Tiểu dự án"),
    LineKind.content: _l("Nội dung"),
}


class BudgetLine(db.Model):
    """One node of a year's budget tree; codes are per year so each year keeps its own tree."""

    __tablename__ = "budget_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[LineKind] = mapped_column(Enum(LineKind, native_enum=False, length=20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    sort_order: Mapped[int] = mapped_column(default=100)

    parent: Mapped["BudgetLine | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["BudgetLine"]] = relationship(back_populates="parent", order_by="BudgetLine.sort_order")
    allocations: Mapped[list["Allocation"]] = relationship(back_populates="budget_line")

    __table_args__ = (db.UniqueConstraint("year", "code", name="uq_budget_lines_year_code"),)

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


class FundingSource(db.Model):
    """Money for a year under one legal basis; carried-over money is its own source, settled apart."""

    __tablename__ = "funding_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # đồng
    carried_over_from: Mapped[int | None]  # the year the money was first allocated
    deadline: Mapped[date | None]  # last day the money may be spent

    allocations: Mapped[list["Allocation"]] = relationship(back_populates="funding_source")

    __table_args__ = (db.UniqueConstraint("year", "code", name="uq_funding_sources_year_code"),)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.year})"


class Allocation(db.Model):
    """The amount a funding source gives a budget line."""

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    funding_source_id: Mapped[int] = mapped_column(ForeignKey("funding_sources.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    budget_line: Mapped[BudgetLine] = relationship(back_populates="allocations")
    funding_source: Mapped[FundingSource] = relationship(back_populates="allocations")

    __table_args__ = (db.UniqueConstraint("budget_line_id", "funding_source_id", name="uq_allocations_line_source"),)
