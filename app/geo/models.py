"""Administrative units with validity dates, parents and successors."""

import enum
from datetime import date

from sqlalchemy import Column, Enum, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.i18n import lazy_gettext as _l
from app.extensions import db


class UnitLevel(enum.Enum):
    province = "province"
    district = "district"
    commune = "commune"
    village = "village"

    @property
    def label(self):
        return LEVEL_LABELS[self]


LEVEL_LABELS = {
    UnitLevel.province: _l("Cấp tỉnh"),
    UnitLevel.district: _l("Cấp huyện"),
    UnitLevel.commune: _l("Cấp xã"),
    UnitLevel.village: _l("Cấp thôn"),
}


class UnitKind(enum.Enum):
    tinh = "tinh"
    huyen = "huyen"
    thanh_pho = "thanh_pho"
    thi_xa = "thi_xa"
    xa = "xa"
    phuong = "phuong"
    thi_tran = "thi_tran"
    thon = "thon"

    @property
    def label(self):
        return KIND_LABELS[self]


KIND_LABELS = {
    UnitKind.tinh: _l("Tỉnh"),
    UnitKind.huyen: _l("Huyện"),
    UnitKind.thanh_pho: _l("Thành phố"),
    UnitKind.thi_xa: _l("Thị xã"),
    UnitKind.xa: _l("Xã"),
    UnitKind.phuong: _l("Phường"),
    UnitKind.thi_tran: _l("Thị trấn"),
    UnitKind.thon: _l("Thôn, bản, khối phố"),
}

unit_successors = Table(
    "unit_successors",
    db.metadata,
    Column("predecessor_id", ForeignKey("admin_units.id", ondelete="CASCADE"), primary_key=True),
    Column("successor_id", ForeignKey("admin_units.id", ondelete="CASCADE"), primary_key=True),
)


class AdminUnit(db.Model):
    """A unit as it existed between two dates; units are never renamed in place."""

    __tablename__ = "admin_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Codes are reused: a 2025 commune took the code of one it absorbed, so a code is
    # unique only together with the date the unit starts.
    code: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[UnitKind] = mapped_column(Enum(UnitKind, native_enum=False, length=20))
    level: Mapped[UnitLevel] = mapped_column(Enum(UnitLevel, native_enum=False, length=20), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (db.UniqueConstraint("code", "valid_from", name="uq_admin_units_code_valid_from"),)

    parent: Mapped["AdminUnit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["AdminUnit"]] = relationship(back_populates="parent")
    successors: Mapped[list["AdminUnit"]] = relationship(
        secondary=unit_successors,
        primaryjoin=id == unit_successors.c.predecessor_id,
        secondaryjoin=id == unit_successors.c.successor_id,
        back_populates="predecessors",
    )
    predecessors: Mapped[list["AdminUnit"]] = relationship(
        secondary=unit_successors,
        primaryjoin=id == unit_successors.c.successor_id,
        secondaryjoin=id == unit_successors.c.predecessor_id,
        back_populates="successors",
    )

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def full_name(self) -> str:
        """Name with its parent for lists that mix districts: 'Xã Mẫu Sơn (Huyện Lộc Bình)'."""
        if self.parent is not None and self.parent.level is not UnitLevel.province:
            return f"{self.name} ({self.parent.name})"
        return self.name

    def __repr__(self):
        return f"<AdminUnit {self.code} {self.name}>"
