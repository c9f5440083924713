"""Bad input on the person form gets a clear Vietnamese message on the field and changes nothing."""

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.people.models import Person
from tests.factories import commune_of, ethnicity, make_user


def valid_form(**overrides):
    data = {
        "full_name": "Lương Thị Thu",
        "gender": "female",
        "birth_date": "05/02/1985",
        "birth_year": "",
        "ethnicity_id": str(ethnicity("02").id),
        "id_number": "",
        "phone": "0912 345 678",
        "level": "village",
        "category_id": "",
        "position": "Trưởng thôn",
        "workplace": "Thôn Nà Lầu",
        "unit_id": str(commune_of("188").id),
    }
    data.update(overrides)
    return data


def people_count():
    return db.session.scalar(select(func.count(Person.id)))


@pytest.fixture
def organiser(auth):
    user = make_user(Role.organiser)
    auth.login(user)
    return user


def test_a_valid_person_is_saved_normalised(client, organiser):
    before = people_count()
    response = client.post("/people/new", data=valid_form(full_name="  lương   thị   THU ", phone="+84 912.345.678"))

    assert response.status_code == 302
    person = db.session.scalars(select(Person).order_by(Person.id.desc())).first()
    assert person.full_name == "Lương Thị Thu"
    assert person.phone == "0912345678"
    assert people_count() == before + 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "0201850012345", "phải có đúng 12 chữ số (đang có 13)"),
        ("id_number", "02018500123a", "chỉ gồm chữ số"),
        ("phone", "09123abc78", "Số điện thoại chỉ gồm chữ số"),
        ("phone", "0123456", "không đúng định dạng Việt Nam"),
        ("unit_id", "999999", "Đơn vị hành chính không tồn tại."),
        ("unit_id", "", "Chọn đơn vị hành chính."),
        ("full_name", "Nguyễn " + "A" * 500, "Họ và tên tối đa 100 ký tự"),
        ("full_name", "<script>alert(1)</script>", "Họ và tên chỉ gồm chữ cái và khoảng trắng."),
        ("full_name", "Hường", "ít nhất hai từ"),
        ("full_name", "", "Nhập họ và tên."),
        ("position", "<script>alert(1)</script>", "Không được chứa ký tự &lt; hoặc &gt;."),
        ("workplace", "x" * 201, "Tối đa 200 ký tự"),
        ("birth_date", "31/02/1985", "Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm"),
        ("birth_date", "05/02/1850", "Ngày sinh phải trong khoảng năm 1920"),
        ("birth_year", "85", "Năm sinh gồm 4 chữ số"),
        ("gender", "other", "Chọn giới tính (Nữ hoặc Nam)."),
        ("level", "planet", "Chọn cấp: tỉnh, huyện, xã hoặc thôn."),
        ("ethnicity_id", "99999", "Dân tộc không có trong danh mục."),
    ],
)
def test_bad_input_is_refused_on_the_field_and_nothing_is_written(client, organiser, field, value, message):
    before = people_count()

    response = client.post("/people/new", data=valid_form(**{field: value}))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert f'id="{field}-error"' in page or field in ("gender",)
    assert people_count() == before
    # What the user typed is still in the form, so nothing has to be typed again.
    if field not in ("unit_id", "ethnicity_id", "gender", "level"):
        assert "Lương Thị Thu" in page or field == "full_name"


def test_a_missing_birth_date_and_year_is_refused(client, organiser):
    page = client.post("/people/new", data=valid_form(birth_date="", birth_year="")).get_data(as_text=True)
    assert "Nhập ngày sinh hoặc năm sinh." in page


def test_a_script_tag_is_shown_escaped_when_sent_back(client, organiser):
    page = client.post("/people/new", data=valid_form(workplace="<script>alert(1)</script>")).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_year_of_birth_alone_is_enough(client, organiser):
    response = client.post("/people/new", data=valid_form(birth_date="", birth_year="1979"))
    assert response.status_code == 302
    person = db.session.scalars(select(Person).order_by(Person.id.desc())).first()
    assert (person.birth_date, person.birth_year) == (None, 1979)
