"""Security headers on every response (pages, files, JSON, static files, errors) and generic error
pages — no stack trace, SQL or version — for 403, 404, 405, 413, 429 and 500, in Vietnamese and English."""

import io
import re

import pytest
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import TooManyRequests

from app.auth.models import Role
from tests.factories import bearer_token, make_activity, make_user
from tests.routes import format_rule, route_objects

LEAKS = re.compile(
    r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|SELECT |Werkzeug|Python/|Flask/|gunicorn/|\bline \d+|Mật-khẩu",
    re.IGNORECASE,
)


def _assert_headers(response, where):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert "Server" not in headers and "X-Powered-By" not in headers, where  # the app never names itself
    if not where.startswith("GET /static/"):
        assert headers.get("Cache-Control") == "no-store", where  # pages carry personal data


@pytest.mark.parametrize("role", [None, Role.admin, Role.district])
def test_every_route_answers_with_the_security_headers(app, client, auth, role):
    objects = route_objects()
    user = make_user(role) if role else None
    if user:
        auth.login(user)
    seen = set()
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method != "GET" and "delete" in rule.rule:
                continue  # deleting would take objects away from the routes still to walk
            url = format_rule(rule.rule, objects)
            api = url.startswith("/api/")
            headers = {"Authorization": f"Bearer {bearer_token(app, user)}"} if api and user else {}
            response = client.open(url, method=method, headers=headers, **({"json": {}} if api else {"data": {}}))
            _assert_headers(response, f"{method} {url}")
            seen.add(response.status_code)
    assert {200, 302} <= seen or {200, 401} <= seen  # the walk met real pages, not only refusals


def _error_pages(app, client, auth, monkeypatch):
    """(status, response) for each error a person can meet."""
    district = make_user(Role.district)
    auth.login(district)
    activity = make_activity()
    yield 403, client.get("/costs/norms")
    yield 404, client.get("/people/999999999")
    yield 404, client.get("/no-such-page")
    yield 405, client.get("/logout")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    yield (
        413,
        client.post(f"/activities/{activity.id}/import", data={"file": (io.BytesIO(b"0" * 4096), "a.csv")}),
    )
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 26 * 1024 * 1024)

    def too_many():
        raise TooManyRequests()

    def broken():
        raise OperationalError("SELECT full_name FROM people WHERE id_number = '020185001234'", {}, Exception("boom"))

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert "api.unit_list" in app.view_functions and "core.health" in app.view_functions  # patching real views
    monkeypatch.setitem(app.view_functions, "core.health", too_many)
    yield 429, client.get("/healthz")
    monkeypatch.setitem(app.view_functions, "core.health", broken)
    yield 500, client.get("/healthz")
    yield 500, client.get("/healthz", headers={"Accept": "application/json"})
    monkeypatch.setitem(app.view_functions, "api.unit_list", broken)
    yield 500, client.get("/api/v1/units", headers={"Authorization": f"Bearer {bearer_token(app, district)}"})


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "vi",
            {
                403: "không có quyền",
                404: "Không tìm thấy",
                405: "Phương thức",
                413: "quá lớn",
                429: "quá nhiều",
                500: "Đã có lỗi",
            },
        ),
        (
            "en",
            {
                403: "permission",
                404: "not found",
                405: "not supported",
                413: "too large",
                429: "too many attempts",
                500: "an error occurred",
            },
        ),
    ],
)
def test_error_pages_are_generic_and_translated(app, client, auth, monkeypatch, language, words):
    client.post("/lang", data={"lang": language})
    statuses = set()
    for status, response in _error_pages(app, client, auth, monkeypatch):
        body = response.get_json()["error"]["message"] if response.is_json else response.get_data(as_text=True)
        where = f"{status} ({language})"
        assert response.status_code == status, where
        _assert_headers(response, where)
        raw = response.get_data(as_text=True)
        assert not LEAKS.search(raw), f"{where}: {LEAKS.search(raw).group(0)!r} in the page"
        assert "020185001234" not in raw
        assert words[status].lower() in body.lower(), f"{where}: {body[-600:]}"
        statuses.add(status)
    assert statuses == {403, 404, 405, 413, 429, 500}
