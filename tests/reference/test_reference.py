"""Reference data: what is loaded, and how an admin edits it."""

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.extensions import db
from app.reference.models import Ethnicity, Organisation, ParticipantCategory, Signatory, TrainingTopic
from app.reference.services import ethnicities, load_reference_data
from tests.factories import make_user


def test_54_ethnic_groups_with_official_codes_and_minority_flag():
    groups = {e.code: e for e in ethnicities()}
    assert len(groups) == 54
    assert (groups["01"].name, groups["01"].is_minority) == ("Kinh", False)
    assert all(e.is_minority for code, e in groups.items() if code != "01")
    assert (groups["07"].name, groups["02"].name, groups["09"].name) == ("Nùng", "Tày", "Dao")
    # QĐ 121-TCTK and QĐ 1019/QĐ-TCTK differ from 04 on: Hoa is 04 in one and 06 in the other.
    assert (groups["04"].name, groups["04"].code_2008) == ("Hoa", "06")
    assert {e.code_system for e in groups.values()} == {"QD121-TCTK-1979"}


def test_pick_list_puts_the_provinces_main_groups_first():
    assert [e.name for e in ethnicities()[:4]] == ["Nùng", "Tày", "Kinh", "Dao"]


def test_categories_topics_and_organisations_from_the_plan():
    categories = set(db.session.scalars(select(ParticipantCategory.name)))
    assert {"Cán bộ thôn, bản", "Người có uy tín", "Cộng tác viên giảm nghèo", "Đại diện cộng đồng"} <= categories
    topics = set(db.session.scalars(select(TrainingTopic.name)))
    assert {"Việc làm", "Trợ giúp pháp lý", "Bình đẳng giới", "Giám sát, đánh giá"} <= topics
    department = db.session.scalar(select(Organisation).where(Organisation.code == "SLDTBXH-LS"))
    assert department.parent.name == "Ủy ban nhân dân tỉnh Lạng Sơn"
    signer = db.session.scalar(select(Signatory))
    assert (signer.full_name, signer.authority_line, signer.title) == ("Đàm Văn Chính", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")


def test_reloading_keeps_admin_edits():
    kinh = db.session.scalar(select(Ethnicity).where(Ethnicity.code == "01"))
    kinh.name_en = "Kinh (Viet)"
    db.session.flush()
    assert sum(load_reference_data().values()) == 0
    assert kinh.name_en == "Kinh (Viet)"


@pytest.fixture
def admin(auth):
    user = make_user(Role.admin)
    auth.login(user)
    return user


def test_admin_adds_a_topic_and_it_is_audited(client, admin):
    response = client.post(
        "/reference/topics/new",
        data={
            "code": "digital_skills",
            "name": "Kỹ năng số",
            "name_en": "Digital skills",
            "sort_order": "150",
            "active": "y",
        },
    )
    assert response.status_code == 302
    topic = db.session.scalar(select(TrainingTopic).where(TrainingTopic.code == "digital_skills"))
    assert topic.name == "Kỹ năng số"
    assert (
        db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "training_topics.create")) == 1
    )


def test_renaming_an_organisation_is_an_edit_of_data(client, admin):
    org = db.session.scalar(select(Organisation).where(Organisation.code == "SLDTBXH-LS"))
    form = {
        "code": org.code,
        "name": "Sở Nội vụ tỉnh Lạng Sơn",
        "short_name": "SNV",
        "parent_id": str(org.parent_id),
        "place_name": "Lạng Sơn",
        "valid_from": "01/03/2025",
        "valid_to": "",
    }
    assert client.post(f"/reference/organisations/{org.id}/edit", data=form).status_code == 302
    db.session.refresh(org)
    assert (org.name, org.short_name) == ("Sở Nội vụ tỉnh Lạng Sơn", "SNV")


@pytest.mark.parametrize(
    ("kind", "form", "message"),
    [
        ("topics", {"code": "employment", "name": "Trùng mã"}, "Mã này đã tồn tại."),
        ("topics", {"code": "có dấu", "name": "X"}, "Mã chỉ gồm chữ không dấu"),
        ("topics", {"code": "ok", "name": "X", "sort_order": "abc"}, "Nhập một số nguyên."),
        ("ethnicities", {"code": "7", "name": "X"}, "Mã gồm 2 chữ số."),
        (
            "signatories",
            {"full_name": "A", "title": "B", "valid_from": "01/01/2024", "valid_to": "01/01/2023"},
            "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.",
        ),
    ],
)
def test_bad_reference_data_is_refused(client, admin, kind, form, message):
    page = client.post(f"/reference/{kind}/new", data=form).get_data(as_text=True)
    assert message in page


def test_unknown_table_is_404(client, admin):
    assert client.get("/reference/spaceships").status_code == 404


def test_non_admin_cannot_edit_reference_data(client, auth):
    auth.login(make_user(Role.organiser))
    assert client.get("/reference/topics").status_code == 200
    assert client.post("/reference/topics/new", data={"code": "x", "name": "y"}).status_code == 403


def test_an_organisation_cannot_become_its_own_parent(client, admin):
    department = db.session.scalar(select(Organisation).where(Organisation.code == "SLDTBXH-LS"))
    division = db.session.scalar(select(Organisation).where(Organisation.code == "BTXHTE"))
    form = {"code": department.code, "name": department.name, "parent_id": str(division.id)}
    page = client.post(f"/reference/organisations/{department.id}/edit", data=form).get_data(as_text=True)
    assert "không được là chính cơ quan này hoặc cơ quan cấp dưới" in page
    db.session.refresh(department)
    assert department.parent.code == "UBND-LS"


def test_a_signer_needs_an_organisation_that_exists(client, admin):
    page = client.post(
        "/reference/signatories/new",
        data={"organisation_id": "99999", "full_name": "Nguyễn Văn A", "title": "GIÁM ĐỐC"},
    ).get_data(as_text=True)
    assert "Cơ quan không tồn tại." in page
