"""Forms for plans, activities, sessions, study-tour stops, members, trainers and venues."""

from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import BaseForm, IntField, MoneyField, TimeField, VNDateField, optional_int
from app.core.i18n import lazy_gettext as _l
from app.geo.models import LEVEL_LABELS, UnitLevel
from app.planning.models import KIND_LABELS, SCOPE_LABELS, ActivityKind, DestinationScope, MemberRole

REQUIRED = _l("Trường này là bắt buộc.")
TOO_LONG = _l("Tối đa %(max)d ký tự.")
TARGET = NumberRange(min=0, max=10_000_000, message=_l("Chỉ tiêu phải từ 0 đến 10.000.000."))


def ids(label, **kwargs):
    return SelectMultipleField(label, coerce=optional_int, validate_choice=False, **kwargs)


class ActivityForm(BaseForm):
    kind = SelectField(
        _l("Loại hoạt động"),
        choices=[("", "—")] + [(k.value, KIND_LABELS[k]) for k in ActivityKind],
        validate_choice=False,
    )
    title = StringField(_l("Tên hoạt động"), render_kw={"maxlength": 300})
    plan_id = SelectField(_l("Thuộc kế hoạch"), coerce=optional_int, validate_choice=False)
    start_date = VNDateField(_l("Từ ngày"))
    end_date = VNDateField(_l("Đến ngày"))
    capacity = IntField(_l("Số người dự kiến"), render_kw={"inputmode": "numeric"})
    budget_line_id = SelectField(_l("Dòng ngân sách (Dự án 7)"), coerce=optional_int, validate_choice=False)
    funding_source_id = SelectField(_l("Nguồn kinh phí"), coerce=optional_int, validate_choice=False)
    estimated_cost = MoneyField(_l("Dự toán (đồng)"), render_kw={"inputmode": "numeric"})
    venue_id = SelectField(_l("Địa điểm"), coerce=optional_int, validate_choice=False)
    venue_text = StringField(_l("Địa điểm khác (nếu không có trong danh sách)"), render_kw={"maxlength": 300})
    unit_id = SelectField(_l("Đơn vị hành chính liên quan"), coerce=optional_int, validate_choice=False)
    organiser_org_id = SelectField(_l("Đơn vị tổ chức"), coerce=optional_int, validate_choice=False)
    topic_ids = ids(_l("Chuyên đề"))
    target_levels = SelectMultipleField(
        _l("Cấp của học viên"), choices=[(lv.value, LEVEL_LABELS[lv]) for lv in UnitLevel], validate_choice=False
    )
    category_ids = ids(_l("Đối tượng học viên"))
    description = TextAreaField(_l("Mô tả, nội dung"))
    destination_scope = SelectField(
        _l("Phạm vi đoàn học tập"),
        validate_choice=False,
        choices=[("", "—")] + [(s.value, SCOPE_LABELS[s]) for s in DestinationScope],
    )
    itinerary = TextAreaField(_l("Lịch trình"))
    transport = StringField(_l("Phương tiện"))
    lodging = StringField(_l("Nơi lưu trú"))
    report = TextAreaField(_l("Báo cáo, bài học kinh nghiệm sau chuyến đi"))
    visited_unit_ids = ids(_l("Đơn vị được kiểm tra, giám sát"))
    findings = TextAreaField(_l("Kết quả kiểm tra, giám sát"))
    recommendations = TextAreaField(_l("Kiến nghị"))

    def to_data(self) -> dict:
        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "next")}
        data["kind"] = data["kind"] or None
        data["destination_scope"] = data["destination_scope"] or None
        return data


class SessionForm(BaseForm):
    title = StringField(_l("Tên buổi"), render_kw={"maxlength": 300, "placeholder": _l("Ví dụ: Sáng ngày thứ nhất")})
    day = VNDateField(_l("Ngày"))
    start_time = TimeField(_l("Bắt đầu"), default=None)
    end_time = TimeField(_l("Kết thúc"), default=None)
    venue_id = SelectField(_l("Địa điểm (nếu khác địa điểm của hoạt động)"), coerce=optional_int, validate_choice=False)
    trainer_ids = ids(_l("Giảng viên, báo cáo viên"))

    def to_data(self) -> dict:
        from datetime import datetime

        def at(clock):
            return datetime.combine(self.day.data, clock) if self.day.data and clock else None

        return {
            "title": self.title.data,
            "starts_at": at(self.start_time.data),
            "ends_at": at(self.end_time.data),
            "venue_id": self.venue_id.data,
            "trainer_ids": self.trainer_ids.data,
        }

    def validate_day(self, field):
        if field.data is None:
            raise ValidationError(_l("Nhập ngày của buổi học."))


class TransitionForm(BaseForm):
    to_status = StringField(validators=[DataRequired(REQUIRED)])
    reason = TextAreaField(_l("Lý do, ghi chú"), validators=[Length(max=2000, message=TOO_LONG)])


class CopyForm(BaseForm):
    start_date = VNDateField(_l("Ngày bắt đầu của lớp mới"))


class DestinationForm(BaseForm):
    place = StringField(_l("Nơi đến"), render_kw={"maxlength": 300})
    host = StringField(_l("Đơn vị đón tiếp"), render_kw={"maxlength": 300})
    in_province = BooleanField(_l("Trong tỉnh"))
    start_date = VNDateField(_l("Từ ngày"))
    end_date = VNDateField(_l("Đến ngày"))
    notes = TextAreaField(_l("Nội dung trao đổi"))


class MemberForm(BaseForm):
    person_id = SelectField(_l("Thành viên"), coerce=optional_int, validate_choice=False)
    role = SelectField(_l("Vai trò"), choices=[(r.value, r.label) for r in MemberRole], validate_choice=False)


class PlanForm(BaseForm):
    year = IntField(_l("Năm"), validators=[DataRequired(REQUIRED)])
    number = StringField(_l("Số, ký hiệu"), validators=[Length(max=60, message=TOO_LONG)])
    issued_on = VNDateField(_l("Ngày ban hành"))
    title = StringField(_l("Tên kế hoạch"), validators=[Length(max=300, message=TOO_LONG)])
    organisation_id = SelectField(_l("Cơ quan ban hành"), coerce=optional_int, validate_choice=False)
    signatory_id = SelectField(_l("Người ký"), coerce=optional_int, validate_choice=False)
    target_classes = IntField(_l("Chỉ tiêu: số lớp"), validators=[Optional(), TARGET])
    target_trainees = IntField(_l("Chỉ tiêu: số lượt học viên"), validators=[Optional(), TARGET])
    target_study_tours = IntField(_l("Chỉ tiêu: số đoàn học tập"), validators=[Optional(), TARGET])
    target_women_percent = IntField(
        _l("Chỉ tiêu: tỷ lệ nữ (%)"),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("Tỷ lệ phải từ 0 đến 100."))],
    )

    def to_data(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name not in ("csrf_token", "next")}


class TrainerForm(BaseForm):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120, message=TOO_LONG)])
    title = StringField(_l("Chức vụ, học hàm, học vị"), validators=[Length(max=160, message=TOO_LONG)])
    workplace = StringField(_l("Nơi công tác"), validators=[Length(max=200, message=TOO_LONG)])
    tier_id = SelectField(_l("Mức giảng viên (theo quy định chi)"), coerce=optional_int, validate_choice=False)
    phone = StringField(_l("Số điện thoại"), render_kw={"type": "tel"})
    active = BooleanField(_l("Đang mời giảng"), default=True)


class VenueForm(BaseForm):
    name = StringField(_l("Tên địa điểm"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)])
    address = StringField(_l("Địa chỉ"), validators=[Length(max=300, message=TOO_LONG)])
    unit_id = SelectField(_l("Đơn vị hành chính"), coerce=optional_int, validate_choice=False)
    capacity = IntField(
        _l("Sức chứa (người)"),
        validators=[Optional(), NumberRange(min=1, max=100000, message=_l("Sức chứa phải từ 1 người."))],
    )
    active = BooleanField(_l("Đang sử dụng"), default=True)
