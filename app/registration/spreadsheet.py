"""Reading the lists districts send: .xlsx or .csv, with the mess real spreadsheets carry.

Pure functions: bytes in, rows of plain values out. The file is checked before it is parsed
(app/core/uploads.py: size, type, how far it expands, no macros, no DTD); openpyxl also parses
XML through defusedxml (in requirements.txt), a second guard against entity expansion.
"""

import contextlib
import csv
import io
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from app.core import uploads
from app.core.i18n import lazy_gettext as _l
from app.core.text import fold, nfc
from app.errors import ValidationError

MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 40
MAX_BLANK_RUN = 1_000  # a thousand empty rows in a row: the list has ended
EXCEL_EPOCH = date(1899, 12, 30)

# Template headers (Vietnamese) and the other spellings districts use for them.
COLUMNS = {
    "full_name": ("Họ và tên", ["ho va ten", "ho ten", "ten", "full name", "name"]),
    "gender": ("Giới tính", ["gioi tinh", "gender", "nam/nu", "nam nu"]),
    "birth": (
        "Ngày sinh (hoặc năm sinh)",
        ["ngay sinh", "nam sinh", "ngay thang nam sinh", "ngay sinh (hoac nam sinh)", "birth date", "date of birth"],
    ),
    "ethnicity": ("Dân tộc", ["dan toc", "ethnicity"]),
    "id_number": (
        "Số định danh cá nhân",
        ["so dinh danh ca nhan", "so dinh danh", "so cccd", "cccd", "so can cuoc", "can cuoc cong dan", "id number"],
    ),
    "phone": ("Số điện thoại", ["so dien thoai", "dien thoai", "sdt", "phone"]),
    "level": ("Cấp", ["cap", "level"]),
    "category": ("Đối tượng", ["doi tuong", "category"]),
    "position": ("Chức vụ", ["chuc vu", "position"]),
    "workplace": ("Nơi công tác", ["noi cong tac", "don vi cong tac", "workplace"]),
    "unit_code": ("Mã đơn vị hành chính", ["ma don vi hanh chinh", "ma don vi", "ma xa", "unit code"]),
}
REQUIRED = ("full_name", "gender", "birth", "level", "unit_code")


def _refuse(message):
    raise ValidationError("invalid_file", message, {"file": message})


def header_key(text) -> str:
    return re.sub(r"\s+", " ", fold(str(text or "")).replace("*", "")).strip()


def match_headers(headers: list) -> dict[str, int]:
    """Column index per field, from headers in any case, with or without diacritics.

    :raises ValidationError: a required column is missing.
    """
    found = {}
    for index, header in enumerate(headers):
        key = header_key(header)
        for field, (label, aliases) in COLUMNS.items():
            if field not in found and key in {header_key(label), *aliases}:
                found[field] = index
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in found]
    if missing:
        _refuse(_l("Thiếu cột: %(c)s. Hãy dùng tệp mẫu.", c=", ".join(missing)))
    return found


def _header_row(rows) -> int:
    """Lists often start with a title or the unit's name: the header is the first of the first ten
    rows that names the required columns (else the first row, whose error then says what is missing)."""
    for index, (_, cells) in enumerate(rows[:10]):
        keys = {header_key(c) for c in cells}
        if all(keys & {header_key(COLUMNS[f][0]), *COLUMNS[f][1]} for f in REQUIRED):
            return index
    return 0


def read_rows(filename: str, data: bytes, max_bytes: int) -> tuple[dict[str, int], list[tuple[int, list]]]:
    """(column per field, [(row number in the file, cells)]) with blank rows left out.

    :raises ValidationError: the file is empty, too big, not .xlsx/.csv, has macros, expands too
        far, or has no recognisable header.
    """
    extension = uploads.extension_of(filename)
    uploads.check_size(data, max_bytes)
    if extension == "xlsx":
        table = _xlsx_rows(data)
    elif extension == "csv":
        table = _csv_rows(data)
    else:
        _refuse(_l("Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)."))
    rows = [(number, cells) for number, cells in table if any(str(c).strip() for c in cells if c is not None)]
    if not rows:
        _refuse(_l("Tệp không có dòng nào."))
    header_at = _header_row(rows)
    columns = match_headers(rows[header_at][1])
    body = rows[header_at + 1 :]
    if len(body) > MAX_ROWS:
        _refuse(_l("Tối đa %(n)s dòng một lần.", n=MAX_ROWS))
    return columns, body


def _xlsx_rows(data: bytes):
    uploads.check_zip(data, "xlsx", required="xl/workbook.xml", max_expanded=MAX_UNCOMPRESSED)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        _refuse(_l("Tệp bị hỏng hoặc không đúng định dạng."))
    sheet = workbook.worksheets[0]
    # The sheet's own size claim is not trusted: a tiny file may claim a million rows, and a stale
    # one would hide real rows. Read lazily, a bounded number of columns and rows.
    sheet.reset_dimensions()
    rows, blank_run = [], 0
    try:
        for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            if any(c is not None and str(c).strip() for c in cells):
                rows.append((number, list(cells)))
                blank_run = 0
            else:
                blank_run += 1
            if len(rows) > MAX_ROWS + 1 or blank_run > MAX_BLANK_RUN:
                break
    except Exception:  # broken sheet XML surfaces only while iterating
        _refuse(_l("Tệp bị hỏng hoặc không đúng định dạng."))
    return rows


def _csv_rows(data: bytes):
    uploads.check_text(data)
    text = None
    for encoding in ("utf-8-sig", "cp1258", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        _refuse(_l("Không đọc được bảng mã của tệp CSV; hãy lưu lại dạng CSV UTF-8."))
    dialect = csv.excel
    with contextlib.suppress(csv.Error):  # one column or odd quoting: plain commas it is
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    try:
        return [(number, cells) for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1)]
    except csv.Error:
        _refuse(_l("Tệp CSV không đúng định dạng."))


# -- cells ------------------------------------------------------------------------------------


def text_cell(value) -> str | None:
    """Text as people meant it: NFC, trimmed, numbers without '.0'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = nfc(unicodedata.normalize("NFC", str(value)))
    return text or None


def digits_cell(value) -> str | None:
    """Digits of a number stored as a number: 2.01900012345E+11, 912345678.0, '0912 345 678'."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            return str(int(Decimal(str(value))))
        except (InvalidOperation, ValueError):
            return str(value)
    text = str(value).strip()
    match = re.fullmatch(r"\d+(?:\.(\d+))?[eE]\+?(\d+)", text)
    if match:
        fraction, exponent = match.group(1) or "", int(match.group(2))
        if len(fraction) < exponent:  # Excel shows 2.0185E+10 for 20185001234: the digits are gone
            raise RoundedNumber(text)
        try:
            return str(int(Decimal(text)))
        except InvalidOperation:
            return text
    return text or None


class RoundedNumber(ValueError):
    """A number shown in scientific notation that lost digits: it cannot be read back."""


def id_number_cell(value) -> str | None:
    """A citizen ID: 12 digits, the leading 0 of the province code restored when a spreadsheet lost it."""
    digits = digits_cell(value)
    if digits and digits.isdigit() and len(digits) == 11:
        return "0" + digits
    return digits


def birth_cell(value) -> tuple[date | None, int | None]:
    """(date, year) from an Excel date, an Excel serial, 'dd/mm/yyyy' text or a year alone.

    :raises ValueError: anything else.
    """
    from app.core.forms import parse_vn_date

    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        return value.date(), value.year
    if isinstance(value, date):
        return value, value.year
    if isinstance(value, (int, float)):
        number = int(value)
        if 1900 <= number <= 2100:
            return None, number
        if 1 <= number <= 80000:
            day = EXCEL_EPOCH + timedelta(days=number)
            return day, day.year
        raise ValueError(str(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return None, int(text)
    day = parse_vn_date(text)
    return day, day.year


def unit_code_cell(value) -> str | None:
    """A unit code; commune codes stored as numbers lose their leading zero (06001 -> 6001)."""
    digits = digits_cell(value)
    if digits and digits.isdigit() and len(digits) == 4:
        return "0" + digits
    return digits
