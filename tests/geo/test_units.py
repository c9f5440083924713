"""Administrative units: the 2023 structure, the 2025 reorganisation, successors, scope, edits."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.geo.services import descendant_unit_ids, find_by_code, list_units, load_units, valid_on
from tests.factories import make_user, unit


def count(query):
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def test_2023_has_11_districts_and_200_communes():
    on = date(2023, 6, 1)
    assert count(list_units(UnitLevel.district, on=on)) == 11
    assert count(list_units(UnitLevel.commune, on=on)) == 200


def test_from_july_2025_there_are_65_communes_under_the_province_and_no_districts():
    on = date(2025, 7, 1)
    province = find_by_code("20")
    communes = db.session.scalars(list_units(UnitLevel.commune, on=on)).all()
    assert len(communes) == 65
    assert {c.parent_id for c in communes} == {province.id}
    assert count(list_units(UnitLevel.district, on=on)) == 0
    assert sum(c.kind.value == "phuong" for c in communes) == 4


def test_december_2024_mergers_end_the_absorbed_communes():
    assert count(list_units(UnitLevel.commune, on=date(2024, 12, 1))) == 194


def test_successor_mapping_follows_the_2025_resolution():
    # NQ 1672: new xã Lộc Bình = TT Lộc Bình + Khánh Xuân + Đồng Bục + Hữu Khánh.
    new_loc_binh = db.session.scalar(
        valid_on(select(AdminUnit).where(AdminUnit.name == "Xã Lộc Bình"), date(2026, 1, 1))
    )
    predecessors = {p.name for p in new_loc_binh.predecessors}
    assert predecessors == {"Thị trấn Lộc Bình", "Xã Khánh Xuân", "Xã Đồng Bục", "Xã Hữu Khánh"}


def test_a_reused_code_resolves_by_date():
    old, new = (find_by_code("06001", date(2023, 1, 1)), find_by_code("06001", date(2026, 1, 1)))
    assert old.id != new.id
    assert old.successors == [new]


def test_loading_twice_adds_nothing():
    assert load_units() == 0


def test_a_districts_reach_is_its_communes_and_the_communes_they_became():
    district = unit("188")
    communes = db.session.scalars(select(AdminUnit).where(AdminUnit.parent_id == district.id)).all()
    became = {s.id for c in communes for s in c.successors}
    assert len(communes) == 21  # Huyện Lộc Bình had 21 commune-level units
    assert descendant_unit_ids(district.id) == {district.id} | {c.id for c in communes} | became
    new_loc_binh = db.session.scalar(
        valid_on(select(AdminUnit).where(AdminUnit.name == "Xã Lộc Bình"), date(2026, 1, 1))
    )
    assert new_loc_binh.id in became


@pytest.fixture
def admin(auth):
    user = make_user(Role.admin)
    auth.login(user)
    return user


def unit_form(**overrides):
    data = {
        "code": "99001",
        "name": "Thôn Nà Lầu",
        "kind": "thon",
        "level": "village",
        "parent_id": "",
        "valid_from": "01/01/2020",
        "valid_to": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_admin_adds_a_village_under_a_commune(client, admin):
    commune = db.session.scalars(select(AdminUnit).where(AdminUnit.level == UnitLevel.commune)).first()
    response = client.post("/units/new", data=unit_form(parent_id=str(commune.id)))
    assert response.status_code == 302
    village = db.session.scalar(select(AdminUnit).where(AdminUnit.code == "99001"))
    assert village.parent_id == commune.id
    assert village.id in descendant_unit_ids(commune.parent_id)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"valid_from": "01/01/2024", "valid_to": "01/01/2023"}, "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."),
        ({"valid_from": "32/01/2024"}, "Ngày không hợp lệ"),
        ({"code": "ab cd"}, "Mã gồm tối đa 20 chữ và số."),
        ({"kind": "empire"}, "Chọn một loại trong danh sách."),
        ({"name": ""}, "Trường này là bắt buộc."),
        ({"parent_id": "99999999"}, "Đơn vị cấp trên không tồn tại."),
    ],
)
def test_bad_unit_data_is_refused(client, admin, overrides, message):
    before = count(select(AdminUnit))
    page = client.post("/units/new", data=unit_form(**overrides)).get_data(as_text=True)
    assert message in page
    assert count(select(AdminUnit)) == before


def test_a_unit_cannot_be_moved_under_its_own_commune(client, admin):
    district = unit("188")
    commune = db.session.scalars(select(AdminUnit).where(AdminUnit.parent_id == district.id)).first()
    form = unit_form(
        code=district.code,
        name=district.name,
        kind="huyen",
        level="district",
        parent_id=str(commune.id),
        valid_from="01/01/2020",
        valid_to="30/06/2025",
    )
    page = client.post(f"/units/{district.id}/edit", data=form).get_data(as_text=True)
    assert "không được là chính đơn vị này hoặc đơn vị cấp dưới" in page


def test_organiser_reads_units_but_cannot_edit(client, auth):
    auth.login(make_user(Role.organiser))
    assert client.get("/units/?level=district&on=01/06/2023").status_code == 200
    assert client.get("/units/new").status_code == 403
