"""Invitation letters (giấy triệu tập): one A4 page per participant, with the personal QR code.

A pure renderer — plain data in, PDF bytes out — laid out after NĐ 30/2020 (issuing body top
left, national title and motto top right, number, place and date, title, body, signer).
Roboto (from the font-roboto package) covers every Vietnamese character.
"""

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from app.core.pdf import DRAWING

REGULAR, BOLD = "Roboto", "Roboto-Bold"


@cache
def _register_fonts() -> None:
    import font_roboto

    folder = Path(font_roboto.__path__[0]) / "files"
    pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "Roboto-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "Roboto-Bold.ttf")))


@dataclass
class Letter:
    parent_body: str  # "UBND TỈNH LẠNG SƠN"
    issuing_body: str  # "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"
    number_line: str  # "Số:      /GTT-SLĐTBXH"
    date_line: str  # "Lạng Sơn, ngày 05 tháng 02 năm 2023"
    salutation: str  # "Ông" / "Bà"
    full_name: str
    position: str
    unit: str
    activity_title: str
    when: str
    venue: str
    authority_line: str  # "KT. GIÁM ĐỐC"
    signer_title: str  # "PHÓ GIÁM ĐỐC"
    signer_name: str
    qr_png: bytes
    qr_caption: str
    recipients: tuple[str, ...] = ("Như trên;", "Lưu: VT.")


def _centred(pdf, text: str, x: float, y: float, font: str, size: float) -> None:
    pdf.setFont(font, size)
    pdf.drawCentredString(x, y, text)


def _paragraph(pdf, text: str, x: float, y: float, width: float, font: str = REGULAR, size: float = 13) -> float:
    pdf.setFont(font, size)
    for line in simpleSplit(text, font, size, width):
        pdf.drawString(x, y, line)
        y -= size * 1.45
    return y


def _page(pdf, letter: Letter) -> None:
    width, height = A4
    left, right = 30 * mm, width - 20 * mm
    top = height - 20 * mm
    header_left_x, header_right_x = left + 32 * mm, right - 50 * mm
    _centred(pdf, letter.parent_body.upper(), header_left_x, top, REGULAR, 12)
    _centred(pdf, letter.issuing_body.upper(), header_left_x, top - 16, BOLD, 12)
    pdf.line(header_left_x - 20 * mm, top - 21, header_left_x + 20 * mm, top - 21)
    _centred(pdf, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", header_right_x, top, BOLD, 12)
    _centred(pdf, "Độc lập - Tự do - Hạnh phúc", header_right_x, top - 16, BOLD, 13)
    pdf.line(header_right_x - 29 * mm, top - 21, header_right_x + 29 * mm, top - 21)
    _centred(pdf, letter.number_line, header_left_x, top - 42, REGULAR, 13)
    pdf.setFont(REGULAR, 13)
    pdf.drawRightString(right, top - 42, letter.date_line)
    _centred(pdf, "GIẤY TRIỆU TẬP", width / 2, top - 85, BOLD, 15)
    # A long course title wraps onto centred lines; it is never cut.
    y = top - 104
    for line in simpleSplit(f"Tham dự: {letter.activity_title}", BOLD, 13, right - left):
        _centred(pdf, line, width / 2, y, BOLD, 13)
        y -= 17
    y -= 19
    y = _paragraph(pdf, f"{letter.issuing_body} trân trọng triệu tập:", left, y, right - left)
    y = _paragraph(
        pdf, f"{letter.salutation}: {letter.full_name}", left + 8 * mm, y - 4, right - left - 8 * mm, BOLD, 14
    )
    if letter.position:
        y = _paragraph(pdf, f"Chức vụ: {letter.position}", left + 8 * mm, y, right - left - 8 * mm)
    y = _paragraph(pdf, f"Đơn vị: {letter.unit}", left + 8 * mm, y, right - left - 8 * mm)
    y = _paragraph(pdf, f"Tham dự {letter.activity_title}.", left, y - 6, right - left)
    y = _paragraph(pdf, f"Thời gian: {letter.when}.", left, y, right - left)
    y = _paragraph(pdf, f"Địa điểm: {letter.venue}.", left, y, right - left)
    y = _paragraph(
        pdf,
        "Đề nghị mang theo giấy triệu tập này (hoặc mã QR bên dưới) để điểm danh khi đến lớp.",
        left,
        y - 6,
        right - left,
    )
    signer_x = right - 40 * mm
    sign_top = y - 20
    _centred(pdf, letter.authority_line.upper(), signer_x, sign_top, BOLD, 13)
    _centred(pdf, letter.signer_title.upper(), signer_x, sign_top - 17, BOLD, 13)
    _centred(pdf, letter.signer_name, signer_x, sign_top - 95, BOLD, 13)
    # Nơi nhận (recipients) sits bottom left, level with the signer, as NĐ 30/2020 lays out.
    pdf.setFont(BOLD, 12)
    pdf.drawString(left, sign_top, "Nơi nhận:")
    recipients_y = sign_top - 14
    for item in letter.recipients:
        recipients_y = _paragraph(pdf, f"- {item}", left, recipients_y, 70 * mm, REGULAR, 11)
    qr_size = 38 * mm
    qr_top = min(recipients_y - 4, sign_top - 110)
    pdf.drawImage(ImageReader(io.BytesIO(letter.qr_png)), left, qr_top - qr_size, qr_size, qr_size)
    _paragraph(pdf, letter.qr_caption, left, qr_top - qr_size - 12, qr_size + 30 * mm, REGULAR, 9)


def render(letters: list[Letter]) -> bytes:
    """One page per letter."""
    _register_fonts()
    buffer = io.BytesIO()
    with DRAWING:
        pdf = canvas.Canvas(buffer, pagesize=A4)
        pdf.setTitle("Giấy triệu tập")
        for letter in letters:
            _page(pdf, letter)
            pdf.showPage()
        pdf.save()
    return buffer.getvalue()
