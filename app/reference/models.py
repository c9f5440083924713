"""Reference tables an admin edits; names and titles change, so they live here, not in code."""

from datetime import date

from flask_babel import get_locale
from sqlalchemy import ForeignKey, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class LocalisedName:
    """Reference rows carry a Vietnamese name and an optional English one for the English UI."""

    name: Mapped[str]
    name_en: Mapped[str | None]

    @property
    def label(self) -> str:
        locale = get_locale()
        if locale is not None and locale.language == "en" and self.name_en:
            return self.name_en
        return self.name


class Ethnicity(LocalisedName, db.Model):
    """One of the 54 ethnic groups; ``code`` is in ``code_system`` (GSO QĐ 121-TCTK by default)."""

    __tablename__ = "ethnicities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    code_system: Mapped[str] = mapped_column(String(40), default="QD121-TCTK-1979")
    code_2008: Mapped[str | None] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str | None] = mapped_column(String(60))
    is_minority: Mapped[bool] = mapped_column(default=True)
    # Groups common in the province come first in pick lists (Nùng, Tày, Kinh, Dao).
    sort_order: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)


class ParticipantCategory(LocalisedName, db.Model):
    """Who a participant is for the programme (village cadre, prestigious person, ...)."""

    __tablename__ = "participant_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str | None] = mapped_column(String(160))
    sort_order: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)
    # Paid a salary from the state budget (cán bộ, công chức): meal support for learners is only
    # for those who are not (TT 40/2017 Art. 12(4)). Data the department can correct.
    on_state_payroll: Mapped[bool] = mapped_column(default=False, server_default=sa_false())


class TrainingTopic(LocalisedName, db.Model):
    """A training topic (chuyên đề) from the plan."""

    __tablename__ = "training_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)


class Organisation(db.Model):
    """An agency (issuing body of letters and certificates) with its parent body and validity."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(40))  # used in document symbols, e.g. SLĐTBXH
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    place_name: Mapped[str | None] = mapped_column(String(80))  # "Lạng Sơn" in the date line
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    parent: Mapped["Organisation | None"] = relationship(remote_side=[id])

    @property
    def label(self) -> str:
        return self.name


class Signatory(db.Model):
    """Who signs for an organisation, with the authority line ('KT. GIÁM ĐỐC') and title."""

    __tablename__ = "signatories"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    authority_line: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    organisation: Mapped[Organisation] = relationship()

    @property
    def label(self) -> str:
        return f"{self.full_name} — {self.title}"
