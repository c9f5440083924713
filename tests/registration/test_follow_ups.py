"""Registration follow-ups: fresh QR codes after a cancel, letters that never cut a title and are
signed by whoever holds the mandate, self-registration requests that are not doubled, and district
officers kept away from letters and QR images."""

import subprocess
from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.planning.models import ActivityStatus
from app.reference.models import Organisation, Signatory
from app.registration import self_service, services
from app.registration.models import RegistrationRequest
from tests.factories import make_activity, make_person, make_user, unit
from tests.registration.test_letters import tool
from tests.registration.test_self_registration import form

LONG_TITLE = (
    "Tập huấn nâng cao năng lực cho cán bộ làm công tác giảm nghèo cấp xã, thôn, bản về quản lý, giám sát "
    "và đánh giá thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững giai đoạn 2021-2025 KẾT THÚC"
)


def test_enrolling_again_after_a_cancel_voids_the_old_personal_qr(app_ctx):
    organiser = make_user(Role.organiser)
    activity = make_activity(status=ActivityStatus.open)
    first = services.enrol(activity, make_person(), organiser)
    old_payload = first.qr_payload
    services.cancel(first, organiser, "Bận")
    again = services.enrol(activity, first.person, organiser)
    assert again.id == first.id and again.qr_payload != old_payload
    assert services.find_by_qr(old_payload) is None
    assert services.find_by_qr(again.qr_payload) is again


def _letters_text(client, auth, activity, tmp_path) -> str:
    auth.login(make_user(Role.organiser))
    pdf = client.get(f"/activities/{activity.id}/letters.pdf").data
    (tmp_path / "l.pdf").write_bytes(pdf)
    return subprocess.run(
        [tool("pdftotext"), str(tmp_path / "l.pdf"), "-"], capture_output=True, check=True
    ).stdout.decode()


def test_a_long_title_wraps_whole_and_the_letter_lists_its_recipients(client, auth, tmp_path):
    organiser = make_user(Role.organiser)
    activity = make_activity(status=ActivityStatus.open, title=LONG_TITLE)
    services.enrol(activity, make_person(), organiser)
    text = " ".join(_letters_text(client, auth, activity, tmp_path).split())
    heading = text.split("trân trọng triệu tập")[0]
    assert "KẾT THÚC" in heading  # the heading carries the whole title, not the first 110 characters
    assert "Nơi nhận:" in text and "- Như trên;" in text and "- Lưu: VT." in text


def test_the_letter_is_signed_by_whoever_holds_the_mandate_today(client, auth, tmp_path):
    organiser = make_user(Role.organiser)
    activity = make_activity(status=ActivityStatus.open)
    services.enrol(activity, make_person(), organiser)
    department = db.session.scalar(
        select(Organisation).where(Organisation.parent_id.is_not(None)).order_by(Organisation.id)
    )
    today = date.today()
    for signer in db.session.scalars(select(Signatory).where(Signatory.organisation_id == department.id)):
        signer.valid_to = today - timedelta(days=400)  # everyone on file left long ago
    db.session.add_all(
        [
            Signatory(
                organisation_id=department.id,
                full_name="Hoàng Văn Cũ",
                title="Phó Giám đốc",
                authority_line="KT. GIÁM ĐỐC",
                valid_from=today - timedelta(days=900),
                valid_to=today - timedelta(days=1),
            ),
            Signatory(
                organisation_id=department.id,
                full_name="Lương Thị Mới",
                title="Phó Giám đốc",
                authority_line="KT. GIÁM ĐỐC",
                valid_from=today - timedelta(days=1),
            ),
        ]
    )
    db.session.flush()
    text = _letters_text(client, auth, activity, tmp_path)
    assert "Lương Thị Mới" in text and "Hoàng Văn Cũ" not in text


def test_the_same_person_sending_the_form_twice_makes_one_request(app):
    activity = make_activity(status=ActivityStatus.open, capacity=3)
    with app.test_request_context():
        token = self_service.publish(activity)
    phone = app.test_client()
    phone.post(f"/r/{token}", data=form())
    phone.post(f"/r/{token}", data=form(position="Phó trưởng thôn"))  # corrected and sent again
    requests = db.session.scalars(
        select(RegistrationRequest).where(RegistrationRequest.activity_id == activity.id)
    ).all()
    assert len(requests) == 1 and requests[0].data["position"] == "Phó trưởng thôn"
    other = app.test_client()
    other.post(f"/r/{token}", data=form(full_name="Lò Văn Khác", gender="male"))  # same phone, another name
    assert db.session.scalar(select(db.func.count(RegistrationRequest.id))) == 2


def test_the_request_card_shows_the_unit_and_why_it_matched(app, client, auth):
    known = make_person(full_name="Lò Thị Xinh", phone="0912111222")
    activity = make_activity(status=ActivityStatus.open, capacity=3)
    with app.test_request_context():
        token = self_service.publish(activity)
    app.test_client().post(f"/r/{token}", data=form())
    auth.login(make_user(Role.organiser))
    page = client.get(f"/activities/{activity.id}/enrolments").get_data(as_text=True)
    assert known.unit.full_name in page and "cùng số điện thoại và họ tên" in page


def test_district_officers_get_no_letters_and_no_qr_images(client, auth):
    organiser = make_user(Role.organiser)
    activity = make_activity(status=ActivityStatus.open)
    enrolment = services.enrol(activity, make_person(), organiser)  # a person of their own district
    auth.login(make_user(Role.district, unit=unit("188")))
    assert client.get(f"/activities/{activity.id}/letters.pdf").status_code == 403
    assert client.get(f"/activities/{activity.id}/enrolments/{enrolment.id}/qr.png").status_code == 403
    assert enrolment.qr_token not in client.get(f"/activities/{activity.id}/enrolments").get_data(as_text=True)
