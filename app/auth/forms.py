"""Sign-in, password and user-administration forms."""

from wtforms import BooleanField, PasswordField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length

from app.auth.models import ROLE_LABELS, Role
from app.core.forms import BaseForm, optional_int
from app.core.i18n import lazy_gettext as _l

REQUIRED = _l("Trường này là bắt buộc.")


class LoginForm(BaseForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[DataRequired(REQUIRED), Length(max=60)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên thiết bị này"))


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(REQUIRED)], render_kw={"autocomplete": "current-password"}
    )
    password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(REQUIRED), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        _l("Nhập lại mật khẩu mới"), validators=[DataRequired(REQUIRED)], render_kw={"autocomplete": "new-password"}
    )

    def validate_password_again(self, field):
        if field.data != self.password.data:
            raise ValidationError(_l("Hai mật khẩu không giống nhau."))


class UserForm(BaseForm):
    username = StringField(
        _l("Tên đăng nhập"), validators=[DataRequired(REQUIRED), Length(max=60)], render_kw={"autocapitalize": "none"}
    )
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=120)])
    email = StringField(_l("Thư điện tử"), validators=[Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=[(r.value, ROLE_LABELS[r]) for r in Role], validate_choice=False)
    unit_id = SelectField(_l("Đơn vị phụ trách (cán bộ địa phương)"), coerce=optional_int, validate_choice=False)
    is_active_account = BooleanField(_l("Đang hoạt động"), default=True)
    password = PasswordField(
        _l("Mật khẩu (để trống nếu không đổi)"),
        validators=[Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_role(self, field):
        if field.data not in {r.value for r in Role}:
            raise ValidationError(_l("Vai trò không hợp lệ."))

    def to_data(self) -> dict:
        return {
            "username": self.username.data,
            "full_name": self.full_name.data,
            "email": self.email.data,
            "role": Role(self.role.data),
            "unit_id": self.unit_id.data,
            "is_active_account": self.is_active_account.data,
        }
