"""The certificate page: A4 landscape, laid out after NĐ 30/2020, in Source Serif Pro.

A pure renderer — plain data in, PDF bytes out — so issuing can draw outside any database
transaction. The QR code is drawn as vector squares from qrcode's module matrix: crisp in print
and several times faster than embedding a PNG. Long names and titles shrink, then wrap; nothing
is drawn past the margins.
"""

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import qrcode
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from app.core.pdf import DRAWING

# The italic face of this package lacks most Vietnamese letters (ạ, ơ, ế ...): never use it.
REGULAR, BOLD = "SourceSerif", "SourceSerif-Bold"
WIDTH, HEIGHT = landscape(A4)
LEFT, RIGHT, TOP, BOTTOM = 25 * mm, WIDTH - 20 * mm, HEIGHT - 18 * mm, 15 * mm


@cache
def register_fonts() -> None:
    import font_source_serif_pro

    folder = Path(font_source_serif_pro.__path__[0]) / "files"
    pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "SourceSerifPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "SourceSerifPro-Bold.ttf")))


@dataclass
class Page:
    parent_body: str
    issuing_body: str
    title: str  # GIẤY CHỨNG NHẬN
    salutation: str  # Ông / Bà
    full_name: str
    birth: str  # "Ngày sinh: 05/02/1985" or "Năm sinh: 1985"
    unit: str
    completion_line: str  # "Đã hoàn thành lớp tập huấn"
    course: str
    period: str  # "từ ngày 10/05/2023 đến ngày 11/05/2023"
    venue: str
    result: str  # "" when there is none
    date_line: str  # "Lạng Sơn, ngày 05 tháng 02 năm 2023"
    authority_line: str
    signer_title: str
    signer_name: str
    serial: str  # "0123/GCN-SLĐTBXH"
    verify_url: str
    seal_png: bytes | None = None
    signature_png: bytes | None = None


def _centred(pdf, text: str, x: float, y: float, font: str, size: float) -> None:
    pdf.setFont(font, size)
    pdf.drawCentredString(x, y, text)


def _fitted_lines(text: str, font: str, largest: float, smallest: float, width: float, max_lines: int):
    """The biggest size (down to ``smallest``) at which ``text`` fits ``width`` in ``max_lines`` lines."""
    size = largest
    while size > smallest and len(simpleSplit(text, font, size, width)) > max_lines:
        size -= 1
    return size, simpleSplit(text, font, size, width)  # more lines rather than a word lost


def _block(pdf, text: str, y: float, font: str, largest: float, smallest: float, max_lines: int) -> float:
    size, lines = _fitted_lines(text, font, largest, smallest, RIGHT - LEFT - 20 * mm, max_lines)
    for line in lines:
        _centred(pdf, line, WIDTH / 2, y, font, size)
        y -= size * 1.3
    return y


def qr_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _qr(pdf, data: str, x: float, y: float, size: float) -> None:
    matrix = qr_matrix(data)
    module = size / len(matrix)
    path = pdf.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        for column_index, dark in enumerate(row):
            if dark:
                path.rect(x + column_index * module, top, module, module)
    pdf.setFillColorRGB(0, 0, 0)
    pdf.drawPath(path, stroke=0, fill=1)


def _page(pdf, page: Page) -> None:
    pdf.setStrokeColorRGB(0.55, 0.1, 0.1)
    pdf.setLineWidth(2)
    pdf.rect(12 * mm, 10 * mm, WIDTH - 24 * mm, HEIGHT - 20 * mm)  # the frame of a printed certificate
    pdf.setStrokeColorRGB(0, 0, 0)
    pdf.setLineWidth(0.7)
    left_x, right_x = LEFT + 50 * mm, RIGHT - 62 * mm
    _centred(pdf, page.parent_body.upper(), left_x, TOP, REGULAR, 13)
    _centred(pdf, page.issuing_body.upper(), left_x, TOP - 17, BOLD, 13)
    pdf.line(left_x - 22 * mm, TOP - 23, left_x + 22 * mm, TOP - 23)
    _centred(pdf, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", right_x, TOP, BOLD, 13)
    _centred(pdf, "Độc lập - Tự do - Hạnh phúc", right_x, TOP - 17, BOLD, 14)
    pdf.line(right_x - 31 * mm, TOP - 23, right_x + 31 * mm, TOP - 23)

    y = TOP - 78
    _centred(pdf, page.title.upper(), WIDTH / 2, y, BOLD, 30)
    y -= 40
    prefix = f"Chứng nhận {page.salutation.lower()}: "
    _centred(pdf, prefix.strip(), WIDTH / 2, y, REGULAR, 15)
    y -= 30
    pdf.setFillColorRGB(0.55, 0.1, 0.1)
    y = _block(pdf, page.full_name, y, BOLD, 26, 14, 2)
    pdf.setFillColorRGB(0, 0, 0)
    y -= 4
    y = _block(pdf, f"{page.birth}    Đơn vị: {page.unit}", y, REGULAR, 14, 10, 2)
    y = _block(pdf, f"{page.completion_line}:", y - 4, REGULAR, 14, 11, 1)
    y = _block(pdf, page.course, y, BOLD, 17, 11, 3)
    y = _block(pdf, f"Thời gian: {page.period}" + (f", tại {page.venue}" if page.venue else ""), y, REGULAR, 14, 10, 2)
    if page.result:
        y = _block(pdf, f"Kết quả: {page.result}", y, REGULAR, 14, 10, 1)

    signer_x = RIGHT - 55 * mm
    sign_top = min(y - 10, BOTTOM + 62 * mm)
    pdf.setFont(REGULAR, 13)
    pdf.drawCentredString(signer_x, sign_top, page.date_line)
    _centred(pdf, page.authority_line.upper(), signer_x, sign_top - 18, BOLD, 13)
    _centred(pdf, page.signer_title.upper(), signer_x, sign_top - 34, BOLD, 13)
    if page.signature_png:
        pdf.drawImage(
            ImageReader(io.BytesIO(page.signature_png)),
            signer_x - 20 * mm,
            sign_top - 34 - 24 * mm,
            40 * mm,
            20 * mm,
            mask="auto",
            preserveAspectRatio=True,
        )
    if page.seal_png:
        pdf.drawImage(
            ImageReader(io.BytesIO(page.seal_png)),
            signer_x - 38 * mm,
            sign_top - 34 - 30 * mm,
            32 * mm,
            32 * mm,
            mask="auto",
            preserveAspectRatio=True,
        )
    _centred(pdf, page.signer_name, signer_x, BOTTOM + 8 * mm, BOLD, 14)

    qr_size = 30 * mm
    _qr(pdf, page.verify_url, LEFT, BOTTOM + 10 * mm, qr_size)
    pdf.setFont(REGULAR, 11)
    pdf.drawString(LEFT + qr_size + 4 * mm, BOTTOM + 10 * mm + qr_size - 11, f"Số vào sổ: {page.serial}")
    pdf.setFont(REGULAR, 8)
    for index, line in enumerate(simpleSplit(f"Xác minh: {page.verify_url}", REGULAR, 8, 75 * mm)[:3]):
        pdf.drawString(LEFT + qr_size + 4 * mm, BOTTOM + 10 * mm + qr_size - 26 - index * 10, line)


def render(pages: list[Page]) -> bytes:
    """One landscape page per certificate."""
    register_fonts()
    buffer = io.BytesIO()
    with DRAWING:
        pdf = canvas.Canvas(buffer, pagesize=(WIDTH, HEIGHT), pageCompression=1)
        pdf.setTitle("Giấy chứng nhận")
        pdf.setAuthor("Dự án 7")
        for page in pages:
            _page(pdf, page)
            pdf.showPage()
        pdf.save()
    return buffer.getvalue()
