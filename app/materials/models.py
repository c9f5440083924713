"""Materials, their uploaded versions, and where they are used."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.time import utcnow
from app.extensions import db
from app.planning.models import Activity, ActivitySession
from app.reference.models import TrainingTopic


class Material(db.Model):
    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("training_topics.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    topic: Mapped[TrainingTopic | None] = relationship()
    versions: Mapped[list["MaterialVersion"]] = relationship(
        back_populates="material", order_by="MaterialVersion.version.desc()", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> "MaterialVersion | None":
        return self.versions[0] if self.versions else None


class MaterialVersion(db.Model):
    """One uploaded file; stored under a random name, never the name the uploader gave."""

    __tablename__ = "material_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    material: Mapped[Material] = relationship(back_populates="versions")

    __table_args__ = (db.UniqueConstraint("material_id", "version", name="uq_material_versions_material_version"),)


class ActivityMaterial(db.Model):
    """A material used in an activity, or in one of its sessions."""

    __tablename__ = "activity_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("activity_sessions.id", ondelete="CASCADE"))

    activity: Mapped[Activity] = relationship()
    material: Mapped[Material] = relationship()
    session: Mapped[ActivitySession | None] = relationship()

    __table_args__ = (
        db.UniqueConstraint("activity_id", "material_id", "session_id", name="uq_activity_materials_use"),
    )
