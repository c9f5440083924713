"""Questionnaires, their questions, and the answers — kept apart from who answered.

For an anonymous survey, ``Respondent`` records that a person answered (so nobody answers twice)
and ``Response`` holds what was answered with no person id, a random id and the date only (no
time, no order): the two cannot be joined back together. Responses keep coarse groups (gender,
level, minority or not, unit) so that results can be split without naming anyone.
"""

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.extensions import db
from app.planning.models import Activity, Trainer


class Kind(enum.Enum):
    survey = "survey"  # satisfaction
    pre_test = "pre_test"
    post_test = "post_test"

    @property
    def label(self):
        return KIND_LABELS[self]

    @property
    def scored(self) -> bool:
        return self is not Kind.survey


KIND_LABELS = {
    Kind.survey: _l("Khảo sát mức độ hài lòng"),
    Kind.pre_test: _l("Bài kiểm tra đầu khóa"),
    Kind.post_test: _l("Bài kiểm tra cuối khóa"),
}


class QuestionType(enum.Enum):
    likert = "likert"  # 1 (rất không hài lòng) .. 5 (rất hài lòng)
    single = "single"
    multiple = "multiple"
    short_text = "short_text"
    long_text = "long_text"

    @property
    def label(self):
        return TYPE_LABELS[self]


TYPE_LABELS = {
    QuestionType.likert: _l("Thang điểm 1–5"),
    QuestionType.single: _l("Chọn một"),
    QuestionType.multiple: _l("Chọn nhiều"),
    QuestionType.short_text: _l("Trả lời ngắn"),
    QuestionType.long_text: _l("Ý kiến (đoạn văn)"),
}

ASPECT_LABELS = {
    "content": _l("Nội dung"),
    "usefulness": _l("Tính hữu ích"),
    "trainer": _l("Giảng viên"),
    "materials": _l("Tài liệu"),
    "venue": _l("Địa điểm"),
    "logistics": _l("Công tác tổ chức"),
    "knowledge": _l("Kiến thức"),
    "other": _l("Khác"),
}


def new_token() -> str:
    return secrets.token_urlsafe(16)


class Questionnaire(db.Model):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    kind: Mapped[Kind] = mapped_column(Enum(Kind, native_enum=False, length=20, name="questionnaire_kind"))
    title: Mapped[str] = mapped_column(String(300))
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Open from/to (naive UTC); None means no limit on that side.
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    pass_mark: Mapped[int | None]  # percent of the points, for tests
    token: Mapped[str] = mapped_column(String(40), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    activity: Mapped[Activity] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan"
    )

    @property
    def max_score(self) -> int:
        return sum(q.points for q in self.questions if q.scored)


class Question(db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    type: Mapped[QuestionType] = mapped_column(Enum(QuestionType, native_enum=False, length=20))
    text: Mapped[str] = mapped_column(Text)
    aspect: Mapped[str] = mapped_column(String(20), default="other")
    options: Mapped[list] = mapped_column(JSON, default=list)
    # Indexes of the right options (tests); empty for survey questions.
    correct: Mapped[list] = mapped_column(JSON, default=list)
    points: Mapped[int] = mapped_column(default=0)
    required: Mapped[bool] = mapped_column(default=True)
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("trainers.id"))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")
    trainer: Mapped[Trainer | None] = relationship()

    @property
    def scored(self) -> bool:
        return bool(self.correct) and self.points > 0 and self.type in (QuestionType.single, QuestionType.multiple)

    @property
    def aspect_label(self):
        return ASPECT_LABELS.get(self.aspect, self.aspect)


class Respondent(db.Model):
    """That a person answered a questionnaire (never what): one answer per person."""

    __tablename__ = "respondents"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)

    __table_args__ = (db.UniqueConstraint("questionnaire_id", "person_id", name="uq_respondents_questionnaire_person"),)


class Response(db.Model):
    """What was answered. ``person_id`` only for named questionnaires (tests, named surveys)."""

    __tablename__ = "responses"

    # A random id: an increasing number would line anonymous answers up with respondents.
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_token)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    submitted_on: Mapped[date]
    answers: Mapped[dict] = mapped_column(JSON)  # {question id (str): value}
    score: Mapped[int | None]
    passed: Mapped[bool | None]
    # Coarse groups for split results (kept on anonymous answers instead of the person).
    gender: Mapped[str | None] = mapped_column(String(10))
    level: Mapped[str | None] = mapped_column(String(10))
    minority: Mapped[bool | None]
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))

    questionnaire: Mapped[Questionnaire] = relationship()

    # SQLite stores this table in the order of its random key, not in the order answers came.
    __table_args__ = {"sqlite_with_rowid": False}
