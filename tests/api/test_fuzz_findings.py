"""What the OpenAPI fuzzing found (tests/api/test_fuzz.py), one regression test each."""

from app.auth.models import Role
from tests.factories import make_activity, make_user

TOO_BIG = "3806347107149741555712"  # above 2**63: SQLite could not even bind it
ABOVE_INT4 = "2316220833"  # above 2**31 - 1: PostgreSQL refused the INTEGER comparison


def test_ids_no_column_holds_are_404_for_every_method(api):
    admin = make_user(Role.admin)
    for huge in (TOO_BIG, ABOVE_INT4):
        assert api("GET", f"/activities/{huge}", admin).status_code == 404
        # Not 405: werkzeug checks methods before converters, so the bound is in the URL pattern.
        assert api("PATCH", f"/activities/{huge}", admin, json={}).status_code == 404
        assert api("POST", f"/activities/{huge}/certificates", admin).status_code == 404
        assert api("POST", f"/activities/{huge}/enrolments/1/cancel", admin, json={"reason": "x"}).status_code == 404


def test_huge_ids_in_web_pages_are_404_too(auth, client):
    auth.login(make_user(Role.admin))
    assert client.get(f"/activities/{TOO_BIG}").status_code == 404
    assert client.get(f"/people/{ABOVE_INT4}").status_code == 404


def test_a_real_id_still_matches(api):
    activity = make_activity()
    assert api("GET", f"/activities/{activity.id}", make_user(Role.admin)).status_code == 200


def test_405_names_the_allowed_methods(api, client):
    response = api("PUT", "/openapi.json")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
    page = client.delete("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_a_page_number_past_any_offset_is_400(api):
    response = api("GET", "/units?page=100000000000000000000", make_user(Role.admin))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_pagination"


def test_a_mistyped_unit_filter_is_refused_not_ignored(api):
    response = api("GET", "/people?unit_id=abc", make_user(Role.admin))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"unit_id": "unit_id phải là số nguyên."}


def test_nul_characters_are_400_before_any_query(api, client):
    # On PostgreSQL the token request was a 500 (text cannot hold U+0000).
    token = client.post("/api/v1/auth/token", json={"username": "\x00", "password": "x"})
    assert token.status_code == 400 and token.get_json()["error"]["code"] == "bad_request"
    admin = make_user(Role.admin)
    assert api("GET", "/people?q=a%00b", admin).status_code == 400
    assert api("POST", "/people", admin, json={"full_name": "Lò\x00Văn"}).status_code == 400
    assert client.get("/api/v1/verify/abc%00def").status_code == 400
    assert client.post("/login", data={"username": "a\x00", "password": "x"}).status_code == 400


def test_an_api_call_without_its_body_is_documented_as_needing_one(client):
    document = client.get("/api/v1/openapi.json").get_json()
    bodies = [
        operation["requestBody"]
        for path in document["paths"].values()
        for operation in path.values()
        if "requestBody" in operation
    ]
    assert bodies and all(body.get("required") for body in bodies)
    assert client.post("/api/v1/auth/token").status_code == 400
