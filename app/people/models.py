"""A person in the registry: identity, contact, where and what they work as."""

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.i18n import lazy_gettext as _l
from app.core.text import fold, mask_id_number, name_sort_key, split_name
from app.core.time import utcnow
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.reference.models import Ethnicity, ParticipantCategory


class Gender(enum.Enum):
    female = "female"
    male = "male"

    @property
    def label(self):
        return GENDER_LABELS[self]


GENDER_LABELS = {Gender.female: _l("Nữ"), Gender.male: _l("Nam")}


class Person(db.Model):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(100))
    # Derived from full_name on every change: accent-free search text and Vietnamese sort key.
    search_name: Mapped[str] = mapped_column(String(100), index=True)
    sort_key: Mapped[str] = mapped_column(String(400), index=True)
    gender: Mapped[Gender] = mapped_column(Enum(Gender, native_enum=False, length=10))
    birth_date: Mapped[date | None]
    birth_year: Mapped[int | None]
    ethnicity_id: Mapped[int | None] = mapped_column(ForeignKey("ethnicities.id"), index=True)
    # Unique where present (NULLs do not collide on SQLite or PostgreSQL).
    id_number: Mapped[str | None] = mapped_column(String(12), unique=True)
    phone: Mapped[str | None] = mapped_column(String(15), index=True)
    level: Mapped[UnitLevel] = mapped_column(Enum(UnitLevel, native_enum=False, length=20))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("participant_categories.id"), index=True)
    position: Mapped[str | None] = mapped_column(String(120))
    workplace: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A record found to be the same person as another is merged into it, never deleted,
    # so that history (and anything that pointed at it) can still be traced.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    # Set when the person's identity was erased at their request (app/privacy): the row stays for
    # the figures, attendance and certificates it carries, under a pseudonym. Never cleared.
    anonymised_at: Mapped[datetime | None]

    ethnicity: Mapped[Ethnicity | None] = relationship()
    category: Mapped[ParticipantCategory | None] = relationship()
    unit: Mapped[AdminUnit] = relationship()
    merged_into: Mapped["Person | None"] = relationship(remote_side=[id])

    __table_args__ = (db.Index("ix_people_unit_sort", "unit_id", "sort_key"),)

    @validates("full_name")
    def _derive_name_keys(self, key, value):
        self.search_name = fold(value)
        self.sort_key = name_sort_key(value)
        return value

    @property
    def given_name(self) -> str:
        return split_name(self.full_name)[1]

    @property
    def year_of_birth(self) -> int | None:
        return self.birth_date.year if self.birth_date else self.birth_year

    @property
    def masked_id_number(self) -> str | None:
        return mask_id_number(self.id_number)
