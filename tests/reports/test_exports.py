"""The report files as the province receives them, reopened by the tools that will read them."""

import io
import subprocess

import openpyxl
from docx import Document

from app.auth.models import Role
from tests.factories import LOC_BINH, make_plan, make_user
from tests.registration.test_letters import tool


def workbook(client, query: str) -> openpyxl.Workbook:
    response = client.get(f"/reports/export.xlsx?{query}")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"].endswith('bao-cao-dao-tao-2023.xlsx"')
        or "2023" in response.headers["Content-Disposition"]
    )
    return openpyxl.load_workbook(io.BytesIO(response.data))


def sheet_rows(sheet) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_the_workbook_has_a_sheet_per_breakdown_with_numbers_as_numbers(client, auth, year_2023):
    make_plan(target_women_percent=40)
    auth.login(make_user(Role.leader))
    book = workbook(client, "year=2023")
    summary = {row[0]: row[1] for row in sheet_rows(book["Tổng hợp"]) if row and row[0]}
    assert summary["Số người được đào tạo, tập huấn (không trùng)"] == 3
    assert summary["Số lượt người"] == 5
    assert summary["Số nữ"] == 1
    assert summary["Tỷ lệ nữ (%)"] == 33.3
    assert summary["Chỉ tiêu tỷ lệ nữ (%)"] == 40
    assert summary["Người dân tộc thiểu số"] == 2
    assert summary["Số hoạt động đã tổ chức"] == 3

    districts = sheet_rows(book["Huyện - đơn vị trực thuộc tỉnh"])
    assert districts[0] == ("Nhóm", "Số người", "Trong đó nữ", "Tỷ lệ nữ (%)", "Lượt người", "Người dân tộc thiểu số")
    assert districts[1:] == [
        ("Huyện Lộc Bình", 2, 1, 50.0, 4, 2),
        ("Huyện Cao Lộc", 1, 0, 0.0, 1, 0),
        ("Tổng cộng", 3, 1, 33.3, 5, 2),
    ]
    kinds = sheet_rows(book["Loại hoạt động"])
    assert kinds[-2] == ("Trừ số được tính ở nhiều nhóm", -2, -2, None, 0, -2)  # the overlap row keeps it adding up
    assert len(book.sheetnames) == 11  # the summary and ten breakdowns


def test_the_workbook_stays_vietnamese_in_the_english_interface(client, auth, year_2023):
    auth.login(make_user(Role.leader))
    client.post("/lang", data={"lang": "en"})
    book = workbook(client, "year=2023")
    assert "Giới tính" in book.sheetnames
    assert [row[0] for row in sheet_rows(book["Giới tính"])][1:] == ["Nữ", "Nam", "Tổng cộng"]


def test_a_published_workbook_hides_small_counts(client, auth, year_2023):
    auth.login(make_user(Role.leader))
    book = workbook(client, "year=2023&publish=1")
    districts = sheet_rows(book["Huyện - đơn vị trực thuộc tỉnh"])
    assert districts[1] == ("Huyện Lộc Bình", "<5", "<5", "…", "<5", "<5")
    assert districts[-1] == ("Tổng cộng", 3, 1, 33.3, 5, 2)  # totals are public
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert "Lục Thị Hoa" not in row  # no names in an aggregate report


def test_a_lone_small_cell_takes_a_second_one_with_it(app_ctx, year_2023):
    from app.reports import trained
    from app.reports.exports import printed
    from app.reports.filters import ReportFilter

    table = trained.breakdown("gender", ReportFilter(year=2023))
    table.rows[1].people = 40  # men: 40, women: 1, so only the women's cell is small
    table.total.people = 41
    lines = printed(table, publish=True)
    assert lines[0].values["people"] == "<5"
    assert lines[1].values["people"] == "<5"  # else 41 - 40 gives it away


def test_the_word_draft_has_the_administrative_layout_and_the_figures(client, auth, year_2023):
    make_plan(target_women_percent=40)
    auth.login(make_user(Role.leader))
    response = client.get("/reports/export.docx?year=2023&period=year")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    heading = document.tables[0].rows[0].cells
    issuer, nation = heading[0].text.split("\n"), heading[1].text.split("\n")
    assert issuer[0] == "ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN"  # the parent body, from the reference data
    assert issuer[-1] == "Số: …/BC-SLĐTBXH"
    assert nation[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert nation[2].startswith("Lạng Sơn, ngày ")
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "BÁO CÁO" in text
    assert "Số người được đào tạo, tập huấn (không trùng): 3." in text
    assert "Số lượt người: 5." in text
    assert "Số nữ: 1 (33,3\u00a0%)." in text
    assert "Chỉ tiêu tỷ lệ nữ theo kế hoạch: 40 %." in text
    district_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Nhóm")
    assert [c.text for c in district_table.rows[1].cells] == ["Huyện Lộc Bình", "2", "1", "50,0\u00a0%", "4", "2"]
    assert "Nơi nhận:" in "\n".join(cells)


def test_the_pdf_reads_back_with_the_figures(client, auth, year_2023, tmp_path):
    auth.login(make_user(Role.district, unit_code=LOC_BINH))
    response = client.get("/reports/export.pdf?year=2023")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(response.data)
    text = subprocess.run([tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Số người được đào tạo, tập huấn (không trùng): 2." in text  # the officer's units only
    assert "Huyện Cao Lộc" not in text
    assert "Kinh phí" not in text  # no money for district officers
