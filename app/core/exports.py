"""Shared pieces for files people open in Excel or LibreOffice."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text that a spreadsheet would run as a formula ('=HYPERLINK(...)') gets a leading
    apostrophe, so it is shown, never executed. Numbers pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook_bytes(workbook) -> bytes:
    """The one way an export saves an .xlsx: every text cell made safe first, whatever built it.

    openpyxl stores a string that starts with "=" as a formula, so a name typed as
    '=HYPERLINK(...)' would run in Excel; here it becomes text. Numbers stay numbers.
    """
    import io

    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.value = spreadsheet_safe(cell.value)  # re-typed as a string cell by openpyxl
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, filename: str, mimetype: str = XLSX_MIME, inline: bool = False):
    """A generated file as a response: opened in the browser (PDFs) or saved (spreadsheets)."""
    from flask import Response

    disposition = "inline" if inline else "attachment"
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f"{disposition}; filename={filename}"})
