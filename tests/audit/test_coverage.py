"""Each event the audit trail promises writes exactly one entry: sign-ins, refused check-ins,
attendance corrections, money changes and certificate revocations (exports: test_exports.py)."""

from datetime import date

import pytest
from sqlalchemy import select

from app.attendance import services as attendance
from app.audit.models import AuditEntry
from app.auth.models import Role
from app.costs import spending
from app.extensions import db
from app.planning.models import ActivityStatus
from tests.factories import PASSWORD, make_activity, make_user


class NewEntries:
    """The entries written since it was created."""

    def __init__(self):
        self.after_id = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0

    def __call__(self) -> list[AuditEntry]:
        db.session.expire_all()
        return db.session.scalars(select(AuditEntry).where(AuditEntry.id > self.after_id).order_by(AuditEntry.id)).all()


def test_a_sign_in_writes_one_entry_by_the_user(client, auth, app_ctx):
    user = make_user(Role.finance)
    new = NewEntries()
    auth.login(user)
    assert [(e.action, e.actor_id, e.object_id) for e in new()] == [("auth.login", user.id, str(user.id))]


def test_a_failed_sign_in_writes_one_entry_with_the_name_tried_never_the_password(client, auth, app_ctx):
    user = make_user(Role.finance)
    new = NewEntries()
    auth.login(user, password="sai-mat-khau-123")
    (entry,) = new()
    assert (entry.action, entry.actor_id, entry.after) == ("auth.login_failed", None, {"username": user.username})
    assert "sai-mat-khau-123" not in str(entry.before) + str(entry.after)


def test_passwords_and_their_hashes_never_reach_the_log(client, auth, app_ctx):
    auth.login(make_user(Role.admin))
    form = {"username": "can.bo.moi", "full_name": "Cán Bộ Mới", "role": "finance", "password": "Bí-mật-rất-dài-2023"}
    client.post("/admin/users/new", data={**form, "is_active_account": "y"})
    from app.auth.models import User

    created = db.session.scalar(select(User).where(User.username == "can.bo.moi"))
    client.post(f"/admin/users/{created.id}/edit", data={**form, "password": "Mật-khẩu-khác-2024"})
    logged = " ".join(str(e.before) + str(e.after) for e in db.session.scalars(select(AuditEntry)))
    assert {"user.create", "user.password"} <= {e.action for e in db.session.scalars(select(AuditEntry))}
    for secret in ("Bí-mật-rất-dài-2023", "Mật-khẩu-khác-2024", created.password_hash, PASSWORD):
        assert secret not in logged


def test_a_refused_check_in_writes_one_entry_with_its_code(api, course, clock, organiser):
    _, session, _, _ = course
    clock.at(0)
    new = NewEntries()
    response = api("POST", "/checkins", organiser, json={"session_id": session.id, "code": "DA7E1:not-a-token"})
    assert response.get_json()["error"]["code"] == "invalid"
    (entry,) = new()
    assert (entry.action, entry.actor_id) == ("attendance.refuse", organiser.id)
    assert entry.after["code"] == "invalid" and entry.after["session_id"] == session.id


def test_an_attendance_correction_writes_one_entry(client, auth, course, clock, organiser):
    _, session, people, enrolments = course
    clock.at(0)
    wrong = attendance.self_check_in(session, enrolments[0], device_id="d").attendance
    auth.login(organiser)
    new = NewEntries()
    client.post(f"/sessions/{session.id}/attendance/{wrong.id}/remove", data={"reason": "Quét nhầm người"})
    (entry,) = new()
    assert (entry.action, entry.actor_id, entry.after["reason"]) == (
        "attendance.remove",
        organiser.id,
        "Quét nhầm người",
    )

    new = NewEntries()
    client.post(
        f"/sessions/{session.id}/attendance/mark", data={"person_id": [people[1].id], "reason": "Quên điện thoại"}
    )
    (entry,) = new()
    assert entry.action == "attendance.create" and entry.after["reason"] == "Quên điện thoại"


def _payment(activity, **fields) -> dict:
    return {
        "activity_id": activity.id,
        "budget_line_id": activity.budget_line_id,
        "funding_source_id": activity.funding_source_id,
        "voucher_no": "PC-101",
        "voucher_date": date(2023, 5, 12),
        "description": "Chi nước uống",
        "amount": 1_250_000,
        **fields,
    }


@pytest.mark.parametrize("over_budget", [False, True])
def test_each_money_change_writes_one_entry(app_ctx, over_budget):
    finance = make_user(Role.finance)
    activity = make_activity()
    amount = 10_000_000_000 if over_budget else 1_250_000
    new = NewEntries()
    expenditure = spending.record_expenditure(_payment(activity, amount=amount), finance, "Đã xin ý kiến")
    (entry,) = new()
    assert (entry.action, entry.actor_id, entry.after["amount"]) == ("expenditure.create", finance.id, amount)
    assert ("overruns" in entry.after) is over_budget

    new = NewEntries()
    spending.void_expenditure(expenditure, "Ghi nhầm hoạt động", finance)
    assert [(e.action, e.actor_id) for e in new()] == [("expenditure.void", finance.id)]

    new = NewEntries()
    fields = {"voucher_no": "TU-01", "payee": "Ngô Thị Lan", "purpose": "Tổ chức lớp", "amount": 2_000_000}
    spending.record_advance(_payment(activity, **fields), finance)
    assert [(e.action, e.actor_id) for e in new()] == [("advance.create", finance.id)]


def test_a_certificate_revocation_writes_one_entry(app, tmp_path, organiser):
    from app.certificates import services as certificates
    from tests.certificates.test_certificates import course_with

    previous, app.config["CERTIFICATES_DIR"] = app.config["CERTIFICATES_DIR"], str(tmp_path)
    try:
        activity, _ = course_with(organiser, [5])
        (certificate,) = certificates.issue(activity, organiser)
        new = NewEntries()
        certificates.revoke(certificate, organiser, "Cấp nhầm người")
        (entry,) = new()
        assert (entry.action, entry.actor_id, entry.object_id, entry.after["reason"]) == (
            "certificate.revoke",
            organiser.id,
            str(certificate.id),
            "Cấp nhầm người",
        )
    finally:
        app.config["CERTIFICATES_DIR"] = previous
    assert activity.status is ActivityStatus.completed
