"""The administrator's audit search: filters, newest first, Vietnam dates, pages, an audited export."""

import io
from datetime import datetime, timedelta

import openpyxl
import pytest

from app.audit.models import AuditEntry
from app.audit.services import EXPORT_ACTION
from app.auth.models import Role
from app.extensions import db
from tests.factories import make_user


@pytest.fixture
def log(app_ctx):
    """Entries on three days (times in naive UTC, as stored) by two users."""
    lan, minh = make_user(Role.organiser, username="lan"), make_user(Role.finance, username="minh")
    rows = [
        # 31/05/2023 23:30 UTC is 01/06/2023 06:30 in Vietnam: it belongs to 1 June.
        AuditEntry(at=datetime(2023, 5, 31, 23, 30), actor_id=lan.id, action="auth.login", object_type="users"),
        AuditEntry(at=datetime(2023, 5, 31, 2, 0), actor_id=minh.id, action="auth.login", object_type="users"),
        AuditEntry(
            at=datetime(2023, 6, 2, 3, 0),
            actor_id=minh.id,
            action="expenditure.void",
            object_type="expenditures",
            object_id="42",
            after={"reason": "Ghi nhầm hoạt động"},
        ),
        AuditEntry(
            at=datetime(2023, 6, 3, 1, 0), action="auth.login_failed", object_type="users", after={"username": "x"}
        ),
    ]
    db.session.add_all(rows)
    db.session.flush()
    return lan, minh


def shown(client, query: str) -> str:
    return client.get(f"/admin/audit?{query}").get_data(as_text=True)


def test_only_an_admin_may_search(client, auth, log):
    lan, _ = log
    auth.login(lan)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.xlsx").status_code == 403


def test_filters_by_day_in_vietnam_time_user_action_object_and_text(client, auth, log):
    lan, minh = log
    auth.login(make_user(Role.admin))
    day = shown(client, "date_from=01/06/2023&date_to=01/06/2023&action=auth.login")
    assert "01/06/2023 06:30" in day and "31/05/2023 09:00" not in day  # dd/mm/yyyy HH:MM, Vietnam time
    by_user = shown(client, f"actor_id={minh.id}")
    assert "expenditure.void" in by_user and "06:30" not in by_user
    # A prefix ending in a dot finds every sign-in entry (before today: the admin just signed in too).
    assert "3 mục" in shown(client, "action=auth.&date_to=30/06/2023")
    assert "1 mục" in shown(client, "object_type=expenditures&object_id=42")
    found = shown(client, "q=nhầm")
    assert "Ghi nhầm hoạt động" in found and "auth.login" not in found.split("<tbody>")[1]


def test_newest_first_and_paged(client, auth, log):
    auth.login(make_user(Role.admin))
    db.session.add_all(
        AuditEntry(at=datetime(2023, 7, 1, 0) + timedelta(minutes=i), action="test.many", object_type="t")
        for i in range(105)
    )
    db.session.flush()
    first = shown(client, "action=test.many")
    assert first.index("01/07/2023 08:44") < first.index("01/07/2023 08:43")  # the last one first
    assert "Trang 1 / 2" in first and "01/07/2023 07:04" not in first
    assert "01/07/2023 07:00" in shown(client, "action=test.many&page=2")


def test_a_bad_date_is_a_clear_error_not_a_crash(client, auth, log):
    auth.login(make_user(Role.admin))
    response = client.get("/admin/audit?date_from=32/13/2023")
    assert response.status_code == 200
    assert "Từ ngày không hợp lệ (dd/mm/yyyy): 32/13/2023" in response.get_data(as_text=True)


def test_the_export_holds_the_search_result_and_is_itself_audited(client, auth, log):
    _, minh = log
    admin = make_user(Role.admin)
    auth.login(admin)
    response = client.get(f"/admin/audit.xlsx?actor_id={minh.id}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Thời gian", "Người thực hiện", "Thao tác")
    assert [r[2] for r in rows[1:]] == ["expenditure.void", "auth.login"]
    assert rows[1][0] == "02/06/2023 10:00" and rows[1][1] == "minh"
    (entry,) = db.session.query(AuditEntry).filter_by(action=EXPORT_ACTION).all()
    assert entry.actor_id == admin.id
    assert entry.after["export"] == "audit.xlsx" and entry.after["rows"] == 2
    assert entry.after["filters"] == {"actor_id": minh.id}
