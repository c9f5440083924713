"""Building questionnaires, answering them once, scoring tests.

Who may answer: people who attended at least one session of the activity, or who are members
of its delegation (study tours and monitoring visits). An answer is one transaction: the
``Respondent`` row (its unique key stops a second answer, also under concurrency) and the
``Response``. Anonymous surveys store no person on the response and are never audit-logged
(an audit entry would link the two).
"""

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app.attendance.models import Attendance
from app.audit import services as audit
from app.core.formats import VIETNAM
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.core.time import utcnow
from app.errors import ConflictError, DomainError, ValidationError
from app.evaluations.models import Kind, Question, Questionnaire, QuestionType, Respondent, Response
from app.extensions import db
from app.people.identity import typed_identity
from app.people.models import Person
from app.planning.models import Activity, ActivityMember, ActivitySession, ActivityStatus

DATA = Path(__file__).parent / "data"
TEMPLATES = {"training": "survey_training.json", "study_tour": "survey_study_tour.json"}
TEXT_LIMIT = 2000
ASPECTS = ("content", "usefulness", "trainer", "materials", "venue", "logistics", "knowledge", "other")


def now() -> datetime:
    """Naive UTC now; tests freeze time here."""
    return utcnow()


def _check_editable(activity: Activity) -> None:
    if activity.status in (ActivityStatus.settled, ActivityStatus.cancelled):
        raise ConflictError("activity_frozen", _l("Hoạt động đã quyết toán hoặc đã hủy: không sửa được."))


def _has_answers(questionnaire: Questionnaire) -> bool:
    return bool(db.session.scalar(select(exists().where(Respondent.questionnaire_id == questionnaire.id))))


def _check_questions_editable(questionnaire: Questionnaire) -> None:
    _check_editable(questionnaire.activity)
    if _has_answers(questionnaire):
        raise ConflictError(
            "has_answers", _l("Đã có người trả lời: không sửa câu hỏi được nữa (kết quả sẽ không so sánh được).")
        )


# -- building ----------------------------------------------------------------------------------


def _trainers(activity: Activity) -> list:
    seen = {}
    for session in sorted(activity.sessions, key=lambda s: s.starts_at):
        for trainer in session.trainers:
            seen.setdefault(trainer.id, trainer)
    return list(seen.values())


def from_template(activity: Activity, template: str, user) -> Questionnaire:
    """A ready survey in one click: the course or study-tour template, a question per trainer."""
    _check_editable(activity)
    if template not in TEMPLATES:
        raise ValidationError("unknown_template", _l("Không có mẫu phiếu này."))
    spec = json.loads((DATA / TEMPLATES[template]).read_text(encoding="utf-8"))
    questionnaire = Questionnaire(
        activity=activity, kind=Kind.survey, title=spec["title"], anonymous=True, created_by_id=user.id
    )
    position = 0
    for item in spec["questions"]:
        trainers = _trainers(activity) if item.get("per_trainer") else [None]
        for trainer in trainers:
            if item.get("per_trainer") and trainer is None:
                continue
            position += 1
            questionnaire.questions.append(
                Question(
                    position=position,
                    type=QuestionType(item["type"]),
                    text=item["text"].replace("{trainer}", trainer.full_name if trainer else ""),
                    aspect=item.get("aspect", "other"),
                    options=item.get("options", []),
                    correct=[],
                    points=0,
                    required=item.get("required", True),
                    trainer_id=trainer.id if trainer else None,
                )
            )
    db.session.add(questionnaire)
    db.session.flush()
    audit.record("questionnaire.create", questionnaire, after={"activity_id": activity.id, "template": template})
    return questionnaire


def create(activity: Activity, data: dict, user) -> Questionnaire:
    """An empty questionnaire (a test or a survey of one's own) to add questions to."""
    _check_editable(activity)
    kind = data.get("kind")
    errors = {}
    if kind not in {k.value for k in Kind}:
        errors["kind"] = _l("Chọn loại phiếu.")
    title = nfc(data.get("title")) or ""
    if not title or len(title) > 300:
        errors["title"] = _l("Nhập tên phiếu (tối đa 300 ký tự).")
    pass_mark = data.get("pass_mark")
    if pass_mark is not None and not 0 <= pass_mark <= 100:
        errors["pass_mark"] = _l("Điểm đạt là tỷ lệ phần trăm từ 0 đến 100.")
    if errors:
        raise ValidationError("invalid_questionnaire", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    kind = Kind(kind)
    if kind is not Kind.survey and data.get("anonymous"):
        message = _l("Bài kiểm tra ghi tên người làm để ghép đầu khóa với cuối khóa.")
        raise ValidationError("invalid_questionnaire", message, {"anonymous": message})
    questionnaire = Questionnaire(
        activity=activity,
        kind=kind,
        title=title,
        anonymous=bool(data.get("anonymous")) and kind is Kind.survey,
        pass_mark=pass_mark if kind.scored else None,
        created_by_id=user.id,
    )
    db.session.add(questionnaire)
    db.session.flush()
    audit.record("questionnaire.create", questionnaire, after={"activity_id": activity.id, "kind": kind.value})
    return questionnaire


def copy_as_post_test(pre: Questionnaire, user) -> Questionnaire:
    """The post-test asks the pre-test's questions again, so the gain measures learning."""
    if pre.kind is not Kind.pre_test:
        raise ValidationError("not_pre_test", _l("Chỉ sao chép được từ bài kiểm tra đầu khóa."))
    post = create(
        pre.activity,
        {"kind": "post_test", "title": pre.title.replace("đầu khóa", "cuối khóa"), "pass_mark": pre.pass_mark},
        user,
    )
    for question in pre.questions:
        post.questions.append(
            Question(
                position=question.position,
                type=question.type,
                text=question.text,
                aspect=question.aspect,
                options=list(question.options),
                correct=list(question.correct),
                points=question.points,
                required=question.required,
            )
        )
    db.session.flush()
    return post


def _options(raw: str | None) -> list[str]:
    # Split first: nfc() also folds runs of whitespace, newlines included.
    return [nfc(line) for line in (raw or "").splitlines() if nfc(line)]


def add_question(questionnaire: Questionnaire, data: dict) -> Question:
    """Add a question. Options come one per line; right answers as their numbers (1, 3)."""
    _check_questions_editable(questionnaire)
    errors = {}
    try:
        kind = QuestionType(data.get("type"))
    except ValueError:
        kind = None
        errors["type"] = _l("Chọn loại câu hỏi.")
    text = nfc(data.get("text")) or ""
    if not text or len(text) > TEXT_LIMIT:
        errors["text"] = _l("Nhập nội dung câu hỏi (tối đa %(n)s ký tự).", n=TEXT_LIMIT)
    options = _options(data.get("options"))
    if kind in (QuestionType.single, QuestionType.multiple) and len(options) < 2:
        errors["options"] = _l("Câu hỏi lựa chọn cần ít nhất hai phương án, mỗi dòng một phương án.")
    correct = []
    for token in (data.get("correct") or "").replace(";", ",").split(","):
        token = token.strip()
        if not token:
            continue
        if not token.isdigit() or not 1 <= int(token) <= len(options):
            errors["correct"] = _l("Đáp án đúng là số thứ tự phương án, từ 1 đến %(n)s.", n=len(options) or 1)
            break
        correct.append(int(token) - 1)
    points = data.get("points") or 0
    if questionnaire.kind.scored and kind in (QuestionType.single, QuestionType.multiple):
        if not correct:
            errors.setdefault("correct", _l("Bài kiểm tra cần đáp án đúng cho câu hỏi này."))
        if kind is QuestionType.single and len(correct) > 1:
            errors["correct"] = _l("Câu chọn một chỉ có một đáp án đúng.")
        if not 1 <= points <= 100:
            errors["points"] = _l("Điểm của câu hỏi từ 1 đến 100.")
    else:
        correct, points = [], 0
    aspect = (
        data.get("aspect") if data.get("aspect") in ASPECTS else ("knowledge" if questionnaire.kind.scored else "other")
    )
    if errors:
        raise ValidationError("invalid_question", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    question = Question(
        questionnaire=questionnaire,
        position=len(questionnaire.questions) + 1,
        type=kind,
        text=text,
        aspect=aspect,
        options=options if kind in (QuestionType.single, QuestionType.multiple) else [],
        correct=correct,
        points=points,
        required=bool(data.get("required", True)),
        trainer_id=data.get("trainer_id"),
    )
    db.session.add(question)
    db.session.flush()
    audit.record("question.create", question, after={"questionnaire_id": questionnaire.id, "text": text[:200]})
    return question


def delete_question(question: Question) -> None:
    questionnaire = question.questionnaire
    _check_questions_editable(questionnaire)
    audit.record("question.delete", question, before={"text": question.text[:200]})
    questionnaire.questions.remove(question)
    for position, remaining in enumerate(questionnaire.questions, start=1):
        remaining.position = position
    db.session.flush()


def set_window(questionnaire: Questionnaire, opens_at: datetime | None, closes_at: datetime | None) -> None:
    """When answers are taken (naive Vietnam wall-clock in, stored as naive UTC)."""
    _check_editable(questionnaire.activity)
    if opens_at and closes_at and closes_at <= opens_at:
        message = _l("Thời điểm đóng phải sau thời điểm mở.")
        raise ValidationError("invalid_window", message, {"closes_at": message})
    before = {"opens_at": str(questionnaire.opens_at), "closes_at": str(questionnaire.closes_at)}
    questionnaire.opens_at, questionnaire.closes_at = _utc(opens_at), _utc(closes_at)
    db.session.flush()
    audit.record(
        "questionnaire.window",
        questionnaire,
        before=before,
        after={"opens_at": str(questionnaire.opens_at), "closes_at": str(questionnaire.closes_at)},
    )


def _utc(wall_clock: datetime | None) -> datetime | None:
    from datetime import UTC

    if wall_clock is None:
        return None
    return wall_clock.replace(tzinfo=VIETNAM).astimezone(UTC).replace(tzinfo=None)


# -- who may answer ---------------------------------------------------------------------------


def attended(activity: Activity, person: Person) -> bool:
    came = (
        select(Attendance.id)
        .join(ActivitySession, ActivitySession.id == Attendance.session_id)
        .where(ActivitySession.activity_id == activity.id, Attendance.person_id == person.id)
    )
    member = select(ActivityMember.id).where(
        ActivityMember.activity_id == activity.id, ActivityMember.person_id == person.id
    )
    return bool(db.session.scalar(select(exists(came))) or db.session.scalar(select(exists(member))))


def eligible_people(activity: Activity) -> list[int]:
    came = (
        select(Attendance.person_id)
        .join(ActivitySession, ActivitySession.id == Attendance.session_id)
        .where(ActivitySession.activity_id == activity.id)
    )
    members = select(ActivityMember.person_id).where(ActivityMember.activity_id == activity.id)
    return sorted(set(db.session.scalars(came)) | set(db.session.scalars(members)))


def identify(questionnaire: Questionnaire, phone: str | None, id_number: str | None) -> Person:
    """The attendee who typed this phone number or citizen ID.

    :raises DomainError: ``identity_required``, ``unknown_person``, ``not_attended``.
    """
    kind, value = typed_identity(phone, id_number)
    column = Person.id_number if kind == "id_number" else Person.phone
    people = db.session.scalars(select(Person).where(column == value, Person.merged_into_id.is_(None))).all()
    if not people:
        raise DomainError(
            "unknown_person", _l("Không tìm thấy người có số điện thoại hoặc số định danh này. Hãy gặp ban tổ chức.")
        )
    attendees = [p for p in people if attended(questionnaire.activity, p)]
    if not attendees:
        raise not_attended()
    if len(attendees) > 1:
        raise DomainError(
            "ambiguous", _l("Số điện thoại này dùng chung cho nhiều học viên; hãy nhập số định danh cá nhân.")
        )
    return attendees[0]


def not_attended() -> DomainError:
    return DomainError("not_attended", _l("Chỉ người đã tham dự hoạt động này mới trả lời được phiếu."), status=403)


def check_open(questionnaire: Questionnaire) -> None:
    """:raises ConflictError: ``not_yet_open``, ``closed`` (also when it has no questions yet)."""
    moment = now()
    if not questionnaire.questions or (questionnaire.opens_at and moment < questionnaire.opens_at):
        raise ConflictError("not_yet_open", _l("Phiếu chưa mở để trả lời."))
    if questionnaire.closes_at and moment >= questionnaire.closes_at:
        raise ConflictError("closed", _l("Phiếu đã đóng, không nhận thêm câu trả lời."))


def answered(questionnaire: Questionnaire, person: Person) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Respondent.questionnaire_id == questionnaire.id, Respondent.person_id == person.id))
        )
    )


# -- answering ---------------------------------------------------------------------------------


def _district_of(unit) -> int | None:
    from app.geo.models import UnitLevel

    while unit is not None and unit.level not in (UnitLevel.district, UnitLevel.province):
        unit = unit.parent
    return unit.id if unit is not None else None


def _clean_answer(question: Question, raw):
    """The stored value of one answer, or None when unanswered. :raises ValueError: with a message."""
    if raw in (None, "", []):
        return None
    if question.type is QuestionType.likert:
        text = str(raw[0] if isinstance(raw, list) else raw).strip()
        if not text.isdigit() or not 1 <= int(text) <= 5:
            raise ValueError(_l("Chọn một mức từ 1 đến 5."))
        return int(text)
    if question.type is QuestionType.single:
        text = str(raw[0] if isinstance(raw, list) else raw).strip()
        if not text.isdigit() or not 0 <= int(text) < len(question.options):
            raise ValueError(_l("Chọn một phương án trong danh sách."))
        return int(text)
    if question.type is QuestionType.multiple:
        values = raw if isinstance(raw, list) else [raw]
        chosen = set()
        for value in values:
            text = str(value).strip()
            if not text.isdigit() or not 0 <= int(text) < len(question.options):
                raise ValueError(_l("Chọn phương án trong danh sách."))
            chosen.add(int(text))
        return sorted(chosen)
    text = nfc(str(raw)) or ""
    if len(text) > TEXT_LIMIT:
        raise ValueError(_l("Tối đa %(n)s ký tự (đang có %(m)s).", n=TEXT_LIMIT, m=len(text)))
    return text or None


def _score(questionnaire: Questionnaire, answers: dict) -> tuple[int | None, bool | None]:
    if not questionnaire.kind.scored:
        return None, None
    score = 0
    for question in questionnaire.questions:
        if not question.scored:
            continue
        value = answers.get(str(question.id))
        chosen = sorted(value) if isinstance(value, list) else ([value] if value is not None else [])
        if chosen == sorted(question.correct):
            score += question.points
    maximum = questionnaire.max_score
    passed = None
    if questionnaire.pass_mark is not None and maximum:
        passed = score * 100 >= questionnaire.pass_mark * maximum
    return score, passed


def submit(questionnaire: Questionnaire, person: Person, raw: dict) -> Response:
    """Record one person's answers.

    :param raw: question id (str) -> submitted value (text, or a list for multiple choice).
    :raises ConflictError: ``not_yet_open``, ``closed``, ``already_answered``.
    :raises DomainError: ``not_attended``. :raises ValidationError: unanswered or bad answers,
        with a message per question (``q<id>``); nothing is stored.
    """
    check_open(questionnaire)
    if not attended(questionnaire.activity, person):
        raise not_attended()
    if answered(questionnaire, person):
        raise ConflictError("already_answered", _l("Bạn đã trả lời phiếu này rồi; mỗi người trả lời một lần."))
    answers, errors = {}, {}
    for question in questionnaire.questions:
        try:
            value = _clean_answer(question, raw.get(str(question.id)))
        except ValueError as problem:
            errors[f"q{question.id}"] = problem.args[0]
            continue
        if value is None and question.required:
            errors[f"q{question.id}"] = _l("Câu hỏi này cần được trả lời.")
        elif value is not None:
            answers[str(question.id)] = value
    if errors:
        raise ValidationError("invalid_answers", _l("Còn câu hỏi chưa trả lời hoặc trả lời chưa đúng cách."), errors)
    score, passed = _score(questionnaire, answers)
    response = Response(
        questionnaire_id=questionnaire.id,
        person_id=None if questionnaire.anonymous else person.id,
        submitted_on=now().replace(tzinfo=None).date(),
        answers=answers,
        score=score,
        passed=passed,
        gender=person.gender.value if person.gender else None,
        level=person.level.value if person.level else None,
        minority=person.ethnicity.is_minority if person.ethnicity else None,
        # Anonymous answers keep the district, not the commune: fewer people share a commune.
        unit_id=_district_of(person.unit) if questionnaire.anonymous else person.unit_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(Respondent(questionnaire_id=questionnaire.id, person_id=person.id))
            db.session.flush()
    except IntegrityError:  # a second submission racing the first: the unique key decided
        raise ConflictError(
            "already_answered", _l("Bạn đã trả lời phiếu này rồi; mỗi người trả lời một lần.")
        ) from None
    db.session.add(response)
    db.session.flush()
    return response
