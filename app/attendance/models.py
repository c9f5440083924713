"""Attendance rows, one per person and session, and the log of refused check-ins."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.extensions import db
from app.people.models import Person
from app.planning.models import ActivitySession


class Method(enum.Enum):
    self_scan = "self_scan"  # the participant scanned the session's rotating QR
    personal_qr = "personal_qr"  # an organiser scanned the participant's own QR
    manual = "manual"  # an organiser marked the person present, with a reason
    paper = "paper"  # entered afterwards from the signed paper sheet
    walk_in = "walk_in"  # a walk-in the organiser approved

    @property
    def label(self):
        return METHOD_LABELS[self]


METHOD_LABELS = {
    Method.self_scan: _l("Tự quét mã của buổi"),
    Method.personal_qr: _l("Quét mã cá nhân"),
    Method.manual: _l("Ban tổ chức đánh dấu"),
    Method.paper: _l("Theo danh sách ký giấy"),
    Method.walk_in: _l("Người đến trực tiếp (đã duyệt)"),
}

FLAG_LABELS = {
    "shared_device": _l("Một thiết bị điểm danh cho nhiều người"),
    "long_after_start": _l("Điểm danh rất muộn so với giờ bắt đầu"),
}


class Attendance(db.Model):
    """A person present at a session. The unique key is the last guard against counting twice."""

    __tablename__ = "attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("activity_sessions.id"))  # indexed by the unique key
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id"))
    # When the person arrived (for an offline scan: when it was scanned), naive UTC.
    checked_in_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[Method] = mapped_column(Enum(Method, native_enum=False, length=20, name="attendance_method"))
    late: Mapped[bool] = mapped_column(default=False)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    # The participant's remembered phone, or the organiser's scanner.
    device_id: Mapped[str | None] = mapped_column(String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The client's id for this scan: a retry with the same nonce is the same scan.
    nonce: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)

    session: Mapped[ActivitySession] = relationship()
    person: Mapped[Person] = relationship()

    __table_args__ = (
        db.UniqueConstraint("session_id", "person_id", name="uq_attendances_session_person"),
        db.UniqueConstraint("session_id", "nonce", name="uq_attendances_session_nonce"),
        db.Index("ix_attendances_session_device", "session_id", "device_id"),
    )

    @property
    def flag_labels(self) -> list:
        return [FLAG_LABELS.get(flag, flag) for flag in self.flags or []]


class Refusal(db.Model):
    """A check-in that was refused, kept so organisers see attempts (forged codes, absent people)."""

    __tablename__ = "checkin_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("activity_sessions.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    code: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    device_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person | None] = relationship()
