"""JSON API v1: token auth, error format, pagination, reference data, people."""

import re
from datetime import date, timedelta

import pytest

from app.auth.models import Role
from tests.factories import PASSWORD, bearer_token, commune_of, make_person, make_user


def test_token_for_valid_credentials_and_refusal_otherwise(client):
    user = make_user(Role.organiser)

    ok = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    bad = client.post("/api/v1/auth/token", json={"username": user.username, "password": "wrong-password"})

    assert ok.status_code == 201
    assert set(ok.get_json()) == {"token", "expires_at"}
    assert bad.status_code == 401
    assert bad.get_json()["error"]["code"] == "invalid_credentials"


def test_calls_without_a_valid_token_get_401_in_the_error_format(client, app):
    user = make_user(Role.organiser)
    expired = bearer_token(app, user, lifetime=timedelta(seconds=-1))

    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Bearer {expired}"}):
        response = client.get("/api/v1/people", headers=headers)
        assert response.status_code == 401
        error = response.get_json()["error"]
        assert error["code"] == "unauthorized"
        assert error["message"] == "Bạn cần đăng nhập."


def test_revoked_token_stops_working(client, app):
    user = make_user(Role.organiser)
    token = bearer_token(app, user)
    headers = {"Authorization": f"Bearer {token}"}

    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/people", headers=headers).status_code == 401


def test_a_browser_session_does_not_authenticate_the_api(auth, client):
    auth.login(make_user(Role.admin))
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/people").status_code == 401


def test_wrong_role_is_403(api):
    assert api("POST", "/people", make_user(Role.leader), json={}).get_json()["error"]["code"] == "forbidden"


def test_list_pagination_envelope(api):
    user = make_user(Role.organiser)
    body = api("GET", "/units?level=commune&per_page=500&page=2", user).get_json()
    assert body["per_page"] == 200 and body["page"] == 2
    assert body["total"] == 265  # 200 communes of 2023 + 65 from 01/07/2025
    assert len(body["items"]) == 65


def test_units_in_force_on_a_date(api):
    user = make_user(Role.organiser)
    in_2023 = api("GET", "/units?level=district&on=2023-06-01", user).get_json()
    in_2026 = api("GET", "/units?level=commune&on=2026-01-01&per_page=200", user).get_json()
    assert in_2023["total"] == 11
    assert in_2026["total"] == 65
    assert {u["parent_id"] for u in in_2026["items"]} == {
        api("GET", "/units?level=province", user).get_json()["items"][0]["id"]
    }


def test_bad_filter_is_422_with_fields(api):
    body = api("GET", "/units?level=planet&on=31/12/2023", make_user(Role.organiser)).get_json()
    assert body["error"]["code"] == "invalid_filter"
    assert set(body["error"]["fields"]) == {"level", "on"}


def test_reference_lists(api):
    user = make_user(Role.leader)
    ethnicities = api("GET", "/ethnicities", user).get_json()["items"]
    assert len(ethnicities) == 54
    kinh = next(e for e in ethnicities if e["code"] == "01")
    assert kinh == {**kinh, "name": "Kinh", "is_minority": False}
    assert next(e for e in ethnicities if e["code"] == "07")["name"] == "Nùng"
    assert {c["code"] for c in api("GET", "/categories", user).get_json()["items"]} >= {
        "village_cadre",
        "community_rep",
        "group_leader",
        "mass_org_cadre",
        "poverty_collaborator",
        "prestigious_person",
        "commune_officer",
        "district_officer",
        "province_officer",
    }
    assert "gender_equality" in {t["code"] for t in api("GET", "/topics", user).get_json()["items"]}


def test_create_get_and_patch_a_person(api):
    user = make_user(Role.organiser)
    unit_id = commune_of("188").id
    payload = {
        "full_name": "Hoàng Thị Nhung",
        "gender": "female",
        "birth_date": "1990-04-04",
        "ethnicity_code": "02",
        "id_number": "020190654321",
        "phone": "+84 986 111 222",
        "unit_id": unit_id,
        "level": "village",
        "category": "mass_org_cadre",
        "position": "Chi hội trưởng",
    }

    created = api("POST", "/people", user, json=payload)
    assert created.status_code == 201
    person = created.get_json()
    assert person == {
        **person,
        "full_name": "Hoàng Thị Nhung",
        "phone": "0986111222",
        "ethnicity_code": "02",
        "category": "mass_org_cadre",
        "id_number": "0201******21",  # masked even in the answer to the caller who sent it
        "gender": "female",
    }
    revealed = api("GET", f"/people/{person['id']}?reveal=id_number", user).get_json()
    assert revealed["id_number"] == "020190654321"
    mistyped = api("GET", f"/people/{person['id']}?reveal=id", user)
    assert mistyped.status_code == 422 and mistyped.get_json()["error"]["code"] == "invalid_filter"

    patched = api("PATCH", f"/people/{person['id']}", user, json={"position": "Trưởng thôn"})
    assert patched.status_code == 200
    # Readable as sent: UTF-8 Vietnamese in the body, not \u escapes.
    raw = patched.get_data(as_text=True)
    assert '"Trưởng thôn"' in raw and "\\u" not in raw
    assert patched.get_json()["position"] == "Trưởng thôn"
    assert patched.get_json()["birth_date"] == "1990-04-04"
    assert api("GET", f"/people/{person['id']}?reveal=id_number", user).get_json()["id_number"] == "020190654321"
    assert api("GET", f"/people/{person['id']}", user).get_json()["position"] == "Trưởng thôn"


def test_create_with_bad_fields_is_422_and_writes_nothing(api):
    user = make_user(Role.organiser)
    response = api(
        "POST",
        "/people",
        user,
        json={
            "full_name": "<b>x</b>",
            "gender": "unknown",
            "birth_date": "04/04/1990",
            "ethnicity_code": "99",
            "unit_id": 10**8,
            "level": "village",
            "phone": "abc",
        },
    )

    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) >= {"birth_date", "ethnicity_code"}
    assert api("GET", "/people?q=x", user).get_json()["total"] == 0


def test_service_errors_use_api_field_names(api):
    user = make_user(Role.organiser)
    response = api(
        "POST",
        "/people",
        user,
        json={
            "full_name": "<b>x</b>",
            "gender": "unknown",
            "birth_year": 1990,
            "unit_id": 10**8,
            "level": "village",
            "phone": "abc",
        },
    )
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"full_name", "gender", "unit_id", "phone"}
    assert fields["phone"].startswith("Số điện thoại")


def test_possible_duplicate_is_409_until_confirmed(api):
    user = make_user(Role.organiser)
    existing = make_person(full_name="Lộc Văn Định", birth_year=1975, birth_date=None, unit=commune_of("188"))
    payload = {
        "full_name": "Lộc Văn Định",
        "gender": "male",
        "birth_year": 1975,
        "unit_id": existing.unit_id,
        "level": "village",
    }

    first = api("POST", "/people", user, json=payload)
    assert first.status_code == 409
    assert first.get_json()["error"]["code"] == "possible_duplicate"
    assert [d["id"] for d in first.get_json()["error"]["duplicates"]] == [existing.id]

    assert api("POST", "/people", user, json={**payload, "confirm": True}).status_code == 201


def test_search_without_diacritics_and_by_phone(api):
    user = make_user(Role.organiser)
    make_person(full_name="Nguyễn Thị Hường", phone="0977123456")
    names = [p["full_name"] for p in api("GET", "/people?q=huong", user).get_json()["items"]]
    assert "Nguyễn Thị Hường" in names
    by_phone = api("GET", "/people?q=%2B84977123456", user).get_json()["items"]
    assert [p["full_name"] for p in by_phone] == ["Nguyễn Thị Hường"]


def test_non_json_body_is_400(api):
    response = api("POST", "/people", make_user(Role.organiser), data="not json", content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_openapi_documents_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {rule.rule} is not in openapi.json"


@pytest.mark.parametrize("path", ["/people/999999999", "/nothing-here"])
def test_not_found_is_json(api, path):
    response = api("GET", path, make_user(Role.organiser))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_every_faulty_field_is_reported_at_once(api):
    response = api(
        "POST",
        "/people",
        make_user(Role.organiser),
        json={
            "full_name": "Nguyễn " + "A" * 500,
            "gender": "female",
            "birth_year": 1990,
            "ethnicity_code": "99",
            "id_number": "0201900012345",
            "phone": "09abc",
            "level": "village",
        },
    )
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"full_name", "ethnicity_code", "id_number", "phone", "unit_id"}


def test_wrong_types_are_422_not_500(api):
    response = api(
        "POST",
        "/people",
        make_user(Role.organiser),
        json={"full_name": 12345, "gender": "male", "birth_year": "1990", "unit_id": "7", "level": "village"},
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) >= {"full_name", "birth_year", "unit_id"}


def test_patching_the_year_alone_replaces_a_contradicting_date(api):
    user = make_user(Role.organiser)
    person = make_person(full_name="Hà Văn Tú", birth_date=date(1985, 3, 4), birth_year=1985)
    body = api("PATCH", f"/people/{person.id}", user, json={"birth_year": 1990, "confirm": True}).get_json()
    assert (body["birth_date"], body["birth_year"]) == (None, 1990)


def test_reference_lists_use_the_list_envelope(api):
    body = api("GET", "/ethnicities", make_user(Role.leader)).get_json()
    assert (body["total"], body["page"], len(body["items"])) == (54, 1, 54)
    assert api("GET", "/topics?per_page=2", make_user(Role.leader)).get_json()["per_page"] == 2


def test_search_by_phone_written_with_dots(api):
    user = make_user(Role.organiser)
    make_person(full_name="Ma Thị Lan", phone="0912345678")
    assert api("GET", "/people?q=0912.345.678", user).get_json()["total"] == 1
