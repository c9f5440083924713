"""Attendance on paper and in spreadsheets: the sign-in sheet (PDF) and .xlsx lists.

Headers are Vietnamese whatever the interface language: these are documents the province files.
"""

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle

from app.attendance.reports import PersonRate, SessionRow
from app.core.exports import spreadsheet_safe
from app.core.formats import datetime_vn
from app.core.pdf import build_document, paragraph
from app.planning.models import Activity, ActivitySession
from app.registration.letters import BOLD, REGULAR, _register_fonts
from app.registration.services import xlsx

SESSION_HEADER = [
    "STT",
    "Họ và tên",
    "Giới tính",
    "Năm sinh",
    "Đơn vị",
    "Có mặt",
    "Giờ đến",
    "Cách điểm danh",
    "Đến muộn",
    "Lưu ý",
    "Lý do (nếu đánh dấu tay)",
]


def _when(session: ActivitySession) -> str:
    return f"{session.starts_at:%H:%M}–{session.ends_at:%H:%M} ngày {session.starts_at:%d/%m/%Y}"


def session_xlsx(session: ActivitySession, rows: list[SessionRow]) -> bytes:
    out = [SESSION_HEADER]
    for index, row in enumerate(rows, start=1):
        person, attendance = row.person, row.attendance
        out.append(
            [
                spreadsheet_safe(v)
                for v in (
                    index,
                    person.full_name,
                    str(person.gender.label) if person.gender else "",
                    person.year_of_birth,
                    person.unit.full_name if person.unit else "",
                    "Có" if attendance else "Vắng",
                    datetime_vn(attendance.checked_in_at) if attendance else "",
                    str(attendance.method.label) if attendance else "",
                    "Có" if attendance and attendance.late else "",
                    "; ".join(str(f) for f in attendance.flag_labels) if attendance else "",
                    attendance.reason or "" if attendance else "",
                )
            ]
        )
    return xlsx(out, "Điểm danh")


def activity_xlsx(activity: Activity, sessions: list[ActivitySession], rates: list[PersonRate]) -> bytes:
    header = ["STT", "Họ và tên", "Giới tính", "Năm sinh", "Đơn vị"]
    header += [f"{s.title} ({s.starts_at:%d/%m %H:%M})" for s in sessions]
    header += ["Số buổi có mặt", "Tỷ lệ có mặt"]
    out = [header]
    for index, row in enumerate(rates, start=1):
        person = row.person
        out.append(
            [
                spreadsheet_safe(v)
                for v in (
                    index,
                    person.full_name,
                    str(person.gender.label) if person.gender else "",
                    person.year_of_birth,
                    person.unit.full_name if person.unit else "",
                )
            ]
            + ["x" if present else "" for present in row.attended]
            + [row.count, round(row.rate, 4) if row.rate is not None else None]
        )
    return xlsx(out, "Tỷ lệ tham dự")


def sign_in_pdf(session: ActivitySession, rows: list[SessionRow]) -> bytes:
    """A4 portrait: title, what and when, then STT / name / birth year / unit / position / signature."""
    _register_fonts()
    title = ParagraphStyle("title", fontName=BOLD, fontSize=14, leading=18, alignment=1)
    plain = ParagraphStyle("plain", fontName=REGULAR, fontSize=11, leading=14, alignment=1)
    cell = ParagraphStyle("cell", fontName=REGULAR, fontSize=10, leading=12)
    activity = session.activity
    venue = session.effective_venue
    story = [
        paragraph("DANH SÁCH ĐIỂM DANH", title),
        Spacer(1, 2 * mm),
        paragraph(activity.title, plain),
        paragraph(f"{session.title} — {_when(session)}" + (f" — {venue.name}" if venue else ""), plain),
        Spacer(1, 5 * mm),
    ]
    data = [["STT", "Họ và tên", "Năm sinh", "Đơn vị", "Chức vụ", "Ký tên"]]
    for index, row in enumerate(rows, start=1):
        person = row.person
        data.append(
            [
                str(index),
                paragraph(person.full_name, cell),
                str(person.year_of_birth or ""),
                paragraph(person.unit.full_name if person.unit else "", cell),
                paragraph(person.position or "", cell),
                "",
            ]
        )
    table = Table(data, colWidths=[10 * mm, 52 * mm, 17 * mm, 45 * mm, 32 * mm, 30 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("FONTNAME", (0, 0), (-1, 0), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("ALIGN", (2, 0), (2, -1), "CENTER"),
                ("TOPPADDING", (0, 1), (-1, -1), 8),  # room to sign
                ("BOTTOMPADDING", (0, 1), (-1, -1), 8),
            ]
        )
    )
    story.append(table)
    story += [
        Spacer(1, 8 * mm),
        paragraph(f"Tổng số: {len(rows)} người. Có mặt: ........ người. Vắng: ........ người.", cell),
    ]
    return build_document(story, A4, (12, 15), "Danh sách điểm danh", on_page=_page_number)


def _page_number(canvas, document) -> None:
    canvas.setFont(REGULAR, 9)
    canvas.drawRightString(A4[0] - 12 * mm, 8 * mm, f"Trang {document.page}")
