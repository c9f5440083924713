"""Forms for editing reference data and administrative units."""

from wtforms import BooleanField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional, Regexp

from app.core.forms import BaseForm, IntField, VNDateField, optional_int
from app.core.i18n import lazy_gettext as _l
from app.geo.models import KIND_LABELS, LEVEL_LABELS, UnitKind, UnitLevel

REQUIRED = _l("Trường này là bắt buộc.")
CODE = [
    DataRequired(REQUIRED),
    Length(max=40, message=_l("Tối đa %(max)d ký tự.")),
    Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("Mã chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới.")),
]
ORDER = [Optional(), NumberRange(min=0, max=10000, message=_l("Nhập số từ 0 đến 10000."))]


def name_field(label, limit):
    return StringField(
        label, validators=[DataRequired(REQUIRED), Length(max=limit, message=_l("Tối đa %(max)d ký tự."))]
    )


def optional_text(label, limit):
    return StringField(label, validators=[Optional(), Length(max=limit, message=_l("Tối đa %(max)d ký tự."))])


class DateRangeMixin:
    def validate_valid_to(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_l("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."))


class NamedItemForm(BaseForm):
    """Participant categories and training topics."""

    code = StringField(_l("Mã"), validators=CODE)
    name = name_field(_l("Tên (tiếng Việt)"), 200)
    name_en = optional_text(_l("Tên (tiếng Anh)"), 200)
    sort_order = IntField(_l("Thứ tự"), validators=ORDER, default=100)
    active = BooleanField(_l("Đang dùng"), default=True)


class CategoryForm(NamedItemForm):
    on_state_payroll = BooleanField(_l("Hưởng lương từ ngân sách nhà nước (không được hỗ trợ tiền ăn)"))


class EthnicityForm(NamedItemForm):
    name = name_field(_l("Tên dân tộc"), 60)
    name_en = optional_text(_l("Tên (tiếng Anh)"), 60)
    code = StringField(
        _l("Mã (QĐ 121-TCTK)"), validators=[DataRequired(REQUIRED), Regexp(r"^\d{2}$", message=_l("Mã gồm 2 chữ số."))]
    )
    code_2008 = StringField(
        _l("Mã (QĐ 1019/QĐ-TCTK)"), validators=[Optional(), Regexp(r"^\d{2}$", message=_l("Mã gồm 2 chữ số."))]
    )
    is_minority = BooleanField(_l("Dân tộc thiểu số"), default=True)


class OrganisationForm(DateRangeMixin, BaseForm):
    code = StringField(_l("Mã"), validators=CODE)
    name = name_field(_l("Tên cơ quan, đơn vị"), 200)
    short_name = optional_text(_l("Tên viết tắt (dùng trong số, ký hiệu văn bản)"), 40)
    parent_id = SelectField(_l("Cơ quan cấp trên"), coerce=optional_int, validate_choice=False)
    place_name = optional_text(_l("Địa danh (ghi ở dòng ngày tháng)"), 80)
    valid_from = VNDateField(_l("Hiệu lực từ ngày"))
    valid_to = VNDateField(_l("Hiệu lực đến ngày"))


class SignatoryForm(DateRangeMixin, BaseForm):
    organisation_id = SelectField(_l("Cơ quan"), coerce=optional_int, validate_choice=False)
    full_name = name_field(_l("Họ và tên người ký"), 120)
    authority_line = optional_text(_l("Thẩm quyền ký (ví dụ KT. GIÁM ĐỐC)"), 120)
    title = name_field(_l("Chức vụ (ví dụ PHÓ GIÁM ĐỐC)"), 120)
    valid_from = VNDateField(_l("Hiệu lực từ ngày"))
    valid_to = VNDateField(_l("Hiệu lực đến ngày"))

    def validate_organisation_id(self, field):
        if field.data is None:
            raise ValidationError(REQUIRED)


class UnitForm(DateRangeMixin, BaseForm):
    code = StringField(
        _l("Mã"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^[A-Za-z0-9\-]{1,20}$", message=_l("Mã gồm tối đa 20 chữ và số.")),
        ],
    )
    name = name_field(_l("Tên đơn vị"), 120)
    kind = SelectField(
        _l("Loại"),
        choices=[(k.value, KIND_LABELS[k]) for k in UnitKind],
        validate_choice=False,
        validators=[AnyOf([k.value for k in UnitKind], message=_l("Chọn một loại trong danh sách."))],
    )
    level = SelectField(
        _l("Cấp"),
        choices=[(lv.value, LEVEL_LABELS[lv]) for lv in UnitLevel],
        validate_choice=False,
        validators=[AnyOf([lv.value for lv in UnitLevel], message=_l("Chọn một cấp trong danh sách."))],
    )
    parent_id = SelectField(_l("Đơn vị cấp trên"), coerce=optional_int, validate_choice=False)
    valid_from = VNDateField(_l("Hiệu lực từ ngày"))
    valid_to = VNDateField(_l("Hiệu lực đến ngày"))
    note = TextAreaField(
        _l("Ghi chú, căn cứ"), validators=[Optional(), Length(max=2000, message=_l("Tối đa %(max)d ký tự."))]
    )

    def to_data(self) -> dict:
        return {
            "code": self.code.data.strip(),
            "name": self.name.data,
            "kind": UnitKind(self.kind.data),
            "level": UnitLevel(self.level.data),
            "parent_id": self.parent_id.data,
            "valid_from": self.valid_from.data,
            "valid_to": self.valid_to.data,
            "note": self.note.data or None,
        }
