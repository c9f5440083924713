"""A participant's data can be shown, downloaded, corrected and anonymised, with the figures kept."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.audit.services import EXPORT_ACTION
from app.auth.models import Role
from app.extensions import db
from app.people.models import Person
from app.reports import trained
from app.reports.filters import ReportFilter
from tests.factories import make_user

YEAR = ReportFilter(year=2023)
OLD_NAME, OLD_ID, OLD_PHONE = "Lục Thị Hoa", "020185123456", "0912300001"


@pytest.fixture
def certificates_dir(app, tmp_path):
    previous, app.config["CERTIFICATES_DIR"] = app.config["CERTIFICATES_DIR"], str(tmp_path / "certificates")
    yield tmp_path / "certificates"
    app.config["CERTIFICATES_DIR"] = previous


@pytest.fixture
def hoa(year_2023, organiser, certificates_dir, client, auth):
    """Hoa, with an ID, a birth date, a correction in the audit log and a certificate on file."""
    from app.certificates import services as certificates

    hoa = year_2023.hoa
    hoa.id_number, hoa.birth_date, hoa.position = OLD_ID, date(1985, 7, 3), "Trưởng thôn Khuổi Tát"
    db.session.flush()
    auth.login(organiser)
    form = {
        "full_name": OLD_NAME,
        "gender": "female",
        "birth_date": "03/07/1985",
        "ethnicity_id": str(hoa.ethnicity_id),
        "id_number": OLD_ID,
        "phone": OLD_PHONE,
        "level": hoa.level.value,
        "unit_id": str(hoa.unit_id),
        "position": "Bí thư chi bộ",
        "confirmed": "y",
    }
    assert client.post(f"/people/{hoa.id}/edit", data=form).status_code == 302  # a correction
    certificates.issue(year_2023.training, organiser, [hoa.id])
    auth.logout()
    return hoa


def figures():
    """Every figure the trained report shows, by every breakdown."""
    rows = {"total": trained.total(YEAR).as_dict()}
    for by in trained.BREAKDOWNS:
        table = trained.breakdown(by, YEAR)
        rows[by] = sorted((r.key, r.people, r.women, r.person_times, r.ethnic_minority) for r in table.rows)
    return rows


def anonymise(client, person, **form):
    return client.post(
        f"/people/{person.id}/anonymise", data={"reason": "Đơn đề nghị ngày 01/12/2026", "confirm": "y", **form}
    )


def test_a_correction_is_audited_with_before_and_after(hoa):
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.update"))
    assert entry.before["position"] == "Trưởng thôn Khuổi Tát" and entry.after["position"] == "Bí thư chi bộ"


def test_the_subject_page_shows_everything_held_and_the_download_is_logged(client, auth, organiser, hoa, year_2023):
    auth.login(organiser)
    page = client.get(f"/people/{hoa.id}/data").get_data(as_text=True)
    for held in (OLD_NAME, year_2023.training.title, year_2023.study_tour.title, "person.update", "0201******56"):
        assert held in page
    assert OLD_ID not in page  # masked here too
    response = client.get(f"/people/{hoa.id}/data.json")
    record = json.loads(response.get_data(as_text=True))
    assert record["profile"]["id_number"] == OLD_ID  # the person's own copy is complete
    assert len(record["enrolments"]) == 3 and len(record["attendance"]) == 4
    assert [c["status"] for c in record["certificates"]] == ["valid"]
    assert {"person.update", "attendance.create"} <= {e["action"] for e in record["audit"]}
    exports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == EXPORT_ACTION)).all()
    assert [(e.after["export"], e.object_id) for e in exports] == [("privacy.subject_json", str(hoa.id))]


def test_anonymising_keeps_every_report_figure(client, auth, hoa):
    before = figures()
    auth.login(make_user(Role.admin))
    assert anonymise(client, hoa).status_code == 302
    db.session.expire_all()
    assert figures() == before
    assert before["total"]["people"] == 3  # the figures compared are the hand-counted ones


def test_after_anonymising_the_name_and_id_appear_nowhere(app, client, auth, hoa, certificates_dir):
    from app.certificates.models import Certificate

    certificate = db.session.scalar(select(Certificate).where(Certificate.person_id == hoa.id))
    stored = certificates_dir / certificate.file_name
    assert stored.exists()
    admin = make_user(Role.admin)
    auth.login(admin)
    anonymise(client, hoa)
    db.session.expire_all()

    assert hoa.full_name == f"Người đã ẩn danh #{hoa.id}" and hoa.anonymised_at is not None
    assert (hoa.id_number, hoa.phone, hoa.birth_date, hoa.position) == (None, None, None, None)
    assert hoa.birth_year == 1985 and hoa.gender.value == "female" and hoa.ethnicity.code == "02"
    assert not stored.exists()  # the PDF printed the old name: drawn again from the scrubbed data
    for search in ("luc thi hoa", OLD_ID, OLD_PHONE):  # the search box echoes the query: look at the results
        assert "Không tìm thấy ai phù hợp." in client.get(f"/people/?q={search}").get_data(as_text=True)
    pages = [
        client.get("/people/").get_data(as_text=True),
        client.get(f"/people/{hoa.id}").get_data(as_text=True),
        client.get(f"/people/{hoa.id}/data").get_data(as_text=True),
        client.get(f"/people/{hoa.id}/data.json").get_data(as_text=True),
        client.get("/people/export.csv").get_data(as_text=True),
        client.get("/admin/audit?q=hoa").get_data(as_text=True),
        client.get("/admin/audit").get_data(as_text=True),
        client.get(f"/verify/{certificate.code}").get_data(as_text=True),
        client.get(f"/api/v1/verify/{certificate.code}").get_data(as_text=True),
    ]
    for text in pages:
        for old in (OLD_NAME, "Lục Thị", OLD_ID, OLD_PHONE, "Khuổi Tát", "03/07/1985", "1985-07-03"):
            assert old not in text
    verify = pages[7]
    assert "Giấy chứng nhận còn hiệu lực." in verify and f"Người đã ẩn danh #{hoa.id}" in verify
    assert "đã được ẩn danh" in verify
    everything = " ".join(str(e.before) + str(e.after) for e in db.session.scalars(select(AuditEntry)))
    assert OLD_NAME not in everything and OLD_ID not in everything and OLD_PHONE not in everything
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "person.anonymise")).all()
    assert entry.actor_id == admin.id and entry.after["reason"] == "Đơn đề nghị ngày 01/12/2026"


def test_anonymising_needs_an_admin_a_reason_and_a_confirmation_and_happens_once(client, auth, organiser, hoa):
    auth.login(organiser)
    assert anonymise(client, hoa).status_code == 403
    auth.logout()
    auth.login(make_user(Role.admin))
    assert "Đánh dấu xác nhận để tiếp tục." in anonymise(client, hoa, confirm="").get_data(as_text=True)
    assert "Nhập lý do ẩn danh." in anonymise(client, hoa, reason="  ").get_data(as_text=True)
    db.session.expire_all()
    assert hoa.full_name == OLD_NAME
    assert anonymise(client, hoa).status_code == 302
    again = anonymise(client, hoa).get_data(as_text=True)
    assert "Hồ sơ này đã được ẩn danh." in again
    assert db.session.query(AuditEntry).filter_by(action="person.anonymise").count() == 1


def test_an_anonymised_record_cannot_be_edited_back(client, auth, hoa):
    from app.errors import ConflictError
    from app.people import services as people
    from app.privacy import services

    admin = make_user(Role.admin)
    services.anonymise(hoa, admin, "Đơn đề nghị")
    with pytest.raises(ConflictError) as refused:
        people.save_person({"full_name": OLD_NAME}, admin, hoa, confirmed=True)
    assert refused.value.code == "anonymised"
    assert db.session.get(Person, hoa.id).full_name.startswith("Người đã ẩn danh")


def test_a_record_merged_into_the_person_is_anonymised_with_it(app_ctx, hoa):
    from app.privacy import services
    from tests.factories import make_person

    twin = make_person(full_name=OLD_NAME, phone="0912300009", merged_into=hoa)
    db.session.flush()
    services.anonymise(hoa, make_user(Role.admin), "Đơn đề nghị")
    assert (twin.full_name, twin.phone) == (f"Người đã ẩn danh #{twin.id}", None)
    assert db.session.scalar(select(Person).where(Person.full_name == OLD_NAME)) is None
