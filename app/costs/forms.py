"""Cost forms: norms, estimate lines, expenditures, advances."""

from wtforms import SelectField, StringField, TextAreaField

from app.core.forms import BaseForm, IntField, MoneyField, VNDateField, optional_int
from app.core.i18n import lazy_gettext as _l
from app.costs.models import Place


class NormForm(BaseForm):
    amount = MoneyField(_l("Mức chi mới (đồng)"))
    valid_from = VNDateField(_l("Áp dụng từ ngày"))
    legal_basis = StringField(_l("Căn cứ pháp lý"))
    notes = TextAreaField(_l("Ghi chú"))


class OverrideMixin:
    # Only needed when the estimate or payment would exceed the allocation; refused without it.
    override_reason = TextAreaField(_l("Lý do vượt phân bổ (chỉ khi cần)"))


class RebuildForm(OverrideMixin, BaseForm):
    place = SelectField(
        _l("Nơi tổ chức (mức hỗ trợ tiền ăn)"),
        choices=[(p.value, p.label) for p in Place],
        default=Place.province.value,
    )


class EstimateLineForm(OverrideMixin, BaseForm):
    description = StringField(_l("Nội dung chi"))
    unit = StringField(_l("Đơn vị tính"))
    quantity = IntField(_l("Số lượng"), render_kw={"inputmode": "numeric"})
    unit_amount = MoneyField(_l("Đơn giá (đồng)"), render_kw={"inputmode": "numeric"})


class PaymentFields:
    budget_line_id = SelectField(_l("Dòng ngân sách"), coerce=optional_int)
    funding_source_id = SelectField(_l("Nguồn kinh phí"), coerce=optional_int)
    voucher_no = StringField(_l("Số chứng từ"))
    voucher_date = VNDateField(_l("Ngày chứng từ"))
    amount = MoneyField(_l("Số tiền (đồng)"), render_kw={"inputmode": "numeric"})


class ExpenditureForm(OverrideMixin, PaymentFields, BaseForm):
    description = StringField(_l("Nội dung chi"))
    payee = StringField(_l("Người nhận"))
    advance_id = SelectField(_l("Chi từ khoản tạm ứng"), coerce=optional_int)


class AdvanceForm(PaymentFields, BaseForm):
    payee = StringField(_l("Người nhận tạm ứng"))
    purpose = StringField(_l("Nội dung tạm ứng"))


class SettleForm(BaseForm):
    settlement_voucher_no = StringField(_l("Số chứng từ thanh toán"))
    settled_on = VNDateField(_l("Ngày thanh toán"))


class VoidForm(BaseForm):
    reason = TextAreaField(_l("Lý do hủy"))
