"""Every route, every role: each endpoint declares a rule and the app enforces exactly that rule."""

import pytest

from app.auth.models import Role
from app.permissions import PUBLIC, RULES, declared_permission
from tests.factories import bearer_token, make_user
from tests.routes import format_rule, route_objects


def test_every_endpoint_declares_a_rule(app):
    undeclared = sorted(
        rule.endpoint for rule in app.url_map.iter_rules() if declared_permission(app, rule.endpoint) is None
    )
    assert undeclared == [], f"endpoints without @require/@public: {undeclared}"


def test_every_declared_rule_exists(app):
    for rule in app.url_map.iter_rules():
        permission = declared_permission(app, rule.endpoint)
        assert permission == PUBLIC or permission in RULES, rule.endpoint


SIGN_IN_ENDPOINTS = {"auth.logout", "auth.login", "core.set_language", "api.token_create"}


def _requests(app, objects):
    # Routes that delete or replace what they are given go last, so the others still find their objects.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: ("delete" in r.rule or "rebuild" in r.rule, r.rule)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, format_rule(rule.rule, objects)


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_each_role_gets_exactly_what_the_policy_declares(app, client, auth, role):
    objects = route_objects()
    user = None
    if role is not None:
        user = make_user(role)
        auth.login(user)
    problems = []
    for rule, method, url in _requests(app, objects):
        permission = declared_permission(app, rule.endpoint)
        if rule.endpoint in SIGN_IN_ENDPOINTS:
            continue  # they answer 401/redirects by design; covered by the auth tests
        # A fresh token per call: one of the routes revokes the token it is called with.
        headers = {"Authorization": f"Bearer {bearer_token(app, user)}"} if user and url.startswith("/api/") else {}
        kwargs = {"json": {}} if url.startswith("/api/") and method != "GET" else {"data": {}}
        response = client.open(url, method=method, headers=headers, **kwargs)
        status = response.status_code
        if permission == PUBLIC:
            ok = status not in (401, 403)
        elif role is None:
            ok = status == 401 if url.startswith("/api/") else (status == 302 and "/login" in response.location)
        elif role in RULES[permission]:
            ok = status not in (401, 403, 404, 405, 500)
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{method} {url} ({permission}) -> {status}")
    assert problems == []
