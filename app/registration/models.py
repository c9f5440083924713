"""Enrolments and seat quotas."""

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.extensions import db
from app.geo.models import AdminUnit
from app.people.models import Person
from app.planning.models import Activity
from app.reference.models import ParticipantCategory


class EnrolmentStatus(enum.Enum):
    registered = "registered"
    waitlisted = "waitlisted"
    cancelled = "cancelled"

    @property
    def label(self):
        return ENROLMENT_LABELS[self]


ENROLMENT_LABELS = {
    EnrolmentStatus.registered: _l("Đã đăng ký"),
    EnrolmentStatus.waitlisted: _l("Danh sách chờ"),
    EnrolmentStatus.cancelled: _l("Đã hủy"),
}


def new_qr_token() -> str:
    return secrets.token_urlsafe(18)


class Enrolment(db.Model):
    """A person's place in an activity: one row per person and activity, kept when cancelled."""

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(Enum(EnrolmentStatus, native_enum=False, length=20), index=True)
    # Order on the waiting list (earlier first); kept after promotion for the record.
    position: Mapped[int | None]
    # The person's unit when enrolled: quotas and historical reports count by it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("participant_categories.id"))
    source: Mapped[str] = mapped_column(String(20), default="organiser")
    # The personal QR code carries this unguessable token, never the row id.
    qr_token: Mapped[str] = mapped_column(String(40), unique=True, default=new_qr_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id"))

    activity: Mapped[Activity] = relationship()
    person: Mapped[Person] = relationship()
    unit: Mapped[AdminUnit] = relationship()
    category: Mapped[ParticipantCategory | None] = relationship()

    __table_args__ = (
        db.UniqueConstraint("activity_id", "person_id", name="uq_enrolments_activity_person"),
        db.Index("ix_enrolments_activity_status", "activity_id", "status"),
    )

    @property
    def qr_payload(self) -> str:
        """What the personal QR code encodes: versioned, so scanners can tell formats apart."""
        return f"DA7E1:{self.qr_token}"


class Quota(db.Model):
    """Seats of an activity allocated to a unit (and everything under it), optionally per category."""

    __tablename__ = "quotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("participant_categories.id"))
    seats: Mapped[int]

    activity: Mapped[Activity] = relationship()
    unit: Mapped[AdminUnit] = relationship()
    category: Mapped[ParticipantCategory | None] = relationship()

    __table_args__ = (
        db.UniqueConstraint("activity_id", "unit_id", "category_id", name="uq_quotas_activity_unit_category"),
    )


class SelfRegistrationLink(db.Model):
    """Whether an activity takes requests through a public link; a new nonce voids old links."""

    __tablename__ = "self_registration_links"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    nonce: Mapped[str] = mapped_column(String(40), default=new_qr_token)


class RequestStatus(enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class RegistrationRequest(db.Model):
    """What a person sent through the public link, waiting for an organiser's decision."""

    __tablename__ = "registration_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    matched_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    status: Mapped[RequestStatus] = mapped_column(
        Enum(RequestStatus, native_enum=False, length=20), default=RequestStatus.pending, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id"))
    # A walk-in asking at the door of this session: approval also checks them in.
    walk_in_session_id: Mapped[int | None] = mapped_column(ForeignKey("activity_sessions.id", ondelete="SET NULL"))
    walk_in_at: Mapped[datetime | None]

    activity: Mapped[Activity] = relationship()
    matched_person: Mapped[Person | None] = relationship()

    @property
    def unit(self) -> AdminUnit | None:
        """The unit the person named in the form (requests keep plain data, not a relation)."""
        unit_id = (self.data or {}).get("unit_id")
        return db.session.get(AdminUnit, unit_id) if unit_id else None
