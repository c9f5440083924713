"""Answering the course survey on a phone: identify, a missing answer shown in place, submit once.

The survey comes from the ready "training" template (anonymous, a question per trainer). The
participant taps the labels as a person would; the database then holds one answer with no
person on it and, apart, one record that this person answered. The organiser reads the results.
"""

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.attendance.models import Attendance, Method
from app.auth.models import User
from app.core.time import utcnow
from app.evaluations import services as evaluations
from app.evaluations.models import QuestionType, Respondent, Response
from app.extensions import db
from app.people.models import Gender
from app.planning.models import ActivityStatus
from tests.browser.conftest import ORGANISER, screenshot, sign_in
from tests.browser.test_people_on_phone import no_horizontal_scroll
from tests.factories import make_activity, make_person, make_session, make_trainer

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]

TRAINERS = ("Nguyễn Thị Thu Hằng", "Phạm Quốc Khánh")
MISSING = "Câu hỏi này cần được trả lời."
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _phone_number() -> tuple[str, str]:
    digits = f"{secrets.randbelow(10**8):08d}"
    return "09" + digits, "0201" + digits


def completed_course_with_survey(live_app) -> dict:
    """A course held last week: one session, two trainers, two people who came, one who did not."""
    with live_app.test_request_context():
        organiser = db.session.scalar(select(User).where(User.username == ORGANISER[0]))
        start = utcnow().date() - timedelta(days=7)
        activity = make_activity(status=ActivityStatus.completed, start_date=start, title="Tập huấn rà soát hộ nghèo")
        session = make_session(activity)
        session.trainers = [make_trainer(full_name=name) for name in TRAINERS]
        people = {}
        for key, name, gender in (
            ("hien", "Lý Thị Hiền", Gender.female),
            ("tuan", "Hà Văn Tuấn", Gender.male),
            ("absent", "Nông Văn Sáng", Gender.male),
        ):
            phone, id_number = _phone_number()
            person = make_person(full_name=name, gender=gender, phone=phone, id_number=id_number)
            people[key] = {"id": person.id, "name": name, "phone": phone}
            if key != "absent":
                db.session.add(
                    Attendance(
                        session=session,
                        person_id=person.id,
                        checked_in_at=session.starts_at - timedelta(hours=7),
                        method=Method.manual,
                        reason="Ký sổ tại hội trường",
                        recorded_by_id=organiser.id,
                    )
                )
        db.session.flush()
        survey = evaluations.from_template(activity, "training", organiser)
        questions = [
            {"id": q.id, "type": q.type, "text": q.text, "options": list(q.options), "required": q.required}
            for q in survey.questions
        ]
        db.session.commit()
        data = {
            "activity": activity.title,
            "survey_id": survey.id,
            "token": survey.token,
            "title": survey.title,
            "questions": questions,
            "people": people,
        }
        db.session.remove()
    return data


def question_box(page, question: dict):
    return page.locator(f"#question-{question['id']}")


def tap_level(page, question: dict, level: int) -> None:
    """Tap the label under the number, as a thumb would (not the small radio itself)."""
    box = question_box(page, question)
    box.locator(".likert label").filter(has_text=re.compile(rf"^\s*{level}\s*$")).tap()
    assert box.get_by_role("radio", name=str(level), exact=True).is_checked()


def tap_option(page, question: dict, option: str) -> None:
    label = question_box(page, question).locator("label").filter(has_text=option)
    label.tap()
    assert label.locator("input").is_checked()


def submit(page) -> int:
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name="Gửi phiếu").click()
    page.wait_for_load_state()
    return response.value.status


def stored(live_app, survey_id: int) -> tuple[list, list]:
    """The survey's responses, and apart the ids of the people who answered."""
    with live_app.app_context():
        responses = db.session.scalars(select(Response).where(Response.questionnaire_id == survey_id)).all()
        respondents = db.session.scalars(select(Respondent.person_id).where(Respondent.questionnaire_id == survey_id))
        result = list(responses), list(respondents)
        db.session.expunge_all()
        db.session.remove()
    return result


def likert_fits(page) -> bool:
    """Every 1–5 row sits inside its card and the screen, each number a thumb-sized target."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.likert')].every(row => {
            const card = row.closest('fieldset').getBoundingClientRect();
            return row.scrollWidth <= row.clientWidth && [...row.querySelectorAll('label')].every(label => {
                const r = label.getBoundingClientRect();
                return r.left >= card.left && r.right <= card.right && r.right <= window.innerWidth
                    && r.height >= 40;
            });
        })"""
    )


def test_a_participant_answers_the_course_survey_on_a_phone(live_server, live_app, browser, phone):
    data = completed_course_with_survey(live_app)
    hien = data["people"]["hien"]
    questions = data["questions"]
    likert = [q for q in questions if q["type"] is QuestionType.likert]
    (single,) = [q for q in questions if q["type"] is QuestionType.single]
    (multiple,) = [q for q in questions if q["type"] is QuestionType.multiple]
    (comment,) = [q for q in questions if q["type"] is QuestionType.long_text]
    per_trainer = [q for q in likert if any(name in q["text"] for name in TRAINERS)]
    assert len(per_trainer) == 2 and len(likert) == 8

    # The link from the QR: no cookie from check-in on this phone, so it asks who is answering.
    url = f"{live_server}/e/{data['token']}"
    phone.goto(url)
    assert phone.get_by_role("heading", name=data["title"]).is_visible()
    assert phone.get_by_text("Phiếu ẩn danh", exact=False).is_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "evaluation-identify-phone")
    phone.get_by_label("Số điện thoại").fill(hien["phone"])
    phone.get_by_role("button", name="Tiếp tục").click()
    phone.get_by_role("button", name="Gửi phiếu").wait_for()
    assert phone.url == url
    assert phone.get_by_text(f"Người trả lời: {hien['name']}", exact=False).is_visible()
    for question in questions:
        assert question_box(phone, question).get_by_text(question["text"], exact=False).is_visible()
    for name in TRAINERS:
        assert phone.get_by_role("group", name=re.compile(name)).is_visible()
    assert no_horizontal_scroll(phone)
    assert likert_fits(phone)
    screenshot(phone, "evaluation-form-phone")

    # Only some answers: the page comes back with the gap marked and the choices kept.
    tap_level(phone, likert[0], 4)
    tap_level(phone, per_trainer[0], 5)
    tap_option(phone, single, "Vừa đủ")
    tap_option(phone, multiple, multiple["options"][0])
    tap_option(phone, multiple, multiple["options"][4])
    question_box(phone, comment).locator("textarea").fill("Nên có thêm thời gian đi thực tế ở thôn.")
    assert submit(phone) == 422
    assert phone.get_by_role("alert").is_visible()
    answered = {likert[0]["id"], per_trainer[0]["id"], single["id"], multiple["id"], comment["id"]}
    for question in questions:
        box = question_box(phone, question)
        if question["id"] in answered or not question["required"]:
            assert box.get_by_text(MISSING).count() == 0, question["text"]
        else:
            assert box.get_by_text(MISSING).is_visible(), question["text"]
            assert "has-error" in box.get_attribute("class")
    assert question_box(phone, likert[0]).get_by_role("radio", name="4", exact=True).is_checked()
    assert question_box(phone, per_trainer[0]).get_by_role("radio", name="5", exact=True).is_checked()
    assert question_box(phone, single).get_by_role("radio", name="Vừa đủ").is_checked()
    checked = [box.is_checked() for box in question_box(phone, multiple).get_by_role("checkbox").all()]
    assert checked == [True, False, False, False, True]
    assert question_box(phone, comment).locator("textarea").input_value() == "Nên có thêm thời gian đi thực tế ở thôn."
    assert no_horizontal_scroll(phone)
    assert likert_fits(phone)
    screenshot(phone, "evaluation-missing-phone")

    assert stored(live_app, data["survey_id"]) == ([], [])  # the incomplete try kept nothing

    # The rest, one tap per question.
    levels = {q["id"]: 1 + n % 5 for n, q in enumerate(likert)} | {per_trainer[1]["id"]: 2}
    levels |= {likert[0]["id"]: 4, per_trainer[0]["id"]: 5}  # tapped before
    for question in likert[1:]:
        if question is not per_trainer[0]:
            tap_level(phone, question, levels[question["id"]])
    assert submit(phone) == 200
    assert phone.get_by_role("heading", name="Cảm ơn bạn đã trả lời").is_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "evaluation-thanks-phone")

    # The same link again (the phone is remembered now): no second answer.
    phone.goto(url)
    assert phone.get_by_role("heading", name="Bạn đã trả lời phiếu này").is_visible()
    assert phone.get_by_role("button", name="Gửi phiếu").count() == 0

    # One answer with nobody's name on it; who answered is kept apart.
    responses, respondents = stored(live_app, data["survey_id"])
    assert len(responses) == 1 and responses[0].person_id is None
    assert respondents == [hien["id"]]
    expected = {str(qid): level for qid, level in levels.items()}
    expected |= {
        str(single["id"]): 1,
        str(multiple["id"]): [0, 4],
        str(comment["id"]): "Nên có thêm thời gian đi thực tế ở thôn.",
    }
    assert responses[0].answers == expected
    assert responses[0].gender == "female"

    # Someone known to the system who did not come is told why they cannot answer.
    other = browser.new_context(**PHONE, locale="vi-VN")
    stranger = other.new_page()
    stranger.goto(url)
    stranger.get_by_label("Số điện thoại").fill(data["people"]["absent"]["phone"])
    with stranger.expect_response(lambda r: r.request.method == "POST") as refused:
        stranger.get_by_role("button", name="Tiếp tục").click()
    assert refused.value.status == 403
    alert = stranger.get_by_role("alert")
    assert alert.inner_text().strip() == "Chỉ người đã tham dự hoạt động này mới trả lời được phiếu."
    assert stranger.get_by_role("button", name="Gửi phiếu").count() == 0
    assert no_horizontal_scroll(stranger)
    screenshot(stranger, "evaluation-not-attended-phone")
    other.close()

    # The organiser's results: one of the two who came answered; each trainer's mark.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = desk.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/evaluations/{data['survey_id']}/results")
    assert page.get_by_role("heading", name=re.compile(data["title"])).is_visible()
    tile = page.locator(".tile").filter(has_text="người trả lời / đã tham dự")
    assert tile.locator("strong").inner_text().strip() == "1 / 2"
    trainers = page.locator("table").filter(has=page.get_by_role("columnheader", name="Giảng viên"))
    rows = [row.inner_text().split("\t") for row in trainers.locator("tbody tr").all()]
    marks = {name: f"{levels[q['id']]},00" for q in per_trainer for name in TRAINERS if name in q["text"]}
    assert sorted([cell.strip() for cell in row] for row in rows) == sorted(
        [name, marks[name], "1"] for name in TRAINERS
    )
    screenshot(page, "evaluation-results-desktop")

    # Printed: no menu bar, the question cards stay whole.
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    assert page.locator(".question-result").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    desk.close()
