"""Shared pieces for files people open in Excel or LibreOffice."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text that a spreadsheet would run as a formula ('=HYPERLINK(...)') gets a leading
    apostrophe, so it is shown, never executed. Numbers pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
