"""The report as the province receives it: an .xlsx workbook, a Word draft and a PDF.

Documents are official Vietnamese whatever the interface language (the views build them under
``force_locale("vi")``). They hold aggregate figures only, never a name. In publication mode
(``publish``) a count below ``REPORT_MIN_CELL`` is shown as "<N", and one more cell of the same
column is hidden when a lone hidden cell could be worked out from the total.
"""

import io
from dataclasses import dataclass
from datetime import date

from flask import current_app
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle
from sqlalchemy import select

from app.budget.models import BudgetLine, LineKind
from app.certificates.pdf import BOLD, REGULAR, register_fonts
from app.core.exports import workbook_bytes
from app.core.formats import date_vn, date_words_vn, decimal_vn, money_vn, number_vn, percent_vn
from app.core.pdf import build_document, paragraph
from app.extensions import db
from app.planning.models import Plan
from app.reference.models import Organisation
from app.reference.services import signer_on
from app.reports import trained
from app.reports.dashboard import Dashboard
from app.reports.filters import ReportFilter

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
COUNTS = ("people", "women", "person_times", "ethnic_minority")
HEADERS = ["Nhóm", "Số người", "Trong đó nữ", "Tỷ lệ nữ (%)", "Lượt người", "Người dân tộc thiểu số"]


def all_breakdowns(report_filter: ReportFilter, user, whole: trained.Row | None = None) -> list[trained.Breakdown]:
    return [trained.breakdown(by, report_filter, user, whole) for by in trained.BREAKDOWNS]


def filename(report_filter: ReportFilter, extension: str) -> str:
    first, last = report_filter.bounds
    if report_filter.period == "custom":
        span = f"{first:%Y%m%d}-{last:%Y%m%d}"
    else:
        span = f"{report_filter.year or 'tat-ca'}{'' if report_filter.period == 'year' else '-' + report_filter.period}"
    return f"bao-cao-dao-tao-{span}.{extension}"


def period_text(report_filter: ReportFilter) -> str:
    first, last = report_filter.bounds
    if report_filter.period == "h1":
        return f"6 tháng đầu năm {report_filter.year}"
    if report_filter.period == "h2":
        return f"6 tháng cuối năm {report_filter.year}"
    if report_filter.period == "custom":
        return f"từ ngày {date_vn(first)} đến ngày {date_vn(last)}"
    return f"năm {report_filter.year}" if report_filter.year else "toàn giai đoạn"


# -- small cells ------------------------------------------------------------------------------------


@dataclass
class Line:
    """A table row as printed: counts are ints, or "<N" text where hidden."""

    label: str
    values: dict
    share: float | str | None


def printed(table: trained.Breakdown, publish: bool) -> list[Line]:
    """The breakdown's rows, overlap and total as printed, with small cells hidden for publication."""
    rows = list(table.rows) + ([table.overlap] if table.overlap else []) + [table.total]
    values = [{name: getattr(row, name) for name in COUNTS} for row in rows]
    if publish:
        limit = current_app.config["REPORT_MIN_CELL"]
        hidden = f"<{limit}"
        groups = range(len(table.rows))
        for name in COUNTS:
            small = [i for i in groups if 0 < values[i][name] < limit]
            if len(small) == 1:  # a lone hidden cell is the total minus the others: hide the next smallest
                others = sorted((values[i][name], i) for i in groups if i not in small and values[i][name] > 0)
                small += [others[0][1]] if others else []
            for i in small:
                values[i][name] = hidden
        if table.overlap is not None:  # the overlap would let hidden cells be worked back
            values[len(table.rows)] = {name: "…" for name in COUNTS}
    lines = []
    for row, shown in zip(rows, values, strict=True):
        share = row.women_share if all(isinstance(shown[n], int) for n in ("people", "women")) else "…"
        lines.append(Line(row.label, shown, None if row is table.overlap else share))
    return lines


# -- the figures every format tells -----------------------------------------------------------------


def facts(board: Dashboard) -> list[tuple[str, str]]:
    """(label, value) lines of the summary, in the order the report tells them."""
    total, targets = board.total, board.targets
    out = [("Số hoạt động đã tổ chức", number_vn(board.held_total))]
    out += [(f"  - {kind.label}", number_vn(count)) for kind, count in board.held.items()]
    out += [
        ("Số người được đào tạo, tập huấn (không trùng)", number_vn(total.people)),
        ("Số lượt người", number_vn(total.person_times)),
        ("Số nữ", f"{number_vn(total.women)} ({percent_vn(total.women_share)})"),
    ]
    if targets.women_percent is not None:
        out.append(("Chỉ tiêu tỷ lệ nữ theo kế hoạch", f"{targets.women_percent} %"))
    if targets.trainees is not None:
        out.append(("Chỉ tiêu số lượt học viên theo kế hoạch", number_vn(targets.trainees)))
    out.append(("Người dân tộc thiểu số", f"{number_vn(total.ethnic_minority)} ({percent_vn(total.minority_share)})"))
    if board.money is not None:
        money = board.money
        out += [
            ("Kinh phí được phân bổ (đồng)", money_vn(money.allocated)),
            ("Kinh phí đã chi trong kỳ (đồng)", f"{money_vn(money.spent)} ({percent_vn(money.disbursement_rate)})"),
        ]
        if money.per_person_time is not None:
            out.append(("Chi phí bình quân một lượt người (đồng)", money_vn(money.per_person_time)))
    results = board.results
    if results is not None and results.satisfaction is not None:
        out.append(
            ("Mức độ hài lòng bình quân (thang 1–5)", f"{decimal_vn(results.satisfaction)} ({results.responses} phiếu)")
        )
    if results is not None and results.gain is not None:
        out.append(
            (
                "Điểm kiểm tra đầu khóa → cuối khóa",
                f"{percent_vn(results.pre_mean)} → {percent_vn(results.post_mean)} (tăng {percent_vn(results.gain)})",
            )
        )
    return out


def _share_number(share) -> float | str | None:
    return round(share * 100, 1) if isinstance(share, float) else share


# -- .xlsx ------------------------------------------------------------------------------------------


def xlsx_bytes(board: Dashboard, tables: list[trained.Breakdown], publish: bool = False) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "Tổng hợp"
    summary.append([f"Kết quả đào tạo, tập huấn {period_text(board.report_filter)}"])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([])
    total = board.total
    numbers = [
        ("Số hoạt động đã tổ chức", board.held_total),
        *((f"  - {kind.label}", count) for kind, count in board.held.items()),
        ("Số người được đào tạo, tập huấn (không trùng)", total.people),
        ("Số lượt người", total.person_times),
        ("Số nữ", total.women),
        ("Tỷ lệ nữ (%)", _share_number(total.women_share)),
        ("Chỉ tiêu tỷ lệ nữ (%)", board.targets.women_percent),
        ("Người dân tộc thiểu số", total.ethnic_minority),
        ("Tỷ lệ người dân tộc thiểu số (%)", _share_number(total.minority_share)),
    ]
    if board.money is not None:
        numbers += [
            ("Kinh phí được phân bổ (đồng)", board.money.allocated),
            ("Kinh phí đã chi trong kỳ (đồng)", board.money.spent),
            ("Chi phí bình quân một lượt người (đồng)", board.money.per_person_time),
        ]
    for label, value in numbers:
        summary.append([label, value])
    summary.column_dimensions["A"].width = 50
    summary.column_dimensions["B"].width = 18
    for table in tables:
        sheet = workbook.create_sheet(sheet_title(str(table.label)))
        sheet.append(HEADERS)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for line in printed(table, publish):
            sheet.append(
                [line.label, *(line.values[name] for name in ("people", "women")), _share_number(line.share)]
                + [line.values["person_times"], line.values["ethnic_minority"]]
            )
        sheet[sheet.max_row][0].font = Font(bold=True)
        sheet.column_dimensions["A"].width = 48
        for letter in "BCDEF":
            sheet.column_dimensions[letter].width = 14
    return workbook_bytes(workbook)


def sheet_title(label: str) -> str:
    """A sheet name Excel accepts: no []:*?/\\ and at most 31 characters."""
    for character in "[]:*?/\\":
        label = label.replace(character, "-")
    return label[:31]


# -- who issues the report ----------------------------------------------------------------------------


@dataclass
class Heading:
    parent: str | None
    issuer: str | None
    short_name: str | None
    place: str
    project: str
    signer_authority: str | None
    signer_title: str | None
    signer_name: str | None


def heading(report_filter: ReportFilter, today: date) -> Heading:
    """Names come from the reference data (the plan's issuer and signer, the year's budget tree)."""
    year = report_filter.year or (report_filter.bounds[0].year if report_filter.bounds[0] else today.year)
    plan = db.session.scalar(select(Plan).where(Plan.year == year, Plan.organisation_id.is_not(None)).order_by(Plan.id))
    organisation = (
        plan.organisation
        if plan
        else db.session.scalar(
            select(Organisation).where(Organisation.parent_id.is_not(None)).order_by(Organisation.id)
        )
    )
    signer = signer_on(today, plan.signatory if plan else None, organisation)
    project = db.session.scalar(
        select(BudgetLine.name)
        .where(BudgetLine.year == year, BudgetLine.kind == LineKind.project)
        .order_by(BudgetLine.sort_order)
    )
    return Heading(
        parent=organisation.parent.name if organisation and organisation.parent else None,
        issuer=organisation.name if organisation else None,
        short_name=organisation.short_name if organisation else None,
        place=(organisation.place_name if organisation else None) or "",
        project=project or "",
        signer_authority=signer.authority_line if signer else None,
        signer_title=signer.title if signer else None,
        signer_name=signer.full_name if signer else None,
    )


def title_lines(board: Dashboard, head: Heading) -> list[str]:
    subject = "Kết quả đào tạo, tập huấn" + (f" thực hiện {head.project}" if head.project else "")
    return ["BÁO CÁO", f"{subject} {period_text(board.report_filter)}"]


# -- .docx ------------------------------------------------------------------------------------------


def docx_bytes(
    board: Dashboard, tables: list[trained.Breakdown], publish: bool = False, today: date | None = None
) -> bytes:
    """A draft in the NĐ 30/2020 layout: issuing body and national title side by side, number, place
    and date, title, body with the figures and tables, recipients and signer; staff finish and sign it."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    today = today or date.today()
    head = heading(board.report_filter, today)
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)

    def paragraph(cell_or_doc, text, bold=False, italic=False, centre=False, size=None):
        target = cell_or_doc.add_paragraph() if hasattr(cell_or_doc, "add_paragraph") else cell_or_doc
        run = target.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
        if centre:
            target.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return target

    top = document.add_table(rows=1, cols=2)
    left, right = top.rows[0].cells
    left.paragraphs[0].text = ""
    if head.parent:
        paragraph(left.paragraphs[0], head.parent.upper(), size=12, centre=True)
    paragraph(left, (head.issuer or "").upper(), bold=True, size=12, centre=True)
    paragraph(left, f"Số: …/BC-{head.short_name or '…'}", size=13, centre=True)
    paragraph(right.paragraphs[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, centre=True)
    paragraph(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, centre=True)
    paragraph(right, date_words_vn(head.place, today), italic=True, size=13, centre=True)

    for index, line in enumerate(title_lines(board, head)):
        paragraph(document, line, bold=True, centre=True, size=14 if index == 0 else 13)

    document.add_paragraph().add_run("I. KẾT QUẢ THỰC HIỆN").bold = True
    for label, value in facts(board):
        document.add_paragraph(f"{label.strip()}: {value}.", style=None)
    for number, table in enumerate(tables, start=1):
        document.add_paragraph().add_run(f"Biểu {number}. Kết quả theo {str(table.label).lower()}").bold = True
        lines = printed(table, publish)
        grid = document.add_table(rows=1, cols=len(HEADERS))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, HEADERS, strict=True):
            cell.text = ""
            paragraph(cell.paragraphs[0], text, bold=True, size=11)
        for line in lines:
            cells = grid.add_row().cells
            share = line.share if isinstance(line.share, str) else percent_vn(line.share)
            texts = [line.label, *(_count_text(line.values[n]) for n in ("people", "women")), share]
            texts += [_count_text(line.values["person_times"]), _count_text(line.values["ethnic_minority"])]
            for cell, text in zip(cells, texts, strict=True):
                cell.text = ""
                paragraph(cell.paragraphs[0], text, size=11)
    if publish:
        limit = current_app.config["REPORT_MIN_CELL"]
        document.add_paragraph(f"Ghi chú: số dưới {limit} được ghi “<{limit}” để không nhận diện được cá nhân.")
    document.add_paragraph().add_run("II. ĐÁNH GIÁ CHUNG").bold = True
    document.add_paragraph("1. Kết quả đạt được: …")
    document.add_paragraph("2. Tồn tại, hạn chế và nguyên nhân: …")
    document.add_paragraph().add_run("III. ĐỀ XUẤT, KIẾN NGHỊ").bold = True
    document.add_paragraph("…")

    bottom = document.add_table(rows=1, cols=2)
    recipients, signature = bottom.rows[0].cells
    paragraph(recipients.paragraphs[0], "Nơi nhận:", bold=True, italic=True, size=12)
    if head.parent:
        paragraph(recipients, f"- {head.parent} (để báo cáo);", size=11)
    paragraph(recipients, "- Lưu: VT.", size=11)
    if head.signer_authority:
        paragraph(signature.paragraphs[0], head.signer_authority.upper(), bold=True, size=13, centre=True)
        paragraph(signature, (head.signer_title or "").upper(), bold=True, size=13, centre=True)
    else:
        paragraph(signature.paragraphs[0], (head.signer_title or "THỦ TRƯỞNG ĐƠN VỊ").upper(), bold=True, centre=True)
    signature.add_paragraph()
    signature.add_paragraph()
    paragraph(signature, head.signer_name or "", bold=True, centre=True)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _count_text(value) -> str:
    return number_vn(value) if isinstance(value, int) else str(value)


# -- PDF --------------------------------------------------------------------------------------------


def pdf_bytes(
    board: Dashboard, tables: list[trained.Breakdown], publish: bool = False, today: date | None = None
) -> bytes:
    register_fonts()
    today = today or date.today()
    head = heading(board.report_filter, today)
    plain = ParagraphStyle("plain", fontName=REGULAR, fontSize=11, leading=14)
    bold = ParagraphStyle("bold", parent=plain, fontName=BOLD)
    centred = ParagraphStyle("centred", parent=plain, alignment=1)
    centred_bold = ParagraphStyle("centred_bold", parent=bold, alignment=1)
    cell = ParagraphStyle("cell", parent=plain, fontSize=9.5, leading=11.5)

    def p(text, style=plain):
        return paragraph(text, style)

    left = [
        p((head.parent or "").upper(), centred),
        p((head.issuer or "").upper(), centred_bold),
        p(f"Số: …/BC-{head.short_name or '…'}", centred),
    ]
    right = [
        p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", centred_bold),
        p("Độc lập - Tự do - Hạnh phúc", centred_bold),
        p(date_words_vn(head.place, today), ParagraphStyle("date", parent=centred, fontName=REGULAR)),
    ]
    story = [Table([[left, right]], colWidths=[75 * mm, 90 * mm]), Spacer(1, 6 * mm)]
    story += [
        p(line, ParagraphStyle("title", parent=centred_bold, fontSize=13, leading=17))
        for line in title_lines(board, head)
    ]
    story += [Spacer(1, 4 * mm), p("I. KẾT QUẢ THỰC HIỆN", bold)]
    story += [p(f"{label.strip()}: {value}.") for label, value in facts(board)]
    for number, table in enumerate(tables, start=1):
        data = [[p(text, ParagraphStyle("head", parent=cell, fontName=BOLD)) for text in HEADERS]]
        for line in printed(table, publish):
            share = line.share if isinstance(line.share, str) else percent_vn(line.share)
            data.append(
                [
                    p(line.label, cell),
                    *(_count_text(line.values[n]) for n in ("people", "women")),
                    share,
                    _count_text(line.values["person_times"]),
                    _count_text(line.values["ethnic_minority"]),
                ]
            )
        grid = Table(data, colWidths=[60 * mm, 20 * mm, 20 * mm, 20 * mm, 20 * mm, 25 * mm], repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                    ("FONTNAME", (0, -1), (-1, -1), BOLD),
                    ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story += [Spacer(1, 3 * mm), p(f"Biểu {number}. Kết quả theo {str(table.label).lower()}", bold), grid]
    if publish:
        limit = current_app.config["REPORT_MIN_CELL"]
        story.append(p(f"Ghi chú: số dưới {limit} được ghi “<{limit}” để không nhận diện được cá nhân."))
    signer = [
        p((head.signer_authority or "").upper(), centred_bold),
        p((head.signer_title or "").upper(), centred_bold),
        Spacer(1, 18 * mm),
        p(head.signer_name or "", centred_bold),
    ]
    recipients = (
        [p("Nơi nhận:", bold)]
        + ([p(f"- {head.parent} (để báo cáo);", cell)] if head.parent else [])
        + [p("- Lưu: VT.", cell)]
    )
    story += [Spacer(1, 8 * mm), Table([[recipients, signer]], colWidths=[80 * mm, 85 * mm])]

    def page_number(canvas, document):
        if document.page > 1:  # NĐ 30: no number on the first page
            canvas.setFont(REGULAR, 11)
            canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, str(document.page))

    return build_document(story, A4, (20, 20), " ".join(title_lines(board, head)), page_number)
