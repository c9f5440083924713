"""Pages as a browser receives them: headers, language, local assets, CSRF."""

import re

from app.auth.models import Role
from app.config import PROJECT_ROOT
from tests.factories import make_user


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_vietnamese_by_default_and_english_on_request(client):
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)

    response = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.location == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page

    client.post("/lang", data={"lang": "vi", "next": "/login"})
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


def test_english_error_messages_too(client, auth):
    client.post("/lang", data={"lang": "en"})
    page = auth.login("nobody", password="wrong-password").get_data(as_text=True)
    assert "Incorrect username or password" in page


def test_unknown_language_is_ignored(client):
    client.post("/lang", data={"lang": "fr"})
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


def test_no_asset_comes_from_the_internet():
    pattern = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//""", re.IGNORECASE)
    css_import = re.compile(r"@import|url\(\s*['\"]?(https?:)?//", re.IGNORECASE)
    for path in list((PROJECT_ROOT / "templates").rglob("*.html")) + list((PROJECT_ROOT / "app" / "static").rglob("*")):
        if path.is_file() and path.suffix in (".html", ".css", ".js"):
            text = path.read_text(encoding="utf-8")
            assert not pattern.search(text), f"external asset in {path}"
            assert not css_import.search(text), f"external import in {path}"


def test_static_assets_are_served_locally(client):
    assert client.get("/static/css/app.css").status_code == 200


def test_pages_are_readable_on_a_phone(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_csrf_is_required_on_every_form_post(app, client, auth):
    user = make_user(Role.admin)
    auth.login(user)  # CSRF is off for the rest of the suite; switch it on for this test
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for rule in app.url_map.iter_rules():
            if "POST" not in rule.methods or rule.rule.startswith("/api/"):
                continue
            url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "1", rule.rule).replace("/reference/1", "/reference/topics")
            response = client.post(url, data={})
            assert response.status_code == 400, f"POST {url} accepted without a CSRF token"
            assert "Phiên làm việc của biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_get_requests_change_nothing(app, client, auth):
    """Walk every GET page and API route as an admin: no audit entry and no row may appear."""
    from sqlalchemy import func, select

    from app.audit.models import AuditEntry
    from app.extensions import db
    from app.people.models import Person
    from tests.factories import bearer_token
    from tests.routes import format_rule, route_objects

    values = route_objects()
    person = db.session.get(Person, values["person_id"])
    user = make_user(Role.admin)
    auth.login(user)

    from app.audit.services import RECORD_ONLY_ACTIONS

    def snapshot():
        # Downloads of personal data, refused check-ins and refused requests (an admin lacks
        # costs.edit) are logged: records of an attempt, not changes of data.
        return (
            db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.not_in(RECORD_ONLY_ACTIONS))),
            db.session.scalar(select(func.count(Person.id))),
            person.updated_at,
        )

    before = snapshot()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = format_rule(rule.rule, values)
        headers = {"Authorization": f"Bearer {bearer_token(app, user)}"} if url.startswith("/api/") else {}
        client.get(url, headers=headers)
        db.session.expire_all()
        assert snapshot() == before, f"GET {url} changed something"


def test_translations_are_complete_and_keep_placeholders():
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    with open(PROJECT_ROOT / "app/translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id: m.string for m in catalogue if m.id}
    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    missing = []
    for _, _, message, _, _ in extract_from_dir(str(PROJECT_ROOT), method_map=method_map, keywords=keywords):
        if isinstance(message, tuple):
            message = message[0]
        if not translated.get(message):
            missing.append(message)
        else:
            assert sorted(re.findall(r"%\(\w+\)\w", message)) == sorted(re.findall(r"%\(\w+\)\w", translated[message]))
    assert missing == [], f"strings without an English translation (run make extract-messages): {missing}"


def test_lazy_messages_stay_escaped_in_templates(app):
    from flask import render_template_string

    from app.core.i18n import lazy_gettext

    with app.test_request_context():
        html = render_template_string("{{ m }}", m=lazy_gettext("Không được chứa ký tự < hoặc >."))
    assert "&lt;" in html and "<" not in html.replace("&lt;", "")
