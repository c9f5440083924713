"""What the answers say: per question, per trainer, pre/post gain, splits by group, a year's comparison.

A district officer's figures count only the answers of their own units' people. Splits of an
anonymous survey hide groups of fewer than ``SMALL_CELL`` answers, so a group of one cannot be
read off a screen or an export.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean

from sqlalchemy import extract, select

from app.core.i18n import lazy_gettext as _l
from app.evaluations.models import Kind, Question, Questionnaire, QuestionType, Response
from app.evaluations.services import eligible_people
from app.extensions import db
from app.geo.models import AdminUnit
from app.people.models import GENDER_LABELS, Gender, Person
from app.permissions import scope_unit_ids
from app.planning.models import Activity

SMALL_CELL = 3
SPLITS = {
    "gender": _l("Giới tính"),
    "level": _l("Cấp"),
    "minority": _l("Dân tộc"),
    "unit": _l("Đơn vị"),
}


def _responses(questionnaire: Questionnaire, user) -> list[Response]:
    query = select(Response).where(Response.questionnaire_id == questionnaire.id)
    allowed = scope_unit_ids(user) if user is not None else None
    if allowed is not None:
        query = query.where(Response.unit_id.in_(allowed))
    return db.session.scalars(query).all()


def percent(response: Response, questionnaire: Questionnaire) -> float | None:
    maximum = questionnaire.max_score
    return response.score / maximum if maximum and response.score is not None else None


def satisfaction(response: Response, questionnaire: Questionnaire) -> float | None:
    """The mean of a response's 1–5 answers (its satisfaction index)."""
    values = [
        response.answers[str(q.id)]
        for q in questionnaire.questions
        if q.type is QuestionType.likert and str(q.id) in response.answers
    ]
    return mean(values) if values else None


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    mean: float | None = None
    counts: list[int] = field(default_factory=list)  # per level 1..5, or per option
    texts: list[str] = field(default_factory=list)
    right: int | None = None  # tests: how many answered right


@dataclass
class Split:
    label: str
    responses: int
    value: float | None  # mean satisfaction (surveys) or mean score share (tests)
    hidden: bool = False


@dataclass
class Results:
    questionnaire: Questionnaire
    responses: int
    eligible: int
    questions: list[QuestionResult]
    mean_satisfaction: float | None
    mean_score: float | None  # share of the points, 0..1
    pass_rate: float | None
    trainers: list[tuple]  # (trainer, mean, answers)
    splits: dict[str, list[Split]]

    @property
    def rate(self) -> float | None:
        return self.responses / self.eligible if self.eligible else None


def _question_result(question: Question, responses: list[Response]) -> QuestionResult:
    values = [r.answers[str(question.id)] for r in responses if str(question.id) in r.answers]
    result = QuestionResult(question, answered=len(values))
    if question.type is QuestionType.likert:
        result.counts = [sum(1 for v in values if v == level) for level in range(1, 6)]
        result.mean = mean(values) if values else None
    elif question.type is QuestionType.single:
        result.counts = [sum(1 for v in values if v == i) for i in range(len(question.options))]
    elif question.type is QuestionType.multiple:
        result.counts = [sum(1 for v in values if i in v) for i in range(len(question.options))]
    else:
        result.texts = [v for v in values if isinstance(v, str)]
    if question.scored:
        result.right = sum(1 for v in values if sorted(v if isinstance(v, list) else [v]) == sorted(question.correct))
    return result


def _group_label(key: str, response: Response, units: dict) -> str:
    unknown = str(_l("Chưa rõ"))
    if key == "gender":
        return str(GENDER_LABELS[Gender(response.gender)]) if response.gender else unknown
    if key == "level":
        from app.geo.models import LEVEL_LABELS, UnitLevel

        return str(LEVEL_LABELS[UnitLevel(response.level)]) if response.level else unknown
    if key == "minority":
        if response.minority is None:
            return unknown
        return str(_l("Dân tộc thiểu số") if response.minority else _l("Dân tộc Kinh và khác"))
    unit = units.get(response.unit_id)
    return unit.full_name if unit else unknown


def _splits(questionnaire: Questionnaire, responses: list[Response]) -> dict[str, list[Split]]:
    value_of = percent if questionnaire.kind.scored else satisfaction
    units = {
        u.id: u for u in db.session.scalars(select(AdminUnit).where(AdminUnit.id.in_({r.unit_id for r in responses})))
    }
    out = {}
    for key in SPLITS:
        groups = defaultdict(list)
        for response in responses:
            groups[_group_label(key, response, units)].append(value_of(response, questionnaire))
        rows = []
        for label, values in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            known = [v for v in values if v is not None]
            hidden = questionnaire.anonymous and len(values) < SMALL_CELL
            rows.append(Split(label, len(values), None if hidden or not known else mean(known), hidden))
        out[key] = rows
    return out


def results(questionnaire: Questionnaire, user) -> Results:
    responses = _responses(questionnaire, user)
    allowed = scope_unit_ids(user) if user is not None else None
    eligible = eligible_people(questionnaire.activity)
    if allowed is not None:
        eligible = [
            pid
            for pid in db.session.scalars(select(Person.id).where(Person.id.in_(eligible), Person.unit_id.in_(allowed)))
        ]
    questions = [_question_result(q, responses) for q in questionnaire.questions]
    indexes = [s for s in (satisfaction(r, questionnaire) for r in responses) if s is not None]
    scores = [p for p in (percent(r, questionnaire) for r in responses) if p is not None]
    judged = [r.passed for r in responses if r.passed is not None]
    trainers = [
        (q.question.trainer, q.mean, q.answered)
        for q in questions
        if q.question.trainer_id and q.question.type is QuestionType.likert
    ]
    return Results(
        questionnaire=questionnaire,
        responses=len(responses),
        eligible=len(eligible),
        questions=questions,
        mean_satisfaction=mean(indexes) if indexes else None,
        mean_score=mean(scores) if questionnaire.kind.scored and scores else None,
        pass_rate=sum(judged) / len(judged) if judged else None,
        trainers=trainers,
        splits=_splits(questionnaire, responses),
    )


# -- pre/post -----------------------------------------------------------------------------------


@dataclass
class PrePost:
    rows: list[tuple]  # (person, pre share, post share, gain) — people with both tests
    pre_mean: float | None  # over everyone who took the pre-test
    post_mean: float | None
    gain: float | None  # over people with both tests only
    post_pass_rate: float | None


def _latest(activity: Activity, kind: Kind) -> Questionnaire | None:
    return db.session.scalar(
        select(Questionnaire)
        .where(Questionnaire.activity_id == activity.id, Questionnaire.kind == kind)
        .order_by(Questionnaire.id.desc())
    )


def prepost(activity: Activity, user) -> PrePost | None:
    pre, post = _latest(activity, Kind.pre_test), _latest(activity, Kind.post_test)
    if pre is None and post is None:
        return None
    before = {r.person_id: percent(r, pre) for r in _responses(pre, user)} if pre else {}
    after = {r.person_id: percent(r, post) for r in _responses(post, user)} if post else {}
    post_responses = _responses(post, user) if post else []
    both = sorted(set(before) & set(after) - {None})
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(both)))} if both else {}
    rows = sorted(
        ((people[pid], before[pid], after[pid], after[pid] - before[pid]) for pid in both if before[pid] is not None),
        key=lambda row: row[0].sort_key or "",
    )
    judged = [r.passed for r in post_responses if r.passed is not None]

    def average(values):
        values = [v for v in values if v is not None]
        return mean(values) if values else None

    return PrePost(
        rows=rows,
        pre_mean=average(before.values()),
        post_mean=average(after.values()),
        gain=average(row[3] for row in rows),
        post_pass_rate=sum(judged) / len(judged) if judged else None,
    )


# -- a year compared -----------------------------------------------------------------------------


@dataclass
class Comparison:
    activities: list[tuple]  # (activity, mean satisfaction, responses)
    topics: list[tuple]  # (topic label, mean, responses)
    trainers: list[tuple]  # (trainer, mean, answers)


def compare(year: int, user) -> Comparison:
    """Surveys of the year's activities the user may see, side by side (their people's answers only)."""
    from app.planning.services import can_see

    surveys = db.session.scalars(
        select(Questionnaire)
        .join(Activity, Activity.id == Questionnaire.activity_id)
        .where(Questionnaire.kind == Kind.survey, extract("year", Activity.start_date) == year)
        .order_by(Activity.start_date)
    ).all()
    by_activity, by_topic, by_trainer = [], defaultdict(list), defaultdict(list)
    for survey in surveys:
        if not can_see(user, survey.activity):
            continue
        responses = _responses(survey, user)
        indexes = [s for s in (satisfaction(r, survey) for r in responses) if s is not None]
        by_activity.append((survey.activity, mean(indexes) if indexes else None, len(responses)))
        for topic in survey.activity.topics:
            by_topic[topic.label].extend(indexes)
        for question in survey.questions:
            if question.trainer is not None:
                by_trainer[question.trainer].extend(
                    r.answers[str(question.id)] for r in responses if str(question.id) in r.answers
                )
    topics = sorted(((t, mean(v), len(v)) for t, v in by_topic.items() if v), key=lambda row: -row[1])
    trainers = sorted(((t, mean(v), len(v)) for t, v in by_trainer.items() if v), key=lambda row: -row[1])
    return Comparison(by_activity, topics, trainers)
