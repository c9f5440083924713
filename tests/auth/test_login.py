"""Signing in and out: sessions, rate limits, safe redirects, invalidation."""

from app.audit.models import AuditEntry
from app.auth import services
from app.auth.models import Role
from app.extensions import db
from tests.factories import make_user


def test_sign_in_and_out(auth, client):
    user = make_user(Role.organiser)

    response = auth.login(user)
    assert response.status_code == 302
    assert client.get("/").status_code == 200

    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_says_so_in_vietnamese_and_is_audited(auth):
    user = make_user(Role.organiser)

    page = auth.login(user, password="sai-mat-khau-roi").get_data(as_text=True)

    assert "Tên đăng nhập hoặc mật khẩu không đúng." in page
    assert db.session.query(AuditEntry).filter_by(action="auth.login_failed").count() == 1


def test_deactivated_user_cannot_sign_in(auth):
    user = make_user(Role.organiser, is_active_account=False)

    assert "không đúng" in auth.login(user).get_data(as_text=True)


def test_login_redirects_only_to_local_paths(auth):
    user = make_user(Role.organiser)

    response = auth.login(user, next="//evil.example.com/steal")
    assert response.location == "/"

    auth.logout()
    response = auth.login(user, next="/people/?q=huong")
    assert response.location == "/people/?q=huong"


def test_pages_send_unauthenticated_visitors_to_login_with_next(client):
    response = client.get("/people/")
    assert response.status_code == 302
    assert "/login?next=%2Fpeople%2F" in response.location


def test_login_attempts_are_rate_limited(app, auth):
    user = make_user(Role.organiser)
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [auth.login(user, password="sai-mat-khau-roi").status_code for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429


def test_rate_limited_page_explains_in_vietnamese(app, auth):
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    try:
        auth.login("nobody", password="x" * 12)
        page = auth.login("nobody", password="x" * 12).get_data(as_text=True)
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert "Bạn thao tác quá nhiều lần" in page


def test_password_change_ends_other_sessions(app, auth, client):
    user = make_user(Role.organiser)
    auth.login(user)
    other_device = app.test_client()
    other_device.post("/login", data={"username": user.username, "password": "Mật-khẩu-thử-2023"})
    assert other_device.get("/").status_code == 200

    response = client.post(
        "/account/password",
        data={
            "current_password": "Mật-khẩu-thử-2023",
            "password": "mật khẩu mới dài hơn",
            "password_again": "mật khẩu mới dài hơn",
        },
    )

    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this device stays signed in
    assert other_device.get("/").status_code == 302  # the other one is out
    assert auth.logout() and auth.login(user, password="mật khẩu mới dài hơn").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(auth, client):
    user = make_user(Role.organiser)
    auth.login(user)
    old_hash = user.password_hash

    page = client.post(
        "/account/password",
        data={
            "current_password": "không phải mật khẩu",
            "password": "mật khẩu mới dài hơn",
            "password_again": "mật khẩu mới dài hơn",
        },
    ).get_data(as_text=True)

    assert "Mật khẩu hiện tại không đúng." in page
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_deactivation_ends_the_session(auth, client, app):
    user = make_user(Role.organiser)
    admin = make_user(Role.admin)
    auth.login(user)
    with app.test_request_context():
        services.update_user(
            user,
            {"username": user.username, "full_name": user.full_name, "role": user.role, "is_active_account": False},
            acting_user=admin,
        )
    db.session.flush()

    assert client.get("/").status_code == 302


def test_session_cookie_flags(auth, app):
    user = make_user(Role.organiser)
    response = auth.login(user, remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


def test_passwords_are_stored_hashed():
    user = make_user(Role.organiser, password="một mật khẩu bí mật")
    assert "một mật khẩu bí mật" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_sign_out_also_ends_a_remembered_login(auth, client):
    user = make_user(Role.organiser)
    auth.login(user, remember="y")
    response = auth.logout()
    assert any(c.startswith("remember_token=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/").status_code == 302


def test_failed_api_logins_are_audited_too(client):
    client.post("/api/v1/auth/token", json={"username": "ke-gian", "password": "doan-mo-mat-khau"})
    entry = db.session.query(AuditEntry).filter_by(action="auth.login_failed").one()
    assert entry.after == {"username": "ke-gian"}
