"""Evaluation forms (the organiser's side; participants answer through a form built from the questions)."""

from wtforms import BooleanField, SelectField, StringField, TextAreaField

from app.core.forms import BaseForm, IntField, VNDateField
from app.core.forms import TimeField as ClockField
from app.core.i18n import lazy_gettext as _l
from app.evaluations.models import ASPECT_LABELS, KIND_LABELS, TYPE_LABELS


class QuestionnaireForm(BaseForm):
    kind = SelectField(_l("Loại phiếu"), choices=[(k.value, label) for k, label in KIND_LABELS.items()])
    title = StringField(_l("Tên phiếu"))
    anonymous = BooleanField(_l("Ẩn danh (không ghi tên người trả lời; chỉ dùng cho khảo sát)"))
    pass_mark = IntField(_l("Điểm đạt (% tổng điểm, cho bài kiểm tra)"))

    def to_data(self) -> dict:
        return {
            "kind": self.kind.data,
            "title": self.title.data,
            "anonymous": self.anonymous.data,
            "pass_mark": self.pass_mark.data,
        }


class QuestionForm(BaseForm):
    type = SelectField(_l("Loại câu hỏi"), choices=[(k.value, label) for k, label in TYPE_LABELS.items()])
    text = TextAreaField(_l("Câu hỏi"))
    aspect = SelectField(_l("Nội dung đánh giá"), choices=list(ASPECT_LABELS.items()))
    options = TextAreaField(_l("Các phương án (mỗi dòng một phương án)"))
    correct = StringField(_l("Đáp án đúng (số thứ tự, ví dụ 2 hoặc 1, 3)"))
    points = IntField(_l("Điểm"))
    required = BooleanField(_l("Bắt buộc trả lời"), default=True)

    def to_data(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in ("type", "text", "aspect", "options", "correct", "points", "required")
        }


class WindowForm(BaseForm):
    opens_on = VNDateField(_l("Mở từ ngày"))
    opens_time = ClockField(_l("lúc"))
    closes_on = VNDateField(_l("Đóng ngày"))
    closes_time = ClockField(_l("lúc"))
