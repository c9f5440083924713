"""Certificate templates, per-activity rules, registers of serials and the certificates issued."""

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Enum, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.extensions import db
from app.people.models import Person
from app.planning.models import Activity
from app.reference.models import Organisation, Signatory


class CertificateTemplate(db.Model):
    """Wording, signer and images of the certificates of one kind of activity (or the default)."""

    __tablename__ = "certificate_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    activity_kind: Mapped[str | None] = mapped_column(String(30), unique=True)  # None: the default template
    title: Mapped[str] = mapped_column(String(120), default="GIẤY CHỨNG NHẬN")
    # "Đã hoàn thành lớp tập huấn" / "Đã tham gia đoàn học tập kinh nghiệm"
    completion_line: Mapped[str] = mapped_column(String(200))
    signatory_id: Mapped[int | None] = mapped_column(ForeignKey("signatories.id"))
    seal_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    min_attendance_percent: Mapped[int] = mapped_column(default=80)
    requires_post_test: Mapped[bool] = mapped_column(default=False)

    signatory: Mapped[Signatory | None] = relationship()


class CertificateRule(db.Model):
    """An activity's own eligibility rule, when it differs from its template's."""

    __tablename__ = "certificate_rules"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    min_attendance_percent: Mapped[int]
    requires_post_test: Mapped[bool] = mapped_column(default=False)


class Register(db.Model):
    """A sổ cấp giấy chứng nhận: serials per issuer and year, gap-free."""

    __tablename__ = "certificate_registers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    year: Mapped[int]
    symbol: Mapped[str] = mapped_column(String(60))  # "GCN-SLĐTBXH"
    last_number: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (db.UniqueConstraint("organisation_id", "year", name="uq_certificate_registers_org_year"),)


class Status(enum.Enum):
    valid = "valid"
    revoked = "revoked"
    replaced = "replaced"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.valid: _l("Còn hiệu lực"),
    Status.revoked: _l("Đã thu hồi"),
    Status.replaced: _l("Đã được thay bằng giấy mới"),
}


def new_code() -> str:
    return secrets.token_urlsafe(18)  # 144 bits: cannot be guessed or enumerated


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("certificate_registers.id"))
    number: Mapped[int]
    serial: Mapped[str] = mapped_column(String(80))  # "0123/GCN-SLĐTBXH"
    code: Mapped[str] = mapped_column(String(40), unique=True, default=new_code)
    status: Mapped[Status] = mapped_column(
        Enum(Status, native_enum=False, length=20, name="certificate_status"), default=Status.valid
    )
    issued_on: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Everything the PDF was drawn from, as it was: the register keeps what was issued.
    data: Mapped[dict] = mapped_column(JSON)
    file_name: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))

    activity: Mapped[Activity] = relationship()
    person: Mapped[Person] = relationship()
    register: Mapped[Register] = relationship()
    replaces: Mapped["Certificate | None"] = relationship(remote_side=[id], foreign_keys=[replaces_id])

    __table_args__ = (
        db.UniqueConstraint("register_id", "number", name="uq_certificates_register_number"),
        # One valid certificate per person and activity; revoked and replaced ones stay on record.
        db.Index(
            "uq_certificates_valid_holder",
            "activity_id",
            "person_id",
            unique=True,
            sqlite_where=db.text("status = 'valid'"),
            postgresql_where=db.text("status = 'valid'"),
        ),
    )
