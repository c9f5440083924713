"""Certificate forms."""

from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField

from app.core.forms import BaseForm, IntField, optional_int
from app.core.i18n import lazy_gettext as _l


class RuleForm(BaseForm):
    min_attendance_percent = IntField(_l("Tỷ lệ tham dự tối thiểu (%)"))
    requires_post_test = BooleanField(_l("Phải đạt bài kiểm tra cuối khóa"))


class TemplateForm(BaseForm):
    name = StringField(_l("Tên mẫu"))
    activity_kind = SelectField(_l("Dùng cho loại hoạt động"), validate_choice=False)
    title = StringField(_l("Tên giấy"))
    completion_line = StringField(_l("Câu xác nhận (ví dụ: Đã hoàn thành lớp tập huấn)"))
    signatory_id = SelectField(
        _l("Người ký (để trống: người ký của kế hoạch hoặc của cơ quan)"), coerce=optional_int, validate_choice=False
    )
    min_attendance_percent = IntField(_l("Tỷ lệ tham dự tối thiểu (%)"))
    requires_post_test = BooleanField(_l("Phải đạt bài kiểm tra cuối khóa"))
    seal = FileField(_l("Ảnh con dấu (PNG, nền trong suốt)"))
    signature = FileField(_l("Ảnh chữ ký (PNG)"))
    remove_images = BooleanField(_l("Bỏ ảnh con dấu và chữ ký"))

    def to_data(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "name",
                "activity_kind",
                "title",
                "completion_line",
                "signatory_id",
                "min_attendance_percent",
                "requires_post_test",
                "remove_images",
            )
        }
