"""The home page shows figures within the user's scope."""

import re

from app.auth.models import Role
from app.people.models import Gender
from tests.factories import commune_of, make_person, make_user


def people_figure(page: str) -> int:
    return int(re.search(r"<strong>([\d.]+)</strong>\s*<span>người trong danh sách", page).group(1).replace(".", ""))


def test_district_officer_counts_only_their_unit(client, auth):
    make_person(full_name="Vi Thị Lan", gender=Gender.female, unit=commune_of("188"))
    make_person(full_name="Vi Văn Long", unit=commune_of("183"))
    auth.login(make_user(Role.district, unit_code="188"))
    page = client.get("/").get_data(as_text=True)
    assert people_figure(page) == 1
    assert "trong đó 1 nữ" in page

    auth.logout()
    auth.login(make_user(Role.organiser))
    assert people_figure(client.get("/").get_data(as_text=True)) == 2
