"""Rules for Vietnamese citizen ID numbers and phone numbers (pure functions, no database).

ID structure (NĐ 137/2015, TT 07/2016/TT-BCA): 3-digit province of birth registration,
1 digit for century and gender, 2 digits for the year of birth, 6 random digits.
Inconsistencies with the recorded birth year or gender are warnings, not errors:
data-entry mistakes are common and a person must still be registrable.
"""

import csv
import re
from functools import cache
from pathlib import Path

from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc

DATA_DIR = Path(__file__).parent / "data"
# Mobile prefixes of 2018 onward (REFERENCE.md §9; the 05x block also holds newer networks).
_MOBILE = re.compile(r"^0(3[2-9]|5[2-9]|7[06-9]|8[1-9]|9\d)\d{7}$")
_LANDLINE = re.compile(r"^02\d{9}$")


class InvalidValue(ValueError):
    """A value that cannot be accepted; ``message`` is translated for the person typing it."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@cache
def id_province_codes() -> dict[str, str]:
    with open(DATA_DIR / "id_province_codes.csv", encoding="utf-8") as handle:
        return {row["code"]: row["province"] for row in csv.DictReader(handle)}


def normalise_id_number(raw: str | None) -> str | None:
    """Strip spaces and dots; require exactly 12 digits.

    :raises InvalidValue: when anything but 12 digits remains.
    """
    value = re.sub(r"[\s.\-]", "", nfc(raw) or "")
    if not value:
        return None
    if not value.isdigit():
        raise InvalidValue(_l("Số định danh cá nhân chỉ gồm chữ số."))
    if len(value) != 12:
        raise InvalidValue(_l("Số định danh cá nhân phải có đúng 12 chữ số (đang có %(n)s).", n=len(value)))
    return value


def century_gender_digit(year: int, female: bool) -> int:
    """The 4th digit: 0/1 for 1900s male/female, 2/3 for 2000s, and so on every century."""
    return (year // 100 - 19) * 2 + (1 if female else 0)


def id_number_warnings(id_number: str, birth_year: int | None, female: bool | None) -> list:
    """What looks inconsistent in a well-formed ID; an empty list when all is consistent."""
    warnings = []
    if id_number[:3] not in id_province_codes():
        warnings.append(_l("Ba số đầu (%(code)s) không phải mã tỉnh nơi đăng ký khai sinh.", code=id_number[:3]))
    if birth_year is not None and female is not None:
        expected_digit = century_gender_digit(birth_year, female)
        if int(id_number[3]) != expected_digit:
            warnings.append(
                _l(
                    "Chữ số thứ 4 (%(d)s) không khớp với giới tính và thế kỷ sinh (dự kiến %(e)s).",
                    d=id_number[3],
                    e=expected_digit,
                )
            )
        if id_number[4:6] != f"{birth_year % 100:02d}":
            warnings.append(_l("Chữ số thứ 5-6 (%(d)s) không khớp với năm sinh %(y)s.", d=id_number[4:6], y=birth_year))
    return warnings


def typed_identity(phone: str | None, id_number: str | None) -> tuple[str, str]:
    """What a person typed to say who they are: ("id_number", value) or ("phone", value).

    The citizen ID wins when both are given. :raises ValidationError: nothing usable, or a
    malformed number (the message says which).
    """
    from app.core.i18n import lazy_gettext as _l
    from app.errors import ValidationError

    try:
        phone, id_number = normalise_phone(phone), normalise_id_number(id_number)
    except InvalidValue as problem:
        raise ValidationError("invalid_identity", problem.message) from None
    if not phone and not id_number:
        message = _l("Nhập số điện thoại hoặc số định danh cá nhân.")
        raise ValidationError("identity_required", message, {"phone": message})
    return ("id_number", id_number) if id_number else ("phone", phone)


def normalise_phone(raw: str | None, *, restore_lost_zero: bool = False) -> str | None:
    """Return a phone number as ``0`` + 9 digits (mobile) or ``02`` + 9 digits (landline).

    Accepts spaces, dots, dashes, brackets and the ``+84`` / ``84`` country prefix.
    ``restore_lost_zero`` is for spreadsheets, where a number stored as a number loses its 0.

    :raises InvalidValue: when the result is not a Vietnamese phone number.
    """
    text = nfc(raw) or ""
    if not text:
        return None
    if re.search(r"[^\d\s.\-()+]", text):
        raise InvalidValue(_l("Số điện thoại chỉ gồm chữ số (có thể bắt đầu bằng +84)."))
    digits = re.sub(r"\D", "", text)
    if text.startswith("+84") or (digits.startswith("84") and len(digits) in (11, 12)):
        digits = "0" + digits[2:]
    elif restore_lost_zero and len(digits) in (9, 10) and not digits.startswith("0"):
        digits = "0" + digits
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    raise InvalidValue(
        _l(
            "Số điện thoại không đúng định dạng Việt Nam (10 số di động, ví dụ 0912 345 678, "
            "hoặc 11 số cố định, ví dụ 0205 3xxx xxx)."
        )
    )
