"""De-duplicating records already in the registry: find groups, merge into one, keep history."""

from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.extensions import db
from app.people import services
from app.people.models import Gender
from tests.factories import commune_of, make_person, make_user


@pytest.fixture
def twins():
    unit = commune_of("188")
    first = make_person(
        full_name="Hoàng Thị Nga",
        gender=Gender.female,
        birth_date=None,
        birth_year=1980,
        unit=unit,
        phone=None,
        position="Trưởng thôn",
    )
    second = make_person(
        full_name="Hoàng Thị Nga",
        gender=Gender.female,
        birth_date=date(1980, 5, 6),
        birth_year=1980,
        unit=unit,
        phone="0912555666",
        id_number="020180555666",
    )
    return first, second


def test_groups_of_likely_duplicates_are_listed(client, auth, twins):
    auth.login(make_user(Role.organiser))
    make_person(full_name="Hoàng Thị Nga", birth_year=1990, unit=commune_of("183"))  # someone else
    page = client.get("/people/duplicates").get_data(as_text=True)
    assert page.count('name="person_ids"') == 2


def test_merge_fills_gaps_hides_the_other_record_and_is_audited(client, auth, twins):
    keep, other = twins
    user = make_user(Role.organiser)
    auth.login(user)

    response = client.post("/people/merge", data={"keep_id": keep.id, "person_ids": [keep.id, other.id]})

    assert response.status_code == 302
    db.session.expire_all()
    assert (keep.phone, keep.id_number, keep.birth_date) == ("0912555666", "020180555666", date(1980, 5, 6))
    assert keep.position == "Trưởng thôn"
    assert other.merged_into_id == keep.id and other.id_number is None
    assert "Hoàng Thị Nga" in client.get(f"/people/{other.id}").get_data(as_text=True)
    assert client.get("/people/?q=hoang thi nga").get_data(as_text=True).count("Hoàng Thị Nga</a>") == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.merge"))
    assert entry.after["merged_ids"] == [other.id] and entry.actor_id == user.id


def test_a_merged_record_cannot_be_edited(app_ctx, twins):
    keep, other = twins
    user = make_user(Role.organiser)
    services.merge(keep.id, [other.id], user)
    with pytest.raises(services.ConflictError):
        services.save_person({"full_name": "Hoàng Thị Nga"}, user, other)


def test_two_different_citizen_ids_are_two_people(app_ctx, twins):
    keep, other = twins
    keep.id_number = "020180111222"
    with pytest.raises(services.ConflictError) as raised:
        services.merge(keep.id, [other.id], make_user(Role.organiser))
    assert raised.value.code == "conflicting_id_numbers"
    assert other.merged_into_id is None


def test_a_district_officer_cannot_merge_outside_their_unit(app_ctx, twins):
    keep, _ = twins
    outsider = make_person(full_name="Hoàng Thị Nga", birth_year=1980, unit=commune_of("183"))
    officer = make_user(Role.district, unit_code="188")
    with pytest.raises(services.ValidationError):
        services.merge(keep.id, [outsider.id], officer)
    assert outsider.merged_into_id is None


def test_merging_without_a_second_record_says_what_to_do(client, auth, twins):
    keep, _ = twins
    auth.login(make_user(Role.organiser))
    response = client.post("/people/merge", data={"keep_id": keep.id, "person_ids": [keep.id]}, follow_redirects=True)
    assert "Chọn một hồ sơ giữ lại và ít nhất một hồ sơ khác để gộp." in response.get_data(as_text=True)


def test_later_domains_can_move_what_they_hold(app_ctx, twins):
    keep, other = twins
    moved = []
    services.MERGE_HOOKS.append(lambda kept, removed: moved.append((kept.id, removed.id)))
    try:
        services.merge(keep.id, [other.id], make_user(Role.organiser))
    finally:
        services.MERGE_HOOKS.pop()
    assert moved == [(keep.id, other.id)]
