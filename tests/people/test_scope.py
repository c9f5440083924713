"""A district officer sees and edits only people of their unit: lists, search, detail, edit, export, API."""

import pytest

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.extensions import db
from tests.factories import commune_of, make_person, make_user
from tests.people.test_validation import valid_form


@pytest.fixture
def two_districts():
    mine = make_person(full_name="Nông Thị Lan", unit=commune_of("188"), id_number="020185777888", birth_year=1985)
    theirs = make_person(full_name="Nông Thị Lụa", unit=commune_of("183"))
    return mine, theirs


@pytest.fixture
def officer(auth):
    user = make_user(Role.district, unit_code="188")
    auth.login(user)
    return user


def test_list_and_search_show_only_own_unit(client, officer, two_districts):
    page = client.get("/people/?q=nong thi").get_data(as_text=True)
    assert "Nông Thị Lan" in page
    assert "Nông Thị Lụa" not in page


def test_detail_and_edit_of_another_district_are_not_found(client, officer, two_districts):
    mine, theirs = two_districts
    assert client.get(f"/people/{mine.id}").status_code == 200
    assert client.get(f"/people/{theirs.id}").status_code == 404
    assert client.get(f"/people/{theirs.id}/edit").status_code == 404
    response = client.post(f"/people/{theirs.id}/edit", data=valid_form(full_name="Bị Sửa Trộm"))
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.full_name == "Nông Thị Lụa"


def test_export_holds_only_own_unit(client, officer, two_districts):
    csv_text = client.get("/people/export.csv").get_data(as_text=True)
    assert "Nông Thị Lan" in csv_text
    assert "Nông Thị Lụa" not in csv_text


def test_api_lists_and_gets_only_own_unit(api, officer, two_districts):
    mine, theirs = two_districts
    names = [p["full_name"] for p in api("GET", "/people?q=nong&per_page=200", officer).get_json()["items"]]
    assert "Nông Thị Lan" in names and "Nông Thị Lụa" not in names
    assert api("GET", f"/people/{theirs.id}", officer).status_code == 404
    assert api("PATCH", f"/people/{theirs.id}", officer, json={"position": "x"}).status_code == 404


def test_officer_cannot_register_someone_into_another_district(client, officer):
    page = client.post("/people/new", data=valid_form(unit_id=str(commune_of("183").id))).get_data(as_text=True)
    assert "Bạn chỉ được đăng ký người thuộc đơn vị mình phụ trách." in page


def test_officer_may_register_and_edit_in_own_unit_and_it_is_audited(client, officer):
    response = client.post("/people/new", data=valid_form())
    assert response.status_code == 302
    entry = db.session.query(AuditEntry).filter_by(action="person.create", actor_id=officer.id).one()
    assert entry.after["full_name"] == "Lương Thị Thu"


def test_edit_audit_keeps_only_what_changed(client, auth):
    organiser = make_user(Role.organiser)
    auth.login(organiser)
    person = make_person(full_name="Nông Văn Tài", position="Trưởng thôn")
    form = valid_form(
        full_name="Nông Văn Tài",
        gender="male",
        birth_date="04/03/1985",
        phone="",
        position="Bí thư chi bộ",
        workplace="",
        ethnicity_id=str(person.ethnicity_id),
        category_id=str(person.category_id),
        unit_id=str(person.unit_id),
    )

    assert client.post(f"/people/{person.id}/edit", data=form).status_code == 302

    entry = db.session.query(AuditEntry).filter_by(action="person.update", object_id=str(person.id)).one()
    assert entry.before == {"position": "Trưởng thôn"}
    assert entry.after == {"position": "Bí thư chi bộ"}


@pytest.mark.parametrize("role", list(Role))
def test_citizen_id_is_masked_by_default_for_every_role(client, auth, api, role, two_districts):
    mine, _ = two_districts
    user = make_user(role)
    auth.login(user)

    page = client.get(f"/people/{mine.id}").get_data(as_text=True)
    api_value = api("GET", f"/people/{mine.id}", user).get_json()["id_number"]
    csv_text = client.get("/people/export.csv?q=lan").get_data(as_text=True)

    for shown in (page, api_value, csv_text):
        assert "020185777888" not in shown
        assert "0201******88" in shown


@pytest.mark.parametrize(
    ("role", "may_reveal"),
    [(Role.admin, True), (Role.organiser, True), (Role.district, True), (Role.finance, False), (Role.leader, False)],
)
def test_revealing_a_full_id_is_an_explicit_audited_post(client, auth, role, may_reveal, two_districts):
    mine, _ = two_districts
    user = make_user(role)
    auth.login(user)

    assert client.get(f"/people/{mine.id}/reveal-id").status_code == 405  # never on a GET
    response = client.post(f"/people/{mine.id}/reveal-id")

    reveals = db.session.query(AuditEntry).filter_by(action="person.reveal_id_number", object_id=str(mine.id)).all()
    if may_reveal:
        assert response.status_code == 200
        assert "020185777888" in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        assert [e.actor_id for e in reveals] == [user.id]
    else:
        assert response.status_code == 403
        assert reveals == []


def test_an_officer_cannot_reveal_the_id_of_someone_outside_their_district(client, officer, two_districts):
    _, theirs = two_districts
    assert client.post(f"/people/{theirs.id}/reveal-id").status_code == 404
    assert db.session.query(AuditEntry).filter_by(action="person.reveal_id_number").count() == 0


def test_the_api_reveals_a_full_id_only_on_request_and_audits_it(api, two_districts):
    mine, _ = two_districts
    organiser, finance = make_user(Role.organiser), make_user(Role.finance)
    body = api("GET", f"/people/{mine.id}?reveal=id_number", organiser).get_json()
    assert body["id_number"] == "020185777888"
    assert api("GET", f"/people/{mine.id}?reveal=id_number", finance).status_code == 403
    entries = db.session.query(AuditEntry).filter_by(action="person.reveal_id_number").all()
    assert [e.actor_id for e in entries] == [organiser.id]


def test_search_by_a_full_citizen_id_still_finds_the_person_but_shows_it_masked(client, auth, two_districts):
    auth.login(make_user(Role.organiser))
    page = client.get("/people/?q=020185777888").get_data(as_text=True)
    assert "Nông Thị Lan" in page
    csv_text = client.get("/people/export.csv?q=020185777888").get_data(as_text=True)
    assert "Nông Thị Lan" in csv_text and "0201******88" in csv_text
    assert "020185777888" not in csv_text
    # The typed number is masked in the export's audit entry too.
    entry = db.session.query(AuditEntry).filter_by(action="personal_data.export").one()
    assert entry.after["filters"] == {"q": "0201******88"}


def test_leader_reads_everything_but_changes_nothing(client, auth, two_districts):
    mine, theirs = two_districts
    leader = make_user(Role.leader)
    auth.login(leader)
    assert client.get(f"/people/{theirs.id}").status_code == 200
    assert client.get("/people/new").status_code == 403
    assert client.post(f"/people/{mine.id}/edit", data=valid_form()).status_code == 403


def test_officer_keeps_reach_over_the_communes_their_district_became(client, officer):
    """From 01/07/2025 communes hang under the province; the Lộc Bình officer still reaches the
    new communes formed from Lộc Bình's, and registers people there."""
    old = commune_of("188")
    new = old.successors[0]
    assert new.parent.level.value == "province"
    person = make_person(full_name="Lăng Thị Hoa", unit=new)

    assert client.get(f"/people/{person.id}").status_code == 200
    response = client.post("/people/new", data=valid_form(full_name="Lăng Văn Tiến", unit_id=str(new.id)))
    assert response.status_code == 302


def test_out_of_scope_person_is_404_on_every_route_that_takes_one(app, client, officer, two_districts):
    import re

    from app.permissions import declared_permission, has_permission

    _, theirs = two_districts
    for rule in app.url_map.iter_rules():
        if "person_id" not in rule.arguments:
            continue
        if not has_permission(officer, declared_permission(app, rule.endpoint)):
            continue  # refused for the role (403) before any object is looked at: nothing to learn
        url = re.sub(r"<(?:int:)?person_id>", str(theirs.id), rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if url.startswith("/api/"):
                from tests.factories import bearer_token

                headers = {"Authorization": f"Bearer {bearer_token(app, officer)}"}
                response = client.open(url, method=method, headers=headers, json={})
            else:
                response = client.open(url, method=method, data={})
            assert response.status_code == 404, f"{method} {url} -> {response.status_code}"


def test_export_neutralises_spreadsheet_formulas(client, auth):
    auth.login(make_user(Role.organiser))
    make_person(full_name="Lò Văn Mạnh", position='=HYPERLINK("http://x","y")', workplace="@SUM(1+1)")
    csv_text = client.get("/people/export.csv?q=lo van").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text and "'@SUM(1+1)" in csv_text
    assert ",=HYPERLINK" not in csv_text and ',"=HYPERLINK' not in csv_text
