"""Shared pieces for files people open in Excel or LibreOffice."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text that a spreadsheet would run as a formula ('=HYPERLINK(...)') gets a leading
    apostrophe, so it is shown, never executed. Numbers pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, filename: str, mimetype: str = XLSX_MIME, inline: bool = False):
    """A generated file as a response: opened in the browser (PDFs) or saved (spreadsheets)."""
    from flask import Response

    disposition = "inline" if inline else "attachment"
    return Response(content, mimetype=mimetype, headers={"Content-Disposition": f"{disposition}; filename={filename}"})
