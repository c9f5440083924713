"""Every route, every role: each endpoint declares a rule and the app enforces exactly that rule."""

import pytest

from app.auth.models import Role
from app.permissions import PUBLIC, RULES, declared_permission
from tests.factories import bearer_token, ethnicity, make_person, make_user, unit


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


def _objects():
    """One in-scope object for every URL parameter our routes take."""
    organiser = make_user(Role.organiser)
    person = make_person()  # in Huyện Lộc Bình, the district officer's scope
    return {
        "person_id": person.id,
        "unit_id": unit("188").id,
        "user_id": organiser.id,
        "kind": "ethnicities",
        "row_id": ethnicity("07").id,
        "filename": "css/app.css",
    }


def _format(rule_text, objects):
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(objects[m.group(1)]), rule_text)


def _requests(app, objects):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, _format(rule.rule, objects)


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
def test_each_role_gets_exactly_what_the_policy_declares(app, client, auth, role):
    objects = _objects()
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
