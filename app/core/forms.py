"""Form pieces shared by every domain: Vietnamese dates, optional ids, service errors on fields."""

import re
from datetime import date, datetime, time

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField

from app.core.i18n import lazy_gettext as _l
from app.errors import DomainError
from app.extensions import db

_DATE_PATTERNS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def parse_vn_date(text: str) -> date:
    """'5/2/2023', '05/02/2023' or '2023-02-05' -> date(2023, 2, 5).

    :raises ValueError: anything else.
    """
    text = text.strip()
    for pattern in _DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


class VNDateField(StringField):
    """A date typed as dd/mm/yyyy, the way Vietnamese forms are filled in."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def _value(self):
        if isinstance(self.data, date):
            return self.data.strftime("%d/%m/%Y")
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_data = valuelist
        if not text:
            self.data = None
            return
        try:
            self.data = parse_vn_date(text)
        except ValueError:
            self.data = None
            raise ValueError(_l("Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 05/02/2023.")) from None


class IntField(IntegerField):
    """An integer field whose parse error is in Vietnamese (WTForms ships no Vietnamese messages)."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        if not re.fullmatch(r"-?[0-9]{1,10}", text) or abs(int(text)) > MAX_ID:
            self.data = None
            raise ValueError(_l("Nhập một số nguyên."))
        self.data = int(text)


class MoneyField(StringField):
    """An amount in đồng as people type it: 12.345.678, 12 345 678 or 12345678 (đ optional)."""

    def _value(self):
        if isinstance(self.data, int):
            return f"{self.data:,}".replace(",", ".")
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip().removesuffix("đ").removesuffix("₫").strip()
        self.raw_data = valuelist
        if not text:
            self.data = None
            return
        digits = re.sub(r"[\s.]", "", text)
        if not re.fullmatch(r"[0-9]{1,15}", digits):
            self.data = None
            raise ValueError(_l("Nhập số tiền bằng chữ số, ví dụ 12.500.000."))
        self.data = int(digits)


class TimeField(StringField):
    """A time of day typed or picked as HH:MM."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"type": "time", "step": "300"})
        super().__init__(*args, **kwargs)

    def _value(self):
        if isinstance(self.data, time):
            return self.data.strftime("%H:%M")
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_data = valuelist
        if not text:
            self.data = None
            return
        match = re.fullmatch(r"(\d{1,2})[:hg.](\d{2})", text)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            self.data = None
            raise ValueError(_l("Giờ không hợp lệ; nhập theo dạng giờ:phút, ví dụ 07:30."))
        self.data = time(int(match.group(1)), int(match.group(2)))


MAX_ID = 2**31 - 1  # the largest integer every supported database column holds


def int_or_none(value, maximum: int = MAX_ID) -> int | None:
    """An id or count typed in a URL or form: ASCII digits only (not '²' or '٣'), within range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= maximum else None
    text = str(value or "").strip()
    if not re.fullmatch(r"[0-9]{1,10}", text) or int(text) > maximum:
        return None
    return int(text)


FIRST_YEAR, LAST_YEAR = 2000, 2100


def year_or_none(value) -> int | None:
    """A plan or budget year the product works with (2000-2100); anything else is None."""
    year = int_or_none(value, LAST_YEAR)
    return year if year is not None and year >= FIRST_YEAR else None


def optional_int(value):
    """Coerce a select's value to int, '' and garbage to None (the service reports what is missing)."""
    return int_or_none(value)


class BaseForm(FlaskForm):
    """Every form: CSRF-protected, with service errors mapped back onto its fields."""

    next = HiddenField()

    def submit(self, action, passthrough: tuple = ()):
        """Run one service call as the request's transaction.

        :return: the call's result after a commit, or None after a rollback, with the service's
            errors put on the fields they concern.
        :param passthrough: DomainError subclasses the view handles itself (re-raised after rollback).
        """
        try:
            result = action()
            db.session.commit()
            return result
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, passthrough):
                raise
            self.apply_domain_error(error)
            return None

    def flash_form_errors(self, fields: bool = False) -> None:
        """Errors as flash messages, for POSTs that redirect back to a page: those not tied to a
        field, and with ``fields`` each field's too, named by its label."""
        from flask import flash

        if fields:
            for name, errors in self.errors.items():
                label = getattr(getattr(self, name, None), "label", None)
                for error in errors:
                    flash(f"{label.text}: {error}" if label is not None else error, "error")
        for error in self.form_errors:
            flash(error, "error")

    def apply_domain_error(self, error: DomainError) -> None:
        for name, message in error.fields.items():
            field = getattr(self, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
            else:
                self.form_errors.append(message)
        if not error.fields:
            self.form_errors.append(error.message)
