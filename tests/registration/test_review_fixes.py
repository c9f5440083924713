"""What the registration review found: races, waiting-list order, merges, messy files, bound imports."""

import io
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.errors import ConflictError, ValidationError
from app.extensions import db
from app.people.models import Gender
from app.planning.models import ActivityStatus
from app.registration import imports, services
from app.registration.models import Enrolment, EnrolmentStatus
from tests.factories import commune_of, make_activity, make_person, make_user
from tests.registration.test_import import MAX, messy_rows, workbook

E = EnrolmentStatus


@pytest.fixture
def organiser():
    return make_user(Role.organiser)


def test_a_second_cancel_of_the_same_enrolment_is_refused_and_promotes_nobody_twice(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open, capacity=1)
    seated, first, second = (services.enrol(activity, make_person(), organiser) for _ in range(3))
    assert services.cancel(seated, organiser, "Bận") == first
    with pytest.raises(ConflictError) as raised:
        services.cancel(seated, organiser, "Bận")
    assert raised.value.code == "not_active"
    assert (first.status, second.status) == (E.registered, E.waitlisted)


def test_nobody_overtakes_the_waiting_list_when_seats_are_added(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open, capacity=1)
    services.enrol(activity, make_person(), organiser)
    waiting = services.enrol(activity, make_person(), organiser)
    activity.capacity = 2
    newcomer = services.enrol(activity, make_person(), organiser)
    assert (waiting.status, newcomer.status) == (E.registered, E.waitlisted)
    assert services.waiting_rank(newcomer) == 1


def test_a_merge_keeps_the_better_place(app_ctx, organiser):
    from app.people.services import merge

    activity = make_activity(status=ActivityStatus.open, capacity=1)
    keep = make_person(full_name="Hoàng Thị Nga", birth_year=1980, birth_date=None)
    twin = make_person(full_name="Hoàng Thị Nga", birth_year=1980, birth_date=None)
    kept = services.enrol(activity, keep, organiser)
    services.cancel(kept, organiser, "Nhầm")
    services.enrol(activity, twin, organiser)
    merge(keep.id, [twin.id], organiser)
    assert kept.status is E.registered


def test_an_id_number_of_someone_else_is_an_error_not_a_silent_match(app_ctx, organiser):
    make_person(
        full_name="Nông Văn Khác", id_number="020190555777", birth_date=None, birth_year=1990, unit=commune_of("188")
    )
    activity = make_activity(status=ActivityStatus.open, capacity=5)
    row = ["Lò Thị Mai", "Nữ", "1990", "", "020190555777", "", "Thôn", "", "", "", commune_of("188").code]
    report = imports.run(activity, "ds.xlsx", workbook([row]), organiser, commit=False, max_bytes=MAX)
    assert "đã đăng ký cho Nông Văn Khác" in " ".join(map(str, report.rows[0].errors))


def test_numbers_excel_rounded_are_refused(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open, capacity=5)
    row = messy_rows(commune_of("188").code)[0]
    row[4] = "2.0185E+10"
    report = imports.run(activity, "ds.xlsx", workbook([row]), organiser, commit=False, max_bytes=MAX)
    assert "đã bị Excel làm tròn" in " ".join(map(str, report.rows[0].errors))


def test_a_workbook_claiming_a_huge_size_is_read_by_its_real_rows(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open, capacity=5)
    source = zipfile.ZipFile(io.BytesIO(workbook(messy_rows(commune_of("188").code)[:2])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', content)
            out.writestr(item, content)
    report = imports.run(activity, "ds.xlsx", buffer.getvalue(), organiser, commit=False, max_bytes=MAX)
    assert len(report.rows) == 2


def test_an_unreadable_csv_is_a_message_not_a_crash(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open)
    with pytest.raises(ValidationError):
        imports.run(activity, "ds.csv", b"\x81\x8d\x8f\x90\x9d\n\x81", organiser, commit=False, max_bytes=MAX)
    with pytest.raises(ValidationError):
        imports.run(activity, "ds.csv", b'"' + b"x" * 200_000 + b'"\n', organiser, commit=False, max_bytes=MAX)


def test_a_checked_file_commits_only_to_its_own_activity(client, auth, organiser):
    first = make_activity(status=ActivityStatus.open, capacity=5)
    second = make_activity(status=ActivityStatus.open, capacity=5)
    auth.login(organiser)
    page = client.post(
        f"/activities/{first.id}/import",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(workbook(messy_rows(commune_of("188").code)[:1])), "ds.xlsx")},
    )
    token = re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    stolen = client.post(f"/activities/{second.id}/import/commit", data={"token": token, "extension": ".xlsx"})
    assert stolen.status_code == 404
    assert db.session.scalar(select(Enrolment).where(Enrolment.activity_id == second.id)) is None


def test_an_enormous_person_id_is_422_not_500(api, organiser):
    activity = make_activity(status=ActivityStatus.open)
    response = api("POST", f"/activities/{activity.id}/enrolments", organiser, json={"person_id": 2**70})
    assert response.status_code == 422


def test_an_unknown_quota_category_is_a_message(app_ctx):
    activity = make_activity(status=ActivityStatus.open, capacity=5)
    with pytest.raises(ValidationError) as raised:
        services.set_quota(activity, commune_of("188").parent_id, 999999, 2)
    assert "category_id" in raised.value.fields


def test_waiting_rank_counts_everyone_waiting(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open, capacity=1)
    services.enrol(activity, make_person(gender=Gender.female), organiser)
    ranks = [services.waiting_rank(services.enrol(activity, make_person(), organiser)) for _ in range(3)]
    assert ranks == [1, 2, 3]


def test_a_title_row_above_the_header_is_fine(app_ctx, organiser):
    activity = make_activity(status=ActivityStatus.open, capacity=5)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH CÁN BỘ CỬ ĐI TẬP HUẤN - HUYỆN LỘC BÌNH"])
    sheet.append(["Họ và tên", "Giới tính", "Năm sinh", "Cấp", "Mã đơn vị"])
    sheet.append(["Lò Văn Một", "Nam", 1980, "Thôn", commune_of("188").code])
    buffer = io.BytesIO()
    book.save(buffer)
    report = imports.run(activity, "ds.xlsx", buffer.getvalue(), organiser, commit=False, max_bytes=MAX)
    assert [(r.full_name, r.errors) for r in report.rows] == [("Lò Văn Một", [])]


def test_reopening_a_closed_link_does_not_revive_old_ones(app):
    from app.registration import self_service

    activity = make_activity(status=ActivityStatus.open)
    with app.test_request_context():
        old = self_service.publish(activity)
        self_service.close(activity)
        new = self_service.publish(activity)
    client = app.test_client()
    assert client.get(f"/r/{old}").status_code == 404
    assert client.get(f"/r/{new}").status_code == 200
