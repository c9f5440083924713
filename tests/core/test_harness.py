"""Guards for the test harness itself: isolation between tests and between requests."""

from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db
from tests.factories import make_user


def test_isolation_probe_writes_and_commits_through_a_request(client, auth):
    admin = make_user(Role.admin)
    auth.login(admin)
    client.post(
        "/admin/users/new",
        data={
            "username": "isolation-probe",
            "full_name": "Probe",
            "role": "leader",
            "password": "một mật khẩu đủ dài",
            "is_active_account": "y",
        },
    )
    assert db.session.scalar(select(User).where(User.username == "isolation-probe")) is not None


def test_isolation_probe_is_gone_in_the_next_test():
    assert db.session.scalar(select(User).where(User.username == "isolation-probe")) is None


def test_a_signed_out_client_does_not_inherit_another_clients_user(app, client, auth):
    auth.login(make_user(Role.admin))
    assert client.get("/").status_code == 200
    assert app.test_client().get("/").status_code == 302
