"""A likely duplicate or an inconsistent ID is shown before a second record is created."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.errors import ValidationError
from app.extensions import db
from app.people import services
from app.people.models import Gender, Person
from app.people.services import PossibleDuplicate
from tests.factories import commune_of, make_person, make_user
from tests.people.test_validation import valid_form


def person_data(**fields) -> dict:
    """Plain data for the service: a man born in 1990 in a commune of Lộc Bình, unless overridden."""
    data = {"gender": "male", "birth_date": date(1990, 4, 4), "level": "village", "unit_id": commune_of("188").id}
    data.update(fields)
    return data


def count_named(name):
    return db.session.scalar(select(func.count(Person.id)).where(Person.full_name == name))


@pytest.fixture
def organiser(auth):
    user = make_user(Role.organiser)
    auth.login(user)
    return user


def test_same_name_birth_date_and_commune_asks_for_confirmation(client, organiser):
    existing = make_person(
        full_name="Lương Thị Thu", gender=Gender.female, birth_date=date(1985, 2, 5), unit=commune_of("188")
    )

    # Typed in lower case: names are compared after normalising case.
    page = client.post("/people/new", data=valid_form(full_name="lương thị thu")).get_data(as_text=True)

    assert "Có thể người này đã có trong danh sách" in page
    assert f"/people/{existing.id}" in page
    assert count_named("Lương Thị Thu") == 1

    response = client.post("/people/new", data=valid_form(confirmed="y"))
    assert response.status_code == 302
    assert count_named("Lương Thị Thu") == 2


def test_same_citizen_id_is_refused_outright(client, organiser):
    make_person(full_name="Vi Văn Hải", id_number="020085001234", birth_date=date(1985, 1, 1))

    page = client.post("/people/new", data=valid_form(id_number="020 085 001 234", confirmed="y")).get_data(
        as_text=True
    )

    assert "Số định danh này đã được đăng ký cho Vi Văn Hải." in page
    assert count_named("Lương Thị Thu") == 0


def test_id_inconsistent_with_gender_and_birth_year_is_a_warning_not_an_error(client, organiser):
    # 4th digit 0 = man born in the 1900s; 5th-6th digits 90 = born 1990; the person is a woman born 1985.
    form = valid_form(id_number="020090123456")

    page = client.post("/people/new", data=form).get_data(as_text=True)
    assert "Chữ số thứ 4 (0) không khớp với giới tính và thế kỷ sinh (dự kiến 1)." in page
    assert "Chữ số thứ 5-6 (90) không khớp với năm sinh 1985." in page
    assert count_named("Lương Thị Thu") == 0

    assert client.post("/people/new", data={**form, "confirmed": "y"}).status_code == 302
    assert count_named("Lương Thị Thu") == 1


def test_unknown_province_code_is_a_warning(app_ctx):
    user = make_user(Role.organiser)
    data = person_data(
        full_name="Lăng Văn Tú",
        id_number="999090123456",
    )
    with pytest.raises(PossibleDuplicate) as raised:
        services.save_person(data, user)
    assert any("999" in str(w) for w in raised.value.warnings)


def test_a_consistent_id_needs_no_confirmation(app_ctx):
    user = make_user(Role.organiser)
    data = person_data(
        full_name="Lăng Thị Tú",
        gender="female",
        id_number="020190123456",
    )
    person = services.save_person(data, user)
    assert person.id_number == "020190123456"


def test_born_in_2000s_uses_digits_2_and_3(app_ctx):
    user = make_user(Role.organiser)
    data = person_data(
        full_name="Lăng Thị Mai",
        gender="female",
        birth_date=date(2003, 4, 4),
        id_number="020303123456",
    )
    assert services.save_person(data, user).id_number == "020303123456"


def test_district_officer_sees_only_a_count_of_duplicates_outside_their_unit(app_ctx):
    officer = make_user(Role.district, unit_code="188")
    make_person(full_name="Hà Văn Nam", phone="0912000111", unit=commune_of("183"))
    data = person_data(
        full_name="Hà Văn Nam",
        birth_date=None,
        birth_year=1980,
        phone="0912000111",
    )

    with pytest.raises(PossibleDuplicate) as raised:
        services.save_person(data, officer)

    assert raised.value.candidates == []
    assert raised.value.hidden == 1


def test_id_held_by_someone_outside_scope_is_refused_without_naming_them(app_ctx):
    officer = make_user(Role.district, unit_code="188")
    make_person(full_name="Hà Văn Nam", id_number="020080555666", unit=commune_of("183"))
    data = person_data(
        full_name="Hà Văn Bắc",
        birth_date=None,
        birth_year=1980,
        id_number="020080555666",
    )

    with pytest.raises(ValidationError) as raised:
        services.save_person(data, officer, confirmed=True)

    assert "Hà Văn Nam" not in str(raised.value.fields["id_number"])


def test_a_full_date_matches_a_record_that_has_only_the_year(app_ctx):
    user = make_user(Role.organiser)
    existing = make_person(full_name="Lý Văn Tài", birth_date=None, birth_year=1985, unit=commune_of("188"))
    data = person_data(
        full_name="Lý Văn Tài", gender="male", birth_date=date(1985, 3, 4), level="village", unit_id=existing.unit_id
    )
    with pytest.raises(PossibleDuplicate) as raised:
        services.save_person(data, user)
    assert raised.value.candidates == [existing]


def test_the_same_person_under_the_new_commune_is_a_look_alike(app_ctx):
    user = make_user(Role.organiser)
    old_commune = commune_of("188")
    existing = make_person(full_name="Lý Văn Tài", birth_year=1985, birth_date=None, unit=old_commune)
    data = person_data(
        full_name="Lý Văn Tài",
        gender="male",
        birth_date=None,
        birth_year=1985,
        level="village",
        unit_id=old_commune.successors[0].id,
    )
    with pytest.raises(PossibleDuplicate) as raised:
        services.save_person(data, user)
    assert raised.value.candidates == [existing]


def test_an_accepted_warning_is_not_asked_again_for_an_unrelated_edit(app_ctx):
    user = make_user(Role.organiser)
    data = person_data(
        full_name="Lăng Thị Tú",
        gender="female",
        id_number="020090123456",
    )  # digit 4 says male
    person = services.save_person(data, user, confirmed=True)

    services.save_person({**data, "phone": "0912 000 999"}, user, person)  # no PossibleDuplicate
    assert person.phone == "0912000999"
    with pytest.raises(PossibleDuplicate):
        services.save_person({**data, "id_number": "020090123457"}, user, person)
