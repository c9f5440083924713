"""Yearly plans, activities and their sessions, trainers, venues, study-tour stops and materials."""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, Enum, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.budget.models import BudgetLine, FundingSource
from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.extensions import db
from app.geo.models import AdminUnit
from app.people.models import Person
from app.reference.models import LocalisedName, Organisation, ParticipantCategory, Signatory, TrainingTopic


class ActivityKind(enum.Enum):
    training = "training"
    workshop = "workshop"
    study_tour = "study_tour"
    central_training = "central_training"
    monitoring = "monitoring"

    @property
    def label(self):
        return KIND_LABELS[self]


KIND_LABELS = {
    ActivityKind.training: _l("Lớp tập huấn, bồi dưỡng"),
    ActivityKind.workshop: _l("Hội thảo, hội nghị"),
    ActivityKind.study_tour: _l("Đoàn học tập kinh nghiệm"),
    ActivityKind.central_training: _l("Cử cán bộ dự tập huấn Trung ương"),
    ActivityKind.monitoring: _l("Kiểm tra, giám sát"),
}


class ActivityStatus(enum.Enum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    open = "open"
    in_progress = "in_progress"
    completed = "completed"
    settled = "settled"
    cancelled = "cancelled"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ActivityStatus.draft: _l("Dự thảo"),
    ActivityStatus.submitted: _l("Chờ phê duyệt"),
    ActivityStatus.approved: _l("Đã phê duyệt"),
    ActivityStatus.open: _l("Đang nhận đăng ký"),
    ActivityStatus.in_progress: _l("Đang diễn ra"),
    ActivityStatus.completed: _l("Đã kết thúc"),
    ActivityStatus.settled: _l("Đã quyết toán"),
    ActivityStatus.cancelled: _l("Đã hủy"),
}


class DestinationScope(enum.Enum):
    in_province = "in_province"
    out_of_province = "out_of_province"

    @property
    def label(self):
        return SCOPE_LABELS[self]


SCOPE_LABELS = {DestinationScope.in_province: _l("Trong tỉnh"), DestinationScope.out_of_province: _l("Ngoài tỉnh")}


class MemberRole(enum.Enum):
    leader = "leader"
    member = "member"

    @property
    def label(self):
        return {MemberRole.leader: _l("Trưởng đoàn"), MemberRole.member: _l("Thành viên")}[self]


class Plan(db.Model):
    """A yearly plan (kế hoạch) with its targets."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    number: Mapped[str | None] = mapped_column(String(60))  # "45/KH-SLĐTBXH"
    issued_on: Mapped[date | None]
    title: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    signatory_id: Mapped[int | None] = mapped_column(ForeignKey("signatories.id"))
    target_classes: Mapped[int | None]
    target_trainees: Mapped[int | None]
    target_study_tours: Mapped[int | None]
    target_women_percent: Mapped[int | None]  # whole per cent, e.g. 40

    organisation: Mapped[Organisation | None] = relationship()
    signatory: Mapped[Signatory | None] = relationship()
    activities: Mapped[list["Activity"]] = relationship(back_populates="plan", order_by="Activity.start_date")


class TrainerTier(LocalisedName, db.Model):
    """Lecturer tiers of the training-fee rules (they set the fee in costing); data, not code."""

    __tablename__ = "trainer_tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    sort_order: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)


class Trainer(db.Model):
    """A lecturer or presenter (giảng viên, báo cáo viên)."""

    __tablename__ = "trainers"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(160))  # position or academic title
    workplace: Mapped[str | None] = mapped_column(String(200))
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("trainer_tiers.id"))
    phone: Mapped[str | None] = mapped_column(String(15))
    active: Mapped[bool] = mapped_column(default=True)

    tier: Mapped[TrainerTier | None] = relationship()

    @property
    def label(self) -> str:
        return f"{self.full_name} — {self.title}" if self.title else self.full_name


class Venue(db.Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    capacity: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    unit: Mapped[AdminUnit | None] = relationship()

    @property
    def label(self) -> str:
        return f"{self.name} ({self.capacity} chỗ)" if self.capacity else self.name


activity_topics = Table(
    "activity_topics",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("training_topics.id"), primary_key=True),
)
activity_categories = Table(
    "activity_categories",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("participant_categories.id"), primary_key=True),
)
activity_visited_units = Table(
    "activity_visited_units",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("admin_units.id"), primary_key=True),
)
session_trainers = Table(
    "session_trainers",
    db.metadata,
    Column("session_id", ForeignKey("activity_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("trainer_id", ForeignKey("trainers.id"), primary_key=True),
)


class Activity(db.Model):
    """A training, workshop, study tour, central-training delegation or monitoring visit."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    kind: Mapped[ActivityKind] = mapped_column(Enum(ActivityKind, native_enum=False, length=20), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ActivityStatus] = mapped_column(
        Enum(ActivityStatus, native_enum=False, length=20), default=ActivityStatus.draft, index=True
    )
    organiser_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # The unit the activity concerns (where it is held / whose cadres it trains); None: the province.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    target_levels: Mapped[list] = mapped_column(JSON, default=list)
    start_date: Mapped[date] = mapped_column(index=True)
    end_date: Mapped[date] = mapped_column(index=True)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    venue_text: Mapped[str | None] = mapped_column(String(300))
    destination_scope: Mapped[DestinationScope | None] = mapped_column(
        Enum(DestinationScope, native_enum=False, length=20)
    )
    capacity: Mapped[int]
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    funding_source_id: Mapped[int] = mapped_column(ForeignKey("funding_sources.id"), index=True)
    estimated_cost: Mapped[int | None] = mapped_column(BigInteger)
    # Study tours.
    itinerary: Mapped[str | None] = mapped_column(Text)
    transport: Mapped[str | None] = mapped_column(String(300))
    lodging: Mapped[str | None] = mapped_column(String(300))
    report: Mapped[str | None] = mapped_column(Text)  # lessons learned, after the trip
    # Monitoring visits.
    findings: Mapped[str | None] = mapped_column(Text)
    recommendations: Mapped[str | None] = mapped_column(Text)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    plan: Mapped[Plan | None] = relationship(back_populates="activities")
    organiser_org: Mapped[Organisation | None] = relationship()
    unit: Mapped[AdminUnit | None] = relationship()
    venue: Mapped[Venue | None] = relationship()
    budget_line: Mapped[BudgetLine] = relationship()
    funding_source: Mapped[FundingSource] = relationship()
    topics: Mapped[list[TrainingTopic]] = relationship(secondary=activity_topics)
    categories: Mapped[list[ParticipantCategory]] = relationship(secondary=activity_categories)
    visited_units: Mapped[list[AdminUnit]] = relationship(secondary=activity_visited_units)
    sessions: Mapped[list["ActivitySession"]] = relationship(
        back_populates="activity", order_by="ActivitySession.starts_at", cascade="all, delete-orphan"
    )
    destinations: Mapped[list["Destination"]] = relationship(
        back_populates="activity", order_by="Destination.position", cascade="all, delete-orphan"
    )
    members: Mapped[list["ActivityMember"]] = relationship(back_populates="activity", cascade="all, delete-orphan")
    transitions: Mapped[list["ActivityTransition"]] = relationship(
        back_populates="activity", order_by="ActivityTransition.at", cascade="all, delete-orphan"
    )

    @property
    def is_frozen(self) -> bool:
        return self.status in (ActivityStatus.settled, ActivityStatus.cancelled)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class ActivityTransition(db.Model):
    """One step of an activity's workflow: who moved it, when, why."""

    __tablename__ = "activity_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[ActivityStatus] = mapped_column(Enum(ActivityStatus, native_enum=False, length=20))
    to_status: Mapped[ActivityStatus] = mapped_column(Enum(ActivityStatus, native_enum=False, length=20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)

    activity: Mapped[Activity] = relationship(back_populates="transitions")
    actor = relationship("User")


class ActivitySession(db.Model):
    """A session (buổi) with its own attendance later; times are Vietnam wall-clock time."""

    __tablename__ = "activity_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))

    activity: Mapped[Activity] = relationship(back_populates="sessions")
    venue: Mapped[Venue | None] = relationship()
    trainers: Mapped[list[Trainer]] = relationship(secondary=session_trainers)

    @property
    def effective_venue(self) -> Venue | None:
        return self.venue or self.activity.venue


class Destination(db.Model):
    """A stop of a study tour: where, hosted by whom, when."""

    __tablename__ = "destinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    place: Mapped[str] = mapped_column(String(300))
    host: Mapped[str | None] = mapped_column(String(300))
    in_province: Mapped[bool] = mapped_column(default=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    notes: Mapped[str | None] = mapped_column(Text)

    activity: Mapped[Activity] = relationship(back_populates="destinations")


class ActivityMember(db.Model):
    """A member of a study-tour delegation or a monitoring team, taken from the registry."""

    __tablename__ = "activity_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(Enum(MemberRole, native_enum=False, length=10), default=MemberRole.member)

    activity: Mapped[Activity] = relationship(back_populates="members")
    person: Mapped[Person] = relationship()

    __table_args__ = (db.UniqueConstraint("activity_id", "person_id", name="uq_activity_members_activity_person"),)
