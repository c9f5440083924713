"""Every file that leaves with people's data in it writes exactly one audit entry, and no data."""

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.audit.services import EXPORT_ACTION
from app.auth.models import Role
from app.extensions import db
from tests.factories import bearer_token, make_user
from tests.routes import format_rule, route_objects

# Files without anyone's personal data: aggregate reports (small cells suppressed), the blank
# import template, training materials, and the QR images that carry only a token.
NOT_PERSONAL = {
    "reports.export_xlsx",
    "reports.export_docx",
    "reports.export_pdf",
    "reports.framework_export",
    "registration.import_template",
    "materials.version_download",
    "materials.participant_download",
    "certificates.template_preview",  # sample data
}


def _is_file(response) -> bool:
    return "Content-Disposition" in response.headers or response.mimetype not in ("text/html", "application/json")


def test_each_personal_data_download_writes_exactly_one_entry(app, client, auth):
    values = route_objects()
    admin = make_user(Role.admin)
    auth.login(admin)
    downloads = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = format_rule(rule.rule, values)
        before = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
        headers = {"Authorization": f"Bearer {bearer_token(app, admin)}"} if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        if response.status_code != 200 or not _is_file(response):
            continue
        new = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > before, AuditEntry.action == EXPORT_ACTION)
        ).all()
        if rule.endpoint in NOT_PERSONAL or response.mimetype.startswith("image/"):
            assert new == [], f"{url} is declared free of personal data but was logged"
            continue
        assert len(new) == 1, f"GET {url} ({rule.endpoint}) wrote {len(new)} export entries"
        downloads[rule.endpoint] = new[0]
        assert new[0].actor_id == admin.id and isinstance(new[0].after["rows"], int)
    # The walk really reached the exports this test is about (a route renamed would slip out otherwise).
    assert {
        "people.person_export",
        "attendance.activity_attendance_export",
        "attendance.session_attendance_export",
        "attendance.sign_in_sheet",
        "registration.enrolment_export",
        "registration.letters",
        "certificates.activity_zip",
        "evaluations.results_export",
        "costs.expenditure_export",
        "costs.allowances_pdf",
        "costs.allowances_xlsx",
        "privacy.subject_export",
        "audit.audit_export",
    } <= set(downloads), sorted(downloads)


def test_an_export_entry_names_the_export_filter_and_count_never_the_data(client, auth):
    from app.people.models import Gender
    from tests.factories import make_person

    make_person(full_name="Lường Thị Nga", gender=Gender.female, phone="0912345678", id_number="020190001234")
    make_person(full_name="Lường Văn Sáng", gender=Gender.male)
    auth.login(make_user(Role.organiser))
    client.get("/people/export.csv?q=luong&gender=female&page=3")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == EXPORT_ACTION))
    assert entry.after["export"] == "people.csv"
    assert entry.after["filters"] == {"q": "luong", "gender": "female"}
    assert entry.after["rows"] == 1
    assert "Nga" not in str(entry.after) and "0912345678" not in str(entry.after)
