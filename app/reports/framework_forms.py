"""Results-framework forms: a reporting period, an indicator's figures for a period, an indicator."""

import re
from decimal import Decimal

from wtforms import BooleanField, SelectField, StringField, TextAreaField

from app.core.formats import number_vn
from app.core.forms import BaseForm, IntField, VNDateField
from app.core.i18n import lazy_gettext as _l
from app.reports.models import Direction, Measure, PeriodKind

# IntegerField renders type=number, which the stylesheet leaves unstyled (a tiny box on a phone).
WHOLE = {"inputmode": "numeric", "type": "text", "autocomplete": "off"}
_THOUSANDS = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")
_PLAIN = re.compile(r"[0-9]{1,16}(\.[0-9]{1,2})?")


def parse_figure(text: str) -> Decimal | None:
    """A figure as Vietnamese users type it: '40,5' (decimal comma), '1.200.000' (dots between
    thousands), '12 500 000 đ', '75 %'. A lone dot with other than three digits after it is read
    as a decimal point ('40.5'), since someone typing a share that way means forty and a half.

    :raises ValueError: anything else, negative figures and more than two decimals included.
    """
    text = re.sub(r"\s", "", text or "").removesuffix("%").removesuffix("đ").removesuffix("₫")
    if not text:
        return None
    if "," in text:
        whole, _, decimals = text.partition(",")
        if "," in decimals or not (_THOUSANDS.fullmatch(whole) or whole.isdigit()):
            raise ValueError(text)
        text = f"{whole.replace('.', '')}.{decimals}"
    elif _THOUSANDS.fullmatch(text):
        text = text.replace(".", "")
    if not _PLAIN.fullmatch(text) or not text.isascii():
        raise ValueError(text)
    return Decimal(text)


def show_figure(value: Decimal) -> str:
    """The way a stored figure is put back in a form: 1200 -> '1.200', 40.50 -> '40,5'."""
    if value == value.to_integral_value():
        return number_vn(int(value))
    return f"{value.normalize()}".replace(".", ",")


class FigureField(StringField):
    """A share, count or amount, read with ``parse_figure``; what was typed is kept on an error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return show_figure(self.data) if isinstance(self.data, Decimal) else ""

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        try:
            self.data = parse_figure(valuelist[0] if valuelist else "")
        except ValueError:
            self.data = None
            raise ValueError(
                _l("Nhập một số không âm, tối đa 2 chữ số thập phân, ví dụ 40,5 hoặc 1.200.000.")
            ) from None


def _enum(enum_type):
    def coerce(value):
        if isinstance(value, enum_type):
            return value
        return enum_type(value) if value in enum_type.__members__ else None

    return coerce


class PeriodForm(BaseForm):
    kind = SelectField(
        _l("Loại kỳ"), choices=[("", "—")] + [(k.value, k.label) for k in PeriodKind], coerce=_enum(PeriodKind)
    )
    year = IntField(_l("Năm báo cáo"), render_kw=WHOLE)
    title = StringField(_l("Tên kỳ (để trống: tự đặt theo loại và năm)"))
    starts_on = VNDateField(_l("Từ ngày"))
    ends_on = VNDateField(_l("Đến ngày"))


class ValueForm(BaseForm):
    target = FigureField(_l("Chỉ tiêu của kỳ"))
    actual = FigureField(_l("Số thực hiện (nhập tay)"))
    denominator = IntField(_l("Mẫu số: số cán bộ trong danh sách"), render_kw=WHOLE)
    source = StringField(_l("Nguồn số liệu"))
    note = TextAreaField(_l("Ghi chú"))


class IndicatorForm(BaseForm):
    code = StringField(_l("Mã chỉ số"))
    name = StringField(_l("Tên chỉ số"))
    name_en = StringField(_l("Tên tiếng Anh"))
    measure = SelectField(
        _l("Đơn vị đo"), choices=[("", "—")] + [(m.value, m.label) for m in Measure], coerce=_enum(Measure)
    )
    unit_name = StringField(_l("Đơn vị tính (người, lớp, đoàn…)"))
    baseline_value = FigureField(_l("Giá trị cơ sở"))
    baseline_year = IntField(_l("Năm cơ sở"), render_kw=WHOLE)
    default_target = FigureField(_l("Chỉ tiêu chung (áp dụng cho kỳ không có chỉ tiêu riêng)"))
    direction = SelectField(
        _l("Chiều đánh giá"), choices=[(d.value, d.label) for d in Direction], coerce=_enum(Direction)
    )
    target_notes = TextAreaField(_l("Ghi chú về chỉ tiêu"))
    legal_basis = TextAreaField(_l("Căn cứ, nguồn của chỉ số"))
    sort_order = IntField(_l("Thứ tự"), render_kw=WHOLE)
    active = BooleanField(_l("Đang dùng"))
