"""Self-registration: a public link, a phone form, the organiser's decision."""

import re

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.planning.models import ActivityStatus
from app.registration import self_service
from app.registration.models import Enrolment, EnrolmentStatus, RegistrationRequest, RequestStatus
from tests.factories import commune_of, make_activity, make_person, make_user


def form(**overrides):
    data = {
        "full_name": "Lò Thị Xinh",
        "gender": "female",
        "birth_date": "",
        "birth_year": "1992",
        "phone": "0912 111 222",
        "id_number": "",
        "unit_id": str(commune_of("188").id),
        "level": "village",
        "position": "Chi hội trưởng Phụ nữ",
        "workplace": "Thôn Nà Pàn",
    }
    data.update(overrides)
    return data


@pytest.fixture
def published(app):
    activity = make_activity(status=ActivityStatus.open, title="Lớp tự đăng ký", capacity=3)
    with app.test_request_context():
        token = self_service.publish(activity)
    return activity, token


def test_a_person_asks_for_a_place_without_an_account(app, published):
    activity, token = published
    phone = app.test_client()
    assert "Lớp tự đăng ký" in phone.get(f"/r/{token}").get_data(as_text=True)
    page = phone.post(f"/r/{token}", data=form()).get_data(as_text=True)
    assert "Đã gửi đăng ký" in page
    request = db.session.scalar(select(RegistrationRequest).where(RegistrationRequest.activity_id == activity.id))
    assert (request.status, request.data["phone"], request.data["full_name"]) == (
        RequestStatus.pending,
        "0912111222",
        "Lò Thị Xinh",
    )


def test_bad_input_on_the_public_form_is_explained_and_nothing_is_kept(app, published):
    activity, token = published
    page = app.test_client().post(f"/r/{token}", data=form(phone="09abc", full_name="<b>")).get_data(as_text=True)
    assert "Số điện thoại chỉ gồm chữ số" in page and "Họ và tên chỉ gồm chữ cái" in page
    assert db.session.scalar(select(RegistrationRequest)) is None


def test_closed_renewed_or_forged_links_open_nothing(app, published):
    activity, token = published
    client = app.test_client()
    with app.test_request_context():
        renewed = self_service.publish(activity, renew=True)
    assert client.get(f"/r/{token}").status_code == 404
    assert client.get(f"/r/{renewed}").status_code == 200
    assert client.get(f"/r/{renewed[:-3]}abc").status_code == 404
    with app.test_request_context():
        self_service.close(activity)
    assert client.get(f"/r/{renewed}").status_code == 404


def test_the_organiser_approves_a_new_person_and_they_are_enrolled(app, client, auth, published):
    activity, token = published
    app.test_client().post(f"/r/{token}", data=form())
    organiser = make_user(Role.organiser)
    auth.login(organiser)
    page = client.get(f"/activities/{activity.id}/enrolments").get_data(as_text=True)
    assert "Lò Thị Xinh" in page and "Người mới" in page
    request_id = int(re.search(r"/requests/(\d+)/decide", page).group(1))
    assert (
        client.post(f"/activities/{activity.id}/requests/{request_id}/decide", data={"decision": "approve"}).status_code
        == 302
    )
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.activity_id == activity.id))
    assert enrolment.status is EnrolmentStatus.registered and enrolment.person.full_name == "Lò Thị Xinh"
    assert enrolment.source == "self"


def test_a_known_person_is_matched_by_phone_and_rejections_need_a_reason(app, published):
    activity, token = published
    known = make_person(full_name="Lò Thị Xinh", phone="0912111222")
    app.test_client().post(f"/r/{token}", data=form())
    request = db.session.scalar(select(RegistrationRequest))
    assert request.matched_person_id == known.id
    organiser = make_user(Role.organiser)
    with pytest.raises(Exception, match="reason_required"):
        self_service.decide(request, organiser, approve=False, reason="")
    self_service.decide(request, organiser, approve=False, reason="Không thuộc đối tượng")
    assert request.status is RequestStatus.rejected


def test_a_draft_activity_takes_no_requests(app):
    draft = make_activity(status=ActivityStatus.draft)
    with app.test_request_context():
        token = self_service.publish(draft)
    assert app.test_client().get(f"/r/{token}").status_code == 404
