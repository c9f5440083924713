"""IDOR: a district officer asking for another district's objects gets the same 404 as for a missing
object, on every object route, page and API alike, for every method; each refusal is audited; lists
and exports never carry the other district's rows."""

import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.extensions import db
from app.permissions import RULES, declared_permission
from app.registration.models import Enrolment
from tests.factories import bearer_token, make_user, unit
from tests.routes import (
    OTHER_ACTIVITY_TITLE,
    OTHER_PERSON_NAME,
    PERSON_PARAMETERS,
    SCOPED_PARAMETERS,
    format_rule,
    out_of_scope_objects,
    route_objects,
)
from tests.security.bodies import body_text

PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _walk(app, objects, must_name):
    """(method, url) of every route a district officer's role allows whose URL names a scoped object
    in ``must_name``; sorted so that routes which delete or replace go last."""
    rules = sorted(app.url_map.iter_rules(), key=lambda r: ("delete" in r.rule or "rebuild" in r.rule, r.rule))
    for rule in rules:
        names = set(PARAMETER.findall(rule.rule))
        permission = declared_permission(app, rule.endpoint)
        if not names & must_name or permission == "public" or Role.district not in RULES[permission]:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, format_rule(rule.rule, objects)


def _refusals():
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "authorization.denied"))


@pytest.mark.parametrize("variant", ["elsewhere", "mixed"])
def test_another_districts_objects_are_404_and_audited(app, client, auth, variant):
    objects = route_objects()
    elsewhere, mixed = out_of_scope_objects(objects)
    targets, must_name = (elsewhere, SCOPED_PARAMETERS) if variant == "elsewhere" else (mixed, PERSON_PARAMETERS)
    officer = make_user(Role.district)  # Huyện Lộc Bình; the objects are Huyện Cao Lộc's
    auth.login(officer)
    enrolment = db.session.get(Enrolment, targets["enrolment_id"])
    problems, walked = [], 0
    for method, url in _walk(app, targets, must_name):
        api = url.startswith("/api/")
        headers = {"Authorization": f"Bearer {bearer_token(app, officer)}"} if api else {}
        body = {"json": {"reason": "thử", "person_id": targets["person_id"]}} if api and method != "GET" else {}
        if not api and method != "GET":
            body = {"data": {"reason": "thử", "person_id": targets["person_id"]}}
        before = _refusals()
        response = client.open(url, method=method, headers=headers, **body)
        walked += 1
        db.session.expire_all()
        if response.status_code != 404:
            problems.append(f"{method} {url} -> {response.status_code}")
        elif _refusals() != before + 1:
            problems.append(f"{method} {url}: 404 but no authorization.denied entry")
        elif OTHER_PERSON_NAME in response.get_data(as_text=True):
            problems.append(f"{method} {url}: the 404 names the person")
    assert problems == [], "\n".join(problems)
    assert walked >= (35 if variant == "elsewhere" else 10)  # the walk really covered the routes
    assert enrolment.status.value == "registered"  # no refused POST changed anything


def test_a_missing_object_answers_exactly_like_an_out_of_scope_one(app, client, auth):
    objects = route_objects()
    elsewhere, _ = out_of_scope_objects(objects)
    auth.login(make_user(Role.district))
    hidden = client.get(f"/people/{elsewhere['person_id']}")
    missing = client.get("/people/999999999")
    assert hidden.status_code == missing.status_code == 404
    same_page = hidden.get_data(as_text=True).replace(f"/people/{elsewhere['person_id']}?", "/people/X?")
    assert same_page == missing.get_data(as_text=True).replace("/people/999999999?", "/people/X?")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "authorization.denied")).all()
    assert [(e.object_id, e.after["status"]) for e in entry] == [
        ("people.person_detail", 404)
    ]  # the missing one is not


def test_a_role_refusal_is_audited_too(client, auth):
    district = make_user(Role.district)
    auth.login(district)
    assert client.get("/costs/norms").status_code == 403
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "authorization.denied")).one()
    assert entry.actor_id == district.id and entry.after == {"status": 403, "method": "GET", "path": "/costs/norms"}


LISTS_AND_EXPORTS = [
    "/people/",
    "/people/?q=Vi",
    "/people/export.csv",
    "/api/v1/people",
    "/api/v1/people?q=Vi",
    "/activities/",
    "/activities/calendar",
    "/api/v1/activities",
    "/reports/people",
    "/reports/activities",
    "/reports/export.xlsx",
    "/reports/export.docx",
    "/reports/export.pdf",
    "/activities/{activity_id}/enrolments",
    "/activities/{activity_id}/enrolments.xlsx",
    "/activities/{activity_id}/enrolments/print",
    "/api/v1/activities/{activity_id}/enrolments",
    "/activities/{activity_id}/attendance",
    "/activities/{activity_id}/attendance.xlsx",
    "/sessions/{session_id}/attendance",
    "/sessions/{session_id}/attendance.xlsx",
    "/sessions/{session_id}/sign-in-sheet.pdf",
    "/api/v1/sessions/{session_id}/attendance",
    "/activities/{activity_id}/certificates",
    "/activities/{activity_id}/certificates.zip",
    "/activities/{activity_id}/evaluations",
    "/people/duplicates",
    "/",
]


def test_lists_and_exports_leave_out_another_districts_rows(client, auth):
    objects = route_objects()
    elsewhere, mixed = out_of_scope_objects(objects)  # mixed: the other person enrolled in a visible activity
    officer = make_user(Role.district)
    auth.login(officer)
    token = bearer_token(client.application, officer)
    leaks = []
    for template in LISTS_AND_EXPORTS:
        url = template.format(**mixed)
        response = client.get(url, headers={"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {})
        assert response.status_code == 200, url
        text = body_text(response)
        if OTHER_PERSON_NAME in text or OTHER_ACTIVITY_TITLE in text or "0912000777" in text:
            leaks.append(url)
    assert leaks == []

    # The same lists do show an organiser (no district limit) the rows: the check above can fail.
    organiser = make_user(Role.organiser)
    client.post("/logout")
    auth.login(organiser)
    assert OTHER_PERSON_NAME in body_text(client.get("/people/export.csv"))
    assert OTHER_PERSON_NAME in body_text(client.get(f"/activities/{mixed['activity_id']}/enrolments.xlsx"))


def test_a_report_filter_or_drill_down_into_another_district_is_404(client, auth, api):
    officer = make_user(Role.district)
    auth.login(officer)
    cao_loc, loc_binh = unit("183").id, unit("188").id
    assert client.get(f"/reports?unit_id={loc_binh}").status_code == 200
    for url in (
        f"/reports?unit_id={cao_loc}",
        f"/reports/trained?unit_id={cao_loc}",
        f"/reports/people?unit_id={cao_loc}",
        f"/reports/people?by=district&key={cao_loc}",
        f"/reports/export.xlsx?unit_id={cao_loc}",
        f"/people/?unit_id={cao_loc}",
        f"/people/export.csv?unit_id={cao_loc}",
    ):
        assert client.get(url).status_code == 404, url
    assert api("GET", f"/reports/trained?unit_id={cao_loc}", user=officer).status_code == 404
    assert api("GET", f"/people?unit_id={cao_loc}", user=officer).status_code == 404
    assert api("GET", f"/people?unit_id={loc_binh}", user=officer).status_code == 200


def test_another_districts_person_named_in_a_form_or_body_is_refused(client, auth, api):
    """Ids in a body, not the URL: enrol, transfer to, merge with or move a person out of scope."""
    from app.people.models import Person

    objects = route_objects()
    elsewhere, _ = out_of_scope_objects(objects)
    other, own = elsewhere["person_id"], objects["person_id"]
    activity, enrolment = objects["activity_id"], objects["enrolment_id"]
    from app.planning.models import Activity, ActivityStatus

    db.session.get(Activity, activity).status = ActivityStatus.open  # taking enrolments: only scope may refuse
    db.session.flush()
    officer = make_user(Role.district)
    auth.login(officer)
    enrolled_before = db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.person_id == other))

    response = api("POST", f"/activities/{activity}/enrolments", user=officer, json={"person_id": other})
    unknown = api("POST", f"/activities/{activity}/enrolments", user=officer, json={"person_id": 999999999})
    assert response.status_code == 422 and response.get_json() == unknown.get_json()  # as for no such person
    client.post(f"/activities/{activity}/enrolments", data={"person_ids": [other]})
    client.post(f"/activities/{activity}/enrolments/{enrolment}/transfer", data={"person_id": other, "reason": "x"})
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.person_id == other)) == enrolled_before
    assert db.session.get(Enrolment, enrolment).person_id == own

    client.post("/people/merge", data={"keep_id": own, "person_ids": [own, other]})
    db.session.expire_all()
    assert db.session.get(Person, other).merged_into_id is None and db.session.get(Person, own).merged_into_id is None

    moved = api("PATCH", f"/people/{own}", user=officer, json={"unit_id": unit("183").id})
    db.session.expire_all()
    assert moved.status_code in (404, 422) and db.session.get(Person, own).unit_id != unit("183").id
