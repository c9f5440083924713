"""Finance's forms: budget lines, funding sources, allocations."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from app.budget.models import LINE_KIND_LABELS, LineKind
from app.core.forms import BaseForm, IntField, MoneyField, VNDateField, optional_int
from app.core.i18n import lazy_gettext as _l

REQUIRED = _l("Trường này là bắt buộc.")
YEAR = [DataRequired(REQUIRED), NumberRange(min=2000, max=2100, message=_l("Năm không hợp lệ."))]
CODE = [
    DataRequired(REQUIRED),
    Length(max=40, message=_l("Tối đa %(max)d ký tự.")),
    Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("Mã chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới.")),
]


class BudgetLineForm(BaseForm):
    year = IntField(_l("Năm"), validators=YEAR)
    code = StringField(_l("Mã"), validators=CODE)
    name = StringField(
        _l("Tên"), validators=[DataRequired(REQUIRED), Length(max=300, message=_l("Tối đa %(max)d ký tự."))]
    )
    kind = SelectField(_l("Loại"), choices=[(k.value, LINE_KIND_LABELS[k]) for k in LineKind], validate_choice=False)
    parent_id = SelectField(_l("Dòng cấp trên"), coerce=optional_int, validate_choice=False)
    sort_order = IntField(_l("Thứ tự"), validators=[Optional()], default=100)

    def to_data(self) -> dict:
        try:
            kind = LineKind(self.kind.data)
        except ValueError:
            kind = LineKind.content
        return {
            "year": self.year.data,
            "code": self.code.data.strip(),
            "name": self.name.data,
            "kind": kind,
            "parent_id": self.parent_id.data,
            "sort_order": self.sort_order.data or 100,
        }


class FundingSourceForm(BaseForm):
    year = IntField(_l("Năm sử dụng"), validators=YEAR)
    code = StringField(_l("Mã"), validators=CODE)
    name = StringField(
        _l("Tên nguồn"), validators=[DataRequired(REQUIRED), Length(max=300, message=_l("Tối đa %(max)d ký tự."))]
    )
    legal_basis = TextAreaField(_l("Căn cứ (quyết định giao dự toán...)"))
    amount = MoneyField(_l("Số tiền (đồng)"), validators=[InputRequired(REQUIRED)])
    carried_over_from = IntField(_l("Chuyển nguồn từ năm (nếu có)"), validators=[Optional()])
    deadline = VNDateField(_l("Hạn sử dụng"))

    def to_data(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "next")}


class AllocationForm(BaseForm):
    budget_line_id = SelectField(_l("Dòng ngân sách"), coerce=optional_int, validate_choice=False)
    funding_source_id = SelectField(_l("Nguồn kinh phí"), coerce=optional_int, validate_choice=False)
    amount = MoneyField(_l("Số tiền phân bổ (đồng)"), validators=[InputRequired(REQUIRED)])
