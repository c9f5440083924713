"""Finding people: accent-free search, Vietnamese order, filters."""

from app.auth.models import Role
from app.people.models import Gender
from tests.factories import make_person, make_user


def test_searching_huong_without_accents_finds_nguyen_thi_huong(auth, client):
    organiser = make_user(Role.organiser)
    make_person(full_name="Nguyễn Thị Hường", gender=Gender.female)
    make_person(full_name="Nông Văn Hùng")
    auth.login(organiser)

    page = client.get("/people/?q=huong").get_data(as_text=True)

    assert "Nguyễn Thị Hường" in page
    assert "Nông Văn Hùng" not in page
