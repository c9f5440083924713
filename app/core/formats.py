"""How Vietnamese readers expect dates, money and numbers to look."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.core.text import mask_id_number

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def date_vn(value: date | datetime | None) -> str:
    """05/02/2023"""
    return value.strftime("%d/%m/%Y") if value else ""


def datetime_vn(value: datetime | None) -> str:
    """A stored naive-UTC time shown in Vietnam time: 05/02/2023 08:03."""
    if not value:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def number_vn(value: int | None) -> str:
    """12.345.678 — '.' separates thousands."""
    if value is None:
        return ""
    return f"{int(value):,}".replace(",", ".")


def money_vn(value: int | None) -> str:
    """12.345.678 đ — đồng have no minor unit."""
    return "" if value is None else f"{number_vn(value)}\u00a0đ"


def decimal_vn(value: float | None, digits: int = 2) -> str:
    """3.125 -> '3,13': a decimal comma, halves rounded up as people round them by hand."""
    from decimal import ROUND_HALF_UP, Decimal

    if value is None:
        return ""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{rounded}".replace(".", ",")


def percent_vn(value: float | None, digits: int = 1) -> str:
    """0.905 -> '90,5 %'."""
    if value is None:
        return ""
    return f"{value * 100:.{digits}f}".replace(".", ",") + "\u00a0%"


def date_words_vn(place: str, day: date) -> str:
    """'Lạng Sơn, ngày 05 tháng 02 năm 2023': a leading zero for days below 10 and months 1-2."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


FILTERS = {
    "date_vn": date_vn,
    "datetime_vn": datetime_vn,
    "number_vn": number_vn,
    "money_vn": money_vn,
    "percent_vn": percent_vn,
    "decimal_vn": decimal_vn,
    "masked_id": mask_id_number,
}
