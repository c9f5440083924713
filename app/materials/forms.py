"""Upload and attach forms."""

from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField

from app.core.forms import BaseForm, optional_int
from app.core.i18n import lazy_gettext as _l


class MaterialForm(BaseForm):
    title = StringField(_l("Tên tài liệu"), render_kw={"maxlength": 300})
    topic_id = SelectField(_l("Chuyên đề"), coerce=optional_int, validate_choice=False)
    author = StringField(_l("Tác giả, đơn vị biên soạn"), render_kw={"maxlength": 200})
    description = TextAreaField(_l("Mô tả"))
    file = FileField(_l("Tệp (PDF, Word, Excel, PowerPoint, ảnh; tối đa 25 MB)"))


class VersionForm(BaseForm):
    file = FileField(_l("Tệp phiên bản mới"))


class AttachForm(BaseForm):
    material_id = SelectField(_l("Tài liệu"), coerce=optional_int, validate_choice=False)
    session_id = SelectField(_l("Dùng cho buổi"), coerce=optional_int, validate_choice=False)
