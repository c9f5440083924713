"""Enrolment forms."""

from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length

from app.core.forms import BaseForm, IntField, optional_int
from app.core.i18n import lazy_gettext as _l


class EnrolForm(BaseForm):
    person_ids = SelectMultipleField(_l("Người được chọn"), coerce=optional_int, validate_choice=False)


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Lý do"), validators=[Length(max=1000, message=_l("Tối đa %(max)d ký tự."))])
    person_id = SelectField(_l("Người đi thay"), coerce=optional_int, validate_choice=False)


class QuotaForm(BaseForm):
    unit_id = SelectField(_l("Đơn vị"), coerce=optional_int, validate_choice=False)
    category_id = SelectField(_l("Đối tượng (nếu chỉ tiêu riêng)"), coerce=optional_int, validate_choice=False)
    seats = IntField(_l("Số chỉ tiêu"))


class SearchForm(BaseForm):
    q = StringField(_l("Tìm người"))


class ImportForm(BaseForm):
    file = FileField(_l("Tệp danh sách (.xlsx hoặc .csv)"))
