"""Importing a messy district spreadsheet: dry run per row, all-or-nothing commit, file checks."""

import io
import unicodedata
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.errors import ValidationError
from app.extensions import db
from app.people.models import Person
from app.planning.models import ActivityStatus
from app.registration import imports
from app.registration.models import Enrolment
from tests.factories import commune_of, make_activity, make_person, make_user

MAX = 5 * 1024 * 1024


def workbook(rows, headers=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        headers
        or [
            " HỌ VÀ TÊN ",
            "gioi tinh",
            "Ngày Sinh",
            "Dân Tộc",
            "so cccd",
            "SĐT",
            "cấp",
            "Đối tượng",
            "Chức vụ",
            "Nơi công tác",
            "Mã đơn vị",
        ]
    )
    sheet.append([])  # blank rows, as real lists have
    for row in rows:
        sheet.append(row)
    sheet.append([None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def counts():
    return (db.session.scalar(select(func.count(Person.id))), db.session.scalar(select(func.count(Enrolment.id))))


@pytest.fixture
def activity():
    return make_activity(status=ActivityStatus.open, capacity=2)


@pytest.fixture
def organiser():
    return make_user(Role.organiser)


def messy_rows(code):
    nfd = unicodedata.normalize("NFD", "Lương Thị Thu  ")
    return [
        [
            nfd,
            "Nữ",
            31083,
            "Tày",
            "2.0118500123E+10",
            912345678,
            "Thôn",
            "Cán bộ thôn, bản",
            "Trưởng thôn ",
            "Thôn Nà Lầu",
            int(code),
        ],  # serial date, NFD, scientific ID, phone lost its 0, code lost its 0
        [
            "Hoàng Văn Nam",
            "nam",
            "05/02/1979",
            "nung",
            "",
            "0987 654 321",
            "xa",
            "cong tac vien giam ngheo",
            "",
            "",
            code,
        ],
        ["Vi Thị Hoa", "NU", "1990", "07", None, "+84 977 000 111", "thôn", "", "", "", code],
        ["Nông Văn Sai", "khác", "31/02/1990", "Tày", "123", "09abc", "thôn", "Không có", "", "", "99999"],
    ]


def test_the_dry_run_reads_messy_rows_and_writes_nothing(app_ctx, activity, organiser):
    code = commune_of("188").code
    before = counts()
    report = imports.run(activity, "danh sach.xlsx", workbook(messy_rows(code)), organiser, commit=False, max_bytes=MAX)
    assert counts() == before
    first, second, third, bad = report.rows
    assert (first.full_name, first.person, first.enrolment, first.errors) == ("Lương Thị Thu", "new", "registered", [])
    assert (second.person, second.enrolment) == ("new", "registered")
    assert third.enrolment == "waitlisted" and third.errors == []
    joined = " | ".join(str(e) for e in bad.errors)
    for expected in (
        "Giới tính “khac” không rõ",
        "Ngày sinh không đọc được",
        "Số điện thoại chỉ gồm chữ số",
        "Đối tượng “Không có” không có trong danh mục",
        "Mã đơn vị hành chính “99999” không có",
    ):
        assert expected in joined


def test_commit_is_refused_while_any_row_has_an_error(app_ctx, activity, organiser):
    before = counts()
    report = imports.run(
        activity, "ds.xlsx", workbook(messy_rows(commune_of("188").code)), organiser, commit=True, max_bytes=MAX
    )
    assert not report.committed
    assert counts() == before


def test_a_clean_file_commits_with_normalised_values(app_ctx, activity, organiser):
    report = imports.run(
        activity, "ds.xlsx", workbook(messy_rows(commune_of("188").code)[:3]), organiser, commit=True, max_bytes=MAX
    )
    assert report.committed and report.errors == 0
    person = db.session.scalar(select(Person).where(Person.phone == "0912345678"))
    assert person.full_name == "Lương Thị Thu" and unicodedata.is_normalized("NFC", person.full_name)
    assert (person.id_number, person.birth_date.isoformat()) == ("020118500123", "1985-02-05")
    assert person.position == "Trưởng thôn"


def test_an_import_that_fails_halfway_leaves_nothing_behind(app_ctx, activity, organiser):
    code = commune_of("188").code
    rows = messy_rows(code)[:2] + [messy_rows(code)[1]]  # the same person twice: the 3rd row fails on enrolment
    before = counts()
    report = imports.run(activity, "ds.xlsx", workbook(rows), organiser, commit=True, max_bytes=MAX)
    assert not report.committed and report.rows[2].errors
    assert counts() == before


def test_people_already_registered_are_matched_not_duplicated(app_ctx, activity, organiser):
    existing = make_person(full_name="Hoàng Văn Nam", birth_date=None, birth_year=1979, unit=commune_of("188"))
    report = imports.run(
        activity, "ds.xlsx", workbook(messy_rows(commune_of("188").code)[1:2]), organiser, commit=True, max_bytes=MAX
    )
    assert report.rows[0].person == "matched"
    assert db.session.scalar(select(Enrolment.person_id)) == existing.id


def test_a_csv_with_semicolons_and_a_district_officers_scope(app_ctx, activity):
    officer = make_user(Role.district, unit_code="188")
    mine, theirs = commune_of("188").code, commune_of("183").code
    text = (
        f"Họ và tên;Giới tính;Năm sinh;Cấp;Mã đơn vị\n"
        f"Lò Văn Một;Nam;1980;Thôn;{mine}\nLò Văn Hai;Nam;1981;Thôn;{theirs}\n"
    )
    report = imports.run(activity, "ds.csv", text.encode("utf-8-sig"), officer, commit=False, max_bytes=MAX)
    assert report.rows[0].errors == []
    assert "Bạn chỉ được đăng ký người thuộc đơn vị mình phụ trách." in " ".join(map(str, report.rows[1].errors))


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("ds.xls", b"\xd0\xcf\x11\xe0", "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)."),
        ("ds.xlsx", b"not a zip", "Tệp bị hỏng"),
        ("ds.xlsx", b"", "Tệp rỗng."),
    ],
)
def test_files_are_checked_before_parsing(app_ctx, activity, organiser, filename, content, message):
    with pytest.raises(ValidationError) as raised:
        imports.run(activity, filename, content, organiser, commit=False, max_bytes=MAX)
    assert message in str(raised.value.fields["file"])


def test_workbooks_with_macros_or_missing_columns_are_refused(app_ctx, activity, organiser):
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook([])), "r") as source, zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            out.writestr(item, source.read(item.filename))
        out.writestr("xl/vbaProject.bin", b"macro")
    with pytest.raises(ValidationError, match="invalid_file") as macro:
        imports.run(activity, "ds.xlsx", buffer.getvalue(), organiser, commit=False, max_bytes=MAX)
    assert "Tệp có macro" in str(macro.value.fields["file"])
    with pytest.raises(ValidationError) as raised:
        imports.run(activity, "ds.xlsx", workbook([["x"]], headers=["Tên lớp"]), organiser, commit=False, max_bytes=MAX)
    assert "Thiếu cột" in str(raised.value.fields["file"])


def test_the_pages_dry_run_then_commit(client, auth, activity, organiser):
    auth.login(organiser)
    data = workbook(messy_rows(commune_of("188").code)[:2])
    page = client.post(
        f"/activities/{activity.id}/import",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), "ds.xlsx")},
    ).get_data(as_text=True)
    assert "Ghi vào hệ thống" in page and counts()[1] == 0
    import re

    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client.post(f"/activities/{activity.id}/import/commit", data={"token": token, "extension": ".xlsx"})
    assert response.status_code == 302
    assert counts()[1] == 2
    template = client.get(f"/activities/{activity.id}/import/template.xlsx")
    headers = [c.value for c in next(openpyxl.load_workbook(io.BytesIO(template.data)).active.iter_rows())]
    assert headers[0] == "Họ và tên"
