"""Cost forms."""

from wtforms import StringField, TextAreaField

from app.core.forms import BaseForm, MoneyField, VNDateField
from app.core.i18n import lazy_gettext as _l


class NormForm(BaseForm):
    amount = MoneyField(_l("Mức chi mới (đồng)"))
    valid_from = VNDateField(_l("Áp dụng từ ngày"))
    legal_basis = StringField(_l("Căn cứ pháp lý"))
    notes = TextAreaField(_l("Ghi chú"))
