"""Stored XSS: a script payload in every free-text field is escaped on every page, printed literally
in every PDF, and kept as text in every .xlsx/.docx export."""

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from tests.factories import bearer_token, make_user
from tests.routes import format_rule, route_objects
from tests.security.bodies import body_text
from tests.security.payloads import XSS, XSS_MARKERS, poison

FILES = ("application/pdf", "application/zip", "spreadsheetml", "wordprocessingml")
# Files whose text is not ours to print (a stored upload, a blank template, a QR image), and the
# audit log's export: the payload goes straight into the tables here, so nothing logged holds it.
NOT_PRINTED = {
    "materials.version_download",
    "materials.participant_download",
    "registration.import_template",
    "audit.audit_export",
}


def _public_pages(objects) -> list[str]:
    from app.certificates.models import Certificate
    from app.evaluations.models import Questionnaire
    from app.planning.models import Activity
    from app.registration.self_service import publish

    certificate = db.session.get(Certificate, objects["certificate_id"])
    certificate.data = {**certificate.data, "start_date": "2023-05-10", "end_date": "2023-05-11"}  # as issued
    questionnaire = db.session.get(Questionnaire, objects["questionnaire_id"])
    return [
        f"/verify/{certificate.code}",
        f"/api/v1/verify/{certificate.code}",
        f"/e/{questionnaire.token}",
        f"/r/{publish(db.session.get(Activity, objects['activity_id']))}",
        f"/m/{objects['token']}",
    ]


@pytest.mark.parametrize("role", [Role.admin, Role.district])
def test_a_stored_script_is_inert_on_every_page_and_file(app, client, auth, role):
    objects = route_objects()
    public = _public_pages(objects)
    changed = poison(XSS)
    assert {"people.full_name", "activities.title", "questions.text", "advances.purpose"} <= set(changed)
    user = make_user(role)
    auth.login(user)
    problems, pages, files = [], 0, 0
    urls = [format_rule(r.rule, objects) for r in app.url_map.iter_rules() if "GET" in r.methods]
    urls += public + ["/people/?q=" + XSS, "/materials/?q=" + XSS, "/activities/?q=" + XSS, "/reports?year=2023"]
    for url in urls:
        headers = {"Authorization": f"Bearer {bearer_token(app, user)}"} if url.startswith("/api/") else {}
        response = client.get(url + ("&" if "?" in url else "?") + "year=2023", headers=headers)
        endpoint = app.url_map.bind("").match(url.split("?")[0], return_rule=True)[0].endpoint
        if response.status_code >= 500:
            problems.append(f"{url} -> {response.status_code}")
            continue
        if response.status_code != 200 or endpoint in NOT_PRINTED:
            continue
        if response.mimetype == "text/html":
            pages += 1
            html = response.get_data(as_text=True)
            problems += [f"{url}: raw {m!r}" for m in XSS_MARKERS if m in html]
        elif any(kind in response.mimetype for kind in FILES):
            files += 1
            if not any(m in body_text(response) for m in XSS_MARKERS):
                problems.append(f"{url}: the payload is not printed literally")
    assert problems == []
    assert pages >= (60 if role is Role.admin else 30) and files >= (8 if role is Role.admin else 4)


def test_json_answers_keep_the_text_and_declare_json(client, auth, api):
    from app.people.models import Person
    from tests.factories import make_person

    person = make_person(full_name=XSS)
    admin = make_user(Role.admin)
    response = api("GET", f"/people/{person.id}", user=admin)
    assert response.mimetype == "application/json" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["full_name"] == XSS  # data, not markup: the client decides how to show it
    assert db.session.scalar(select(Person.full_name).where(Person.id == person.id)) == XSS


def test_only_the_escaping_helper_builds_reportlab_paragraphs():
    import re

    from app.config import PROJECT_ROOT

    builders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "app").rglob("*.py")
        if re.search(r"\bParagraph\(", path.read_text(encoding="utf-8"))
        and path.name != "pdf.py"
        or (path.name == "pdf.py" and path.parent.name != "core" and "Paragraph(" in path.read_text(encoding="utf-8"))
    ]
    assert builders == [], "build paragraphs with app.core.pdf.paragraph (it escapes stored text)"


def test_an_uploaded_file_is_only_ever_a_download(client, auth):
    """A material is served as an attachment with its checked type and nosniff, never rendered as a
    page of ours: a .txt holding a script stays text, and .html or .svg are not taken at all."""
    import io

    from app.materials.models import Material

    auth.login(make_user(Role.organiser))

    def upload(name, content):
        return client.post(
            "/materials/new",
            data={"title": "Tài liệu", "file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )

    for name in ("trang.html", "anh.svg", "trang.htm"):
        assert "Chỉ nhận tệp PDF" in upload(name, XSS.encode()).get_data(as_text=True)
    assert upload("ghi-chu.txt", XSS.encode()).status_code == 302
    material = db.session.scalars(select(Material).order_by(Material.id.desc())).first()
    version = material.current
    response = client.get(f"/materials/{material.id}/versions/{version.id}/download")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.mimetype == "text/plain" and response.headers["X-Content-Type-Options"] == "nosniff"
