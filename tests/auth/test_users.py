"""An admin creates users and assigns role and scope."""

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import Role, User
from app.extensions import db
from tests.factories import make_user, unit


@pytest.fixture
def admin(auth):
    user = make_user(Role.admin)
    auth.login(user)
    return user


def user_form(**overrides):
    data = {
        "username": "can.bo.loc.binh",
        "full_name": "Vi Thị Hạnh",
        "email": "",
        "role": "district",
        "unit_id": str(unit("188").id),
        "is_active_account": "y",
        "password": "một mật khẩu đủ dài",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_scoped_district_officer_who_can_sign_in(app, client, admin):
    assert client.post("/admin/users/new", data=user_form()).status_code == 302

    created = db.session.scalar(select(User).where(User.username == "can.bo.loc.binh"))
    assert (created.role, created.unit.name) == (Role.district, "Huyện Lộc Bình")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create")).after["role"] == "district"
    other = app.test_client()
    assert (
        other.post("/login", data={"username": "can.bo.loc.binh", "password": "một mật khẩu đủ dài"}).status_code == 302
    )


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"unit_id": ""}, "Cán bộ địa phương phải được gán một đơn vị hành chính."),
        ({"username": "Có Dấu"}, "Tên đăng nhập gồm 3-60 ký tự"),
        ({"password": "ngắn"}, "Mật khẩu phải có ít nhất 10 ký tự."),
        ({"role": "superuser"}, "Vai trò không hợp lệ."),
    ],
)
def test_bad_user_data_is_refused(client, admin, overrides, field_message):
    page = client.post("/admin/users/new", data=user_form(**overrides)).get_data(as_text=True)
    assert field_message in page
    assert db.session.scalar(select(User).where(User.username == "can.bo.loc.binh")) is None


def test_username_is_unique(client, admin):
    make_user(Role.leader, username="lanh.dao")
    page = client.post("/admin/users/new", data=user_form(username="lanh.dao")).get_data(as_text=True)
    assert "Tên đăng nhập này đã có người dùng." in page


def test_an_admin_cannot_demote_or_lock_themself(client, admin):
    page = client.post(
        f"/admin/users/{admin.id}/edit", data=user_form(username=admin.username, role="leader", unit_id="", password="")
    ).get_data(as_text=True)
    assert "Bạn không thể tự bỏ quyền quản trị" in page
    db.session.refresh(admin)
    assert admin.role is Role.admin


def test_changing_a_users_scope_ends_their_sessions(app, client, admin):
    officer = make_user(Role.district, unit_code="188")
    device = app.test_client()
    device.post("/login", data={"username": officer.username, "password": "Mật-khẩu-thử-2023"})
    assert device.get("/").status_code == 200

    client.post(
        f"/admin/users/{officer.id}/edit",
        data=user_form(username=officer.username, unit_id=str(unit("183").id), password=""),
    )

    assert device.get("/").status_code == 302


def test_only_admins_manage_users(client, auth):
    auth.login(make_user(Role.organiser))
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data=user_form()).status_code == 403


def test_a_unit_that_does_not_exist_is_a_message_not_a_crash(client, admin):
    response = client.post("/admin/users/new", data=user_form(unit_id="99999999"))
    assert response.status_code == 200
    assert "Đơn vị hành chính không tồn tại." in response.get_data(as_text=True)
