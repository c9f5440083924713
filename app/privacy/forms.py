"""The anonymisation form."""

from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired

from app.core.forms import BaseForm
from app.core.i18n import lazy_gettext as _l


class AnonymiseForm(BaseForm):
    reason = TextAreaField(_l("Lý do (ví dụ: đề nghị xóa dữ liệu của người này, ngày nhận đơn)"))
    confirm = BooleanField(
        _l("Tôi hiểu rằng việc ẩn danh không thể hoàn tác."),
        validators=[DataRequired(_l("Đánh dấu xác nhận để tiếp tục."))],
    )
