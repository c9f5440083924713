"""Evaluations: building from templates, answering once (anonymously too), scoring, gain, splits, bad input."""

import io
from datetime import datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from app.attendance.models import Attendance, Method
from app.auth.models import Role
from app.errors import ConflictError, DomainError, ValidationError
from app.evaluations import results as figures
from app.evaluations import services
from app.evaluations.models import Questionnaire, QuestionType, Respondent, Response
from app.extensions import db
from app.people.models import Gender
from app.planning.models import ActivityKind, ActivityMember, ActivityStatus
from tests.factories import make_activity, make_person, make_session, make_trainer, make_user, unit


@pytest.fixture
def organiser(app_ctx):
    return make_user(Role.organiser)


def attend(session, *people):
    for person in people:
        db.session.add(
            Attendance(session=session, person=person, checked_in_at=session.starts_at, method=Method.manual, flags=[])
        )
    db.session.flush()


@pytest.fixture
def course(organiser):
    """A course with two trainers; four people attended (three women), one did not."""
    activity = make_activity(status=ActivityStatus.in_progress)
    session = make_session(activity)
    session.trainers = [make_trainer(full_name="Nông Văn Giảng"), make_trainer(full_name="Lý Thị Dạy")]
    people = [
        make_person(gender=Gender.female, phone="0912000101"),
        make_person(gender=Gender.female, phone="0912000102"),
        make_person(gender=Gender.female, phone="0912000103"),
        make_person(gender=Gender.male, phone="0912000104"),
    ]
    attend(session, *people)
    absent = make_person(phone="0912000199")
    return activity, people, absent


def likert_answers(survey, level: int) -> dict:
    answers = {}
    for question in survey.questions:
        if question.type is QuestionType.likert:
            answers[str(question.id)] = str(level)
        elif question.type is QuestionType.single:
            answers[str(question.id)] = "1"
    return answers


def make_test(activity, organiser, kind="pre_test", pass_mark=50):
    test = services.create(
        activity, {"kind": kind, "title": "Kiểm tra kiến thức đầu khóa", "pass_mark": pass_mark}, organiser
    )
    services.add_question(
        test,
        {
            "type": "single",
            "text": "Chuẩn nghèo đa chiều gồm mấy chiều?",
            "options": "3\n5\n6",
            "correct": "3",
            "points": 5,
        },
    )
    services.add_question(
        test,
        {
            "type": "multiple",
            "text": "Dự án nào thuộc Chương trình?",
            "options": "Dự án 7\nDự án 99\nDự án 4",
            "correct": "1, 3",
            "points": 5,
        },
    )
    return test


# -- building ---------------------------------------------------------------------------------------


def test_the_course_template_is_ready_in_one_click_with_a_question_per_trainer(course, organiser):
    activity, _, _ = course
    survey = services.from_template(activity, "training", organiser)
    assert survey.anonymous and survey.kind.value == "survey"
    trainer_questions = [q for q in survey.questions if q.trainer_id]
    assert sorted(q.trainer.full_name for q in trainer_questions) == ["Lý Thị Dạy", "Nông Văn Giảng"]
    assert all(q.trainer.full_name in q.text for q in trainer_questions)
    aspects = {q.aspect for q in survey.questions}
    assert {"content", "usefulness", "trainer", "materials", "venue", "logistics"} <= aspects
    assert [q.position for q in survey.questions] == list(range(1, len(survey.questions) + 1))


def test_bad_questions_are_refused_with_reasons(course, organiser):
    activity, _, _ = course
    test = services.create(activity, {"kind": "pre_test", "title": "Đầu khóa", "pass_mark": 60}, organiser)
    with pytest.raises(ValidationError) as raised:
        services.add_question(test, {"type": "single", "text": "", "options": "Chỉ một", "correct": "4", "points": 0})
    assert set(raised.value.fields) == {"text", "options", "correct", "points"}
    with pytest.raises(ValidationError):
        services.create(activity, {"kind": "post_test", "title": "X", "anonymous": True}, organiser)
    with pytest.raises(ValidationError):
        services.create(activity, {"kind": "survey", "title": "X", "pass_mark": 140}, organiser)
    assert test.questions == []


# -- answering ----------------------------------------------------------------------------------------


def test_an_anonymous_survey_cannot_be_linked_back_or_answered_twice(course, organiser):
    activity, people, _ = course
    survey = services.from_template(activity, "training", organiser)
    services.submit(survey, people[0], likert_answers(survey, 5))
    services.submit(survey, people[3], likert_answers(survey, 2))
    with pytest.raises(ConflictError) as twice:
        services.submit(survey, people[0], likert_answers(survey, 1))
    assert twice.value.code == "already_answered"
    responses = db.session.scalars(select(Response)).all()
    respondents = db.session.scalars(select(Respondent)).all()
    assert len(responses) == len(respondents) == 2
    # Nothing on a response points to a person: no person id, a random id, the day only.
    columns = set(Response.__table__.columns.keys())
    assert columns == {
        "id",
        "questionnaire_id",
        "person_id",
        "submitted_on",
        "answers",
        "score",
        "passed",
        "gender",
        "level",
        "minority",
        "unit_id",
    }
    assert all(r.person_id is None for r in responses)
    assert all(not str(r.id).isdigit() and len(r.id) >= 20 for r in responses)
    assert all(isinstance(r.submitted_on, type(datetime.now().date())) for r in responses)
    # The unit kept is the district, which several communes share — never the person's commune.
    assert {r.unit_id for r in responses} == {people[0].unit.parent_id}
    # And no audit entry records who answered what.
    from app.audit.models import AuditEntry

    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.object_type == "responses")) == 0


def test_only_people_who_attended_may_answer(course, organiser, client):
    activity, _, absent = course
    survey = services.from_template(activity, "training", organiser)
    with pytest.raises(DomainError) as raised:
        services.submit(survey, absent, likert_answers(survey, 4))
    assert raised.value.code == "not_attended"
    page = client.post(f"/e/{survey.token}", data={"step": "identify", "phone": absent.phone})
    assert page.status_code == 403 and "Chỉ người đã tham dự" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Respondent.id))) == 0


def test_a_study_tour_is_evaluated_by_its_delegation(organiser):
    tour = make_activity(kind=ActivityKind.study_tour, status=ActivityStatus.completed)
    member = make_person()
    db.session.add(ActivityMember(activity=tour, person=member))
    db.session.flush()
    survey = services.from_template(tour, "study_tour", organiser)
    services.submit(survey, member, likert_answers(survey, 4))
    assert figures.results(survey, organiser).responses == 1


def test_unanswered_required_questions_and_out_of_range_scores_change_nothing(course, organiser):
    activity, people, _ = course
    survey = services.from_template(activity, "training", organiser)
    answers = likert_answers(survey, 4)
    first = survey.questions[0]
    answers[str(first.id)] = "7"
    del answers[str(survey.questions[1].id)]
    with pytest.raises(ValidationError) as raised:
        services.submit(survey, people[0], answers)
    assert raised.value.fields[f"q{first.id}"] and raised.value.fields[f"q{survey.questions[1].id}"]
    assert db.session.scalar(select(func.count(Respondent.id))) == 0
    assert db.session.scalar(select(func.count(Response.id))) == 0


def test_a_questionnaire_takes_answers_only_while_open(course, organiser, monkeypatch):
    activity, people, _ = course
    survey = services.from_template(activity, "training", organiser)
    moment = datetime(2023, 5, 10, 4, 0)  # 11:00 in Vietnam
    monkeypatch.setattr(services, "now", lambda: moment)
    services.set_window(survey, datetime(2023, 5, 10, 11, 30), datetime(2023, 5, 10, 17, 0))
    with pytest.raises(ConflictError) as early:
        services.submit(survey, people[0], likert_answers(survey, 4))
    assert early.value.code == "not_yet_open"
    moment = datetime(2023, 5, 10, 10, 1)  # 17:01 in Vietnam
    monkeypatch.setattr(services, "now", lambda: moment)
    with pytest.raises(ConflictError) as late:
        services.submit(survey, people[0], likert_answers(survey, 4))
    assert late.value.code == "closed"
    with pytest.raises(ValidationError):
        services.set_window(survey, datetime(2023, 5, 10, 17, 0), datetime(2023, 5, 10, 9, 0))
    assert db.session.scalar(select(func.count(Respondent.id))) == 0


def test_questions_are_locked_once_someone_answered(course, organiser):
    activity, people, _ = course
    survey = services.from_template(activity, "training", organiser)
    services.submit(survey, people[0], likert_answers(survey, 3))
    with pytest.raises(ConflictError) as raised:
        services.delete_question(survey.questions[0])
    assert raised.value.code == "has_answers"


# -- scoring, gain -------------------------------------------------------------------------------------


def test_scoring_and_the_pass_mark(course, organiser):
    activity, people, _ = course
    test = make_test(activity, organiser, pass_mark=60)
    single, multiple = test.questions
    full = services.submit(test, people[0], {str(single.id): "2", str(multiple.id): ["0", "2"]})
    half = services.submit(test, people[1], {str(single.id): "2", str(multiple.id): ["0"]})  # a partial choice scores 0
    none = services.submit(test, people[2], {str(single.id): "0", str(multiple.id): ["0", "1", "2"]})
    assert (full.score, full.passed) == (10, True)
    assert (half.score, half.passed) == (5, False)  # 50 % < 60 %
    assert (none.score, none.passed) == (0, False)
    assert full.person_id == people[0].id  # tests are named: the pre/post pairing needs it


def test_gain_is_computed_only_for_people_with_both_tests(course, organiser):
    activity, people, _ = course
    pre = make_test(activity, organiser, pass_mark=50)
    post = services.copy_as_post_test(pre, organiser)
    assert [q.text for q in post.questions] == [q.text for q in pre.questions]

    def answer(test, person, right_single, right_multiple):
        single, multiple = test.questions
        services.submit(
            test,
            person,
            {str(single.id): "2" if right_single else "0", str(multiple.id): ["0", "2"] if right_multiple else ["1"]},
        )

    answer(pre, people[0], False, False)  # 0 %
    answer(post, people[0], True, True)  # 100 %
    answer(pre, people[1], True, False)  # 50 %
    answer(post, people[1], True, True)  # 100 %
    answer(pre, people[2], False, False)  # pre only
    answer(post, people[3], True, False)  # post only: 50 %
    result = figures.prepost(activity, organiser)
    assert [row[0].id for row in sorted(result.rows, key=lambda r: r[0].id)] == [people[0].id, people[1].id]
    assert result.gain == pytest.approx(0.75)  # (1.0 + 0.5) / 2 — only the two with both tests
    assert result.pre_mean == pytest.approx((0 + 0.5 + 0) / 3)
    assert result.post_mean == pytest.approx((1 + 1 + 0.5) / 3)
    assert result.post_pass_rate == 1.0


# -- results ----------------------------------------------------------------------------------------------


def test_results_per_question_trainer_and_splits_that_add_up(course, organiser):
    activity, people, _ = course
    survey = services.create(activity, {"kind": "survey", "title": "Khảo sát có tên"}, organiser)
    services.add_question(survey, {"type": "likert", "text": "Nội dung", "aspect": "content"})
    services.add_question(survey, {"type": "long_text", "text": "Ý kiến", "required": False})
    content, comment = survey.questions
    for person, level in zip(people, (5, 4, 3, 2), strict=True):
        services.submit(survey, person, {str(content.id): str(level), str(comment.id): f"Ý kiến {level}"})
    result = figures.results(survey, organiser)
    assert (result.responses, result.eligible, result.rate) == (4, 4, 1.0)
    first = result.questions[0]
    assert first.counts == [0, 1, 1, 1, 1] and first.mean == pytest.approx(3.5)
    assert sorted(result.questions[1].texts) == ["Ý kiến 2", "Ý kiến 3", "Ý kiến 4", "Ý kiến 5"]
    for key in figures.SPLITS:
        assert sum(s.responses for s in result.splits[key]) == result.responses, key
    by_gender = {s.label: (s.responses, s.value) for s in result.splits["gender"]}
    assert by_gender == {"Nữ": (3, pytest.approx(4.0)), "Nam": (1, pytest.approx(2.0))}


def test_small_groups_of_an_anonymous_survey_are_hidden(course, organiser, client, auth):
    activity, people, _ = course
    survey = services.from_template(activity, "training", organiser)
    for person in people:
        services.submit(survey, person, likert_answers(survey, 4))
    result = figures.results(survey, organiser)
    men = next(s for s in result.splits["gender"] if s.label == "Nam")
    assert men.hidden and men.value is None and men.responses == 1
    auth.login(organiser)
    page = client.get(f"/evaluations/{survey.id}/results").get_data(as_text=True)
    assert "&lt; 3" in page
    trainer_means = {t.full_name: m for t, m, _ in result.trainers}
    assert trainer_means == {"Nông Văn Giảng": 4, "Lý Thị Dạy": 4}


def test_the_xlsx_export_and_the_api_summary(course, organiser, client, auth, api):
    activity, people, _ = course
    survey = services.from_template(activity, "training", organiser)
    pre = make_test(activity, organiser)
    post = services.copy_as_post_test(pre, organiser)
    for person, level in zip(people[:3], (5, 4, 3), strict=True):
        services.submit(survey, person, likert_answers(survey, level))
    for test, right in ((pre, "0"), (post, "2")):
        single, multiple = test.questions
        services.submit(test, people[0], {str(single.id): right, str(multiple.id): ["0", "2"]})
    auth.login(organiser)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/evaluations/{survey.id}/results.xlsx").data))
    assert {"Tổng hợp", "Theo câu hỏi", "Giảng viên", "Theo giới tính"} <= set(book.sheetnames)
    summary = dict(book["Tổng hợp"].iter_rows(values_only=True))
    assert summary["Số người trả lời"] == 3 and summary["Điểm hài lòng trung bình (1–5)"] == 4
    body = api("GET", f"/activities/{activity.id}/evaluation-summary", organiser).get_json()
    assert body["responses"] == 3
    assert {q["mean"] for q in body["questions"] if q["aspect"] == "content"} == {4.0}
    assert (body["pre_test_mean"], body["post_test_mean"], body["gain"]) == (0.5, 1.0, 0.5)


def test_a_district_officer_reads_only_their_peoples_answers(organiser):
    activity = make_activity(status=ActivityStatus.in_progress, unit=unit("188"))
    session = make_session(activity)
    mine, theirs = make_person(district_code="188"), make_person(district_code="178")
    attend(session, mine, theirs)
    survey = services.create(activity, {"kind": "survey", "title": "Khảo sát"}, organiser)
    services.add_question(survey, {"type": "likert", "text": "Nội dung"})
    question = survey.questions[0]
    services.submit(survey, mine, {str(question.id): "5"})
    services.submit(survey, theirs, {str(question.id): "1"})
    officer = make_user(Role.district, unit=unit("188"))
    result = figures.results(survey, officer)
    assert (result.responses, result.eligible, result.questions[0].mean) == (1, 1, 5)


# -- the phone flow --------------------------------------------------------------------------------------


def test_answering_on_a_phone_identify_once_then_one_answer(app, course, organiser):
    activity, people, _ = course
    survey = services.from_template(activity, "training", organiser)
    phone = app.test_client()
    assert "Số điện thoại" in phone.get(f"/e/{survey.token}").get_data(as_text=True)
    assert phone.post(f"/e/{survey.token}", data={"step": "identify", "phone": people[0].phone}).status_code == 302
    answers = {f"q{k}": v for k, v in likert_answers(survey, 5).items()}
    incomplete = dict(answers)
    incomplete.pop(next(iter(incomplete)))
    refused = phone.post(f"/e/{survey.token}", data=incomplete)
    assert refused.status_code == 422 and "Câu hỏi này cần được trả lời" in refused.get_data(as_text=True)
    assert 'value="5" checked' in refused.get_data(as_text=True)  # what was chosen is kept
    done = phone.post(f"/e/{survey.token}", data=answers)
    assert "Cảm ơn bạn đã trả lời" in done.get_data(as_text=True)
    again = phone.get(f"/e/{survey.token}").get_data(as_text=True)
    assert "Bạn đã trả lời phiếu này" in again
    assert db.session.scalar(select(func.count(Response.id))) == 1


def test_a_closed_questionnaire_says_so_on_the_phone(app, course, organiser):
    activity, _, _ = course
    survey = services.from_template(activity, "training", organiser)
    survey.closes_at = datetime.now() - timedelta(days=1)
    db.session.flush()
    page = app.test_client().get(f"/e/{survey.token}")
    assert page.status_code == 409 and "Phiếu đã đóng" in page.get_data(as_text=True)
    assert app.test_client().get("/e/not-a-token").status_code == 404


def test_a_settled_activity_takes_no_new_questionnaires(course, organiser):
    activity, _, _ = course
    activity.status = ActivityStatus.settled
    with pytest.raises(ConflictError):
        services.from_template(activity, "training", organiser)
    assert db.session.scalar(select(func.count(Questionnaire.id))) == 0
