"""A participant registers from a phone through the public link; the organiser sees the request."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.planning.models import Activity, ActivityStatus
from app.registration import self_service
from tests.browser.conftest import screenshot
from tests.browser.test_people_on_phone import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.no_transaction]


def test_a_participant_registers_from_a_phone(live_server, live_app, phone):
    with live_app.test_request_context():
        activity = db.session.scalar(select(Activity).where(Activity.status == ActivityStatus.approved))
        token = self_service.publish(activity)
        db.session.commit()
        title = activity.title

    phone.goto(f"{live_server}/r/{token}")
    assert phone.get_by_role("heading", name="Đăng ký tham dự").is_visible()
    assert phone.get_by_text(title).is_visible()
    assert no_horizontal_scroll(phone)
    phone.get_by_label("Họ và tên").fill("lò thị xinh")
    phone.get_by_label("Nữ").check()
    phone.get_by_label("Năm sinh (nếu không rõ ngày)").fill("1992")
    phone.get_by_label("Số điện thoại").fill("09abc")
    phone.get_by_role("button", name="Gửi đăng ký").click()
    assert phone.get_by_text("Số điện thoại chỉ gồm chữ số", exact=False).is_visible()
    phone.get_by_label("Số điện thoại").fill("+84 912 111 222")
    unit_value = phone.locator("#unit_id option").nth(1).get_attribute("value")
    phone.locator("#unit_id").select_option(unit_value)
    phone.locator("#level").select_option("village")
    phone.get_by_role("button", name="Gửi đăng ký").click()
    phone.get_by_role("heading", name="Đã gửi đăng ký").wait_for()
    screenshot(phone, "self-registration-done-phone")

    with live_app.app_context():
        from app.registration.models import RegistrationRequest

        request = db.session.scalars(select(RegistrationRequest).order_by(RegistrationRequest.id.desc())).first()
        assert (request.data["full_name"], request.data["phone"]) == ("Lò Thị Xinh", "0912111222")
        db.session.remove()
