"""The person form (create and edit)."""

import re

from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, ValidationError
from wtforms.validators import DataRequired

from app.core.forms import BaseForm, IntField, VNDateField, int_or_none, optional_int
from app.core.i18n import lazy_gettext as _l
from app.geo.models import LEVEL_LABELS, UnitLevel
from app.people.models import GENDER_LABELS, Gender


class PersonForm(BaseForm):
    full_name = StringField(_l("Họ và tên"), render_kw={"autocomplete": "off", "maxlength": 100})
    gender = RadioField(_l("Giới tính"), choices=[(g.value, GENDER_LABELS[g]) for g in Gender], validate_choice=False)
    birth_date = VNDateField(_l("Ngày sinh"))
    birth_year = StringField(_l("Năm sinh (nếu không rõ ngày)"), render_kw={"inputmode": "numeric", "maxlength": 4})
    ethnicity_id = SelectField(_l("Dân tộc"), coerce=optional_int, validate_choice=False)
    id_number = StringField(
        _l("Số định danh cá nhân (CCCD)"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    phone = StringField(_l("Số điện thoại"), render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"})
    level = SelectField(
        _l("Cấp"), choices=[("", "—")] + [(lv.value, LEVEL_LABELS[lv]) for lv in UnitLevel], validate_choice=False
    )
    category_id = SelectField(_l("Đối tượng"), coerce=optional_int, validate_choice=False)
    position = StringField(_l("Chức vụ"), render_kw={"maxlength": 120})
    workplace = StringField(_l("Nơi công tác"), render_kw={"maxlength": 200})
    unit_id = SelectField(_l("Đơn vị hành chính"), coerce=optional_int, validate_choice=False)
    confirmed = BooleanField(_l("Tôi đã kiểm tra các cảnh báo và vẫn muốn lưu."))

    def validate_birth_year(self, field):
        text = str(field.data or "").strip()
        if text and not re.fullmatch(r"\d{4}", text):
            raise ValidationError(_l("Năm sinh gồm 4 chữ số, ví dụ 1985."))

    def to_data(self) -> dict:
        """Plain data for ``people.services.save_person``."""
        year = str(self.birth_year.data or "").strip()
        return {
            "full_name": self.full_name.data,
            "gender": self.gender.data,
            "birth_date": self.birth_date.data,
            "birth_year": int_or_none(year, 9999),
            "ethnicity_id": self.ethnicity_id.data,
            "id_number": self.id_number.data,
            "phone": self.phone.data,
            "level": self.level.data,
            "category_id": self.category_id.data,
            "position": self.position.data,
            "workplace": self.workplace.data,
            "unit_id": self.unit_id.data,
        }


class MergeForm(BaseForm):
    """Which record of a duplicate group to keep; the others are merged into it."""

    keep_id = IntField(validators=[DataRequired(_l("Chọn hồ sơ giữ lại."))])
    person_ids = SelectMultipleField(coerce=optional_int, validate_choice=False)
