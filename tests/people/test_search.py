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


def test_list_is_in_vietnamese_order_by_given_name(auth, client):
    auth.login(make_user(Role.organiser))
    for name in ["Nguyễn Văn Bình", "Hoàng Thị An", "Lê Thị Đào", "Bế Văn Dũng", "Trần Văn An"]:
        make_person(full_name=name)

    page = client.get("/people/?q=van").get_data(as_text=True)
    order = [page.index(name) for name in ["Trần Văn An", "Nguyễn Văn Bình", "Bế Văn Dũng"]]
    assert order == sorted(order)


def test_order_holds_in_the_database_itself(app_ctx):
    from app.extensions import db
    from app.people.services import PeopleFilter, search

    user = make_user(Role.organiser)
    names = [
        "Nguyễn Văn Bình",
        "Hoàng Thị An",
        "Lê Thị Đào",
        "Bế Văn Dũng",
        "Trần Văn An",
        "Vi Thị Ánh",
        "Lương Văn Ân",
        "Hà Thị Ăn",
    ]
    for name in names:
        make_person(full_name=name)
    found = [p.full_name for p in db.session.scalars(search(user, PeopleFilter()))]
    assert found == [
        "Hoàng Thị An",
        "Trần Văn An",
        "Vi Thị Ánh",
        "Hà Thị Ăn",
        "Lương Văn Ân",
        "Nguyễn Văn Bình",
        "Bế Văn Dũng",
        "Lê Thị Đào",
    ]


def test_filters_by_gender_and_unit_include_units_below(auth, client):
    from tests.factories import commune_of, unit

    auth.login(make_user(Role.organiser))
    make_person(full_name="Vi Thị Hoa", gender=Gender.female, unit=commune_of("188"))
    make_person(full_name="Vi Văn Hòa", unit=commune_of("188"))
    make_person(full_name="Vi Thị Hoà", gender=Gender.female, unit=commune_of("183"))

    page = client.get(f"/people/?q=vi&gender=female&unit_id={unit('188').id}").get_data(as_text=True)
    assert "Vi Thị Hoa" in page
    assert "Vi Văn Hòa" not in page and "Vi Thị Hoà" not in page


def test_search_words_in_any_position_and_special_characters_are_literal(auth, client):
    auth.login(make_user(Role.organiser))
    make_person(full_name="Nguyễn Thị Hường", gender=Gender.female)
    assert "Nguyễn Thị Hường" in client.get("/people/?q=HUONG nguyen").get_data(as_text=True)
    assert "Nguyễn Thị Hường" not in client.get("/people/?q=%25").get_data(as_text=True)


def test_women_count_and_share_are_shown(auth, client):
    auth.login(make_user(Role.organiser))
    make_person(full_name="Chu Thị Mây", gender=Gender.female)
    make_person(full_name="Chu Văn Mạnh")
    page = client.get("/people/?q=chu").get_data(as_text=True)
    assert "2 người" in page and "nữ: 1" in page and "50,0" in page


def test_search_matches_the_start_of_name_words_only(auth, client):
    auth.login(make_user(Role.organiser))
    make_person(full_name="Nguyễn Thị Hường", gender=Gender.female)
    make_person(full_name="Đinh Thị Phượng", gender=Gender.female)
    page = client.get("/people/?q=huong").get_data(as_text=True)
    assert "Nguyễn Thị Hường" in page
    assert "Đinh Thị Phượng" not in page
    assert "Nguyễn Thị Hường" in client.get("/people/?q=huo").get_data(as_text=True)
