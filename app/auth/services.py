"""Accounts: creating and changing users, checking passwords, issuing API tokens."""

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select

from app.audit import services as audit
from app.auth.models import ApiToken, Role, User
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.core.time import utcnow
from app.errors import DomainError, ValidationError
from app.extensions import db
from app.geo.models import AdminUnit

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
AUDITED_FIELDS = ("username", "full_name", "email", "role", "unit_id", "is_active_account")
# Same cost whether or not the user exists, so timing does not reveal usernames.
_DUMMY_HASH = "scrypt:32768:8:1$dummydummydummy1$" + "0" * 128


def password_problem(password: str | None):
    """A translated reason the password is unacceptable, or None."""
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        return _l("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_PASSWORD_LENGTH)
    if len(set(password)) < 4:
        return _l("Mật khẩu quá đơn giản.")
    return None


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (the caller says nothing more precise)."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if user is None:
        from werkzeug.security import check_password_hash

        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def _check_user_data(data: dict, user: User | None) -> dict:
    errors = {}
    username = (data.get("username") or "").strip().lower()
    if not USERNAME_PATTERN.match(username):
        errors["username"] = _l("Tên đăng nhập gồm 3-60 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang.")
    else:
        clash = db.session.scalar(select(User).where(User.username == username))
        if clash is not None and clash is not user:
            errors["username"] = _l("Tên đăng nhập này đã có người dùng.")
    if data.get("role") is Role.district and not data.get("unit_id"):
        errors["unit_id"] = _l("Cán bộ địa phương phải được gán một đơn vị hành chính.")
    elif data.get("unit_id") and db.session.get(AdminUnit, data["unit_id"]) is None:
        errors["unit_id"] = _l("Đơn vị hành chính không tồn tại.")
    data["username"] = username
    return errors


def create_user(data: dict, password: str) -> User:
    """Create a staff account.

    :param data: username, full_name, email, role (Role), unit_id (required for district officers).
    :raises ValidationError: with per-field messages.
    """
    errors = _check_user_data(data, None)
    if problem := password_problem(password):
        errors["password"] = problem
    if errors:
        raise ValidationError("invalid_user", _l("Thông tin tài khoản không hợp lệ."), errors)
    user = User(
        username=data["username"],
        full_name=nfc(data["full_name"]),
        email=data.get("email") or None,
        role=data["role"],
        unit_id=data.get("unit_id") if data["role"] is Role.district else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, after=audit.snapshot(user, AUDITED_FIELDS))
    return user


def update_user(user: User, data: dict, acting_user: User | None = None) -> User:
    """Change role, scope, name or activity; deactivating ends the user's sessions and tokens.

    :raises DomainError: an admin trying to remove their own admin role or deactivate themselves.
    """
    errors = _check_user_data(data, user)
    if errors:
        raise ValidationError("invalid_user", _l("Thông tin tài khoản không hợp lệ."), errors)
    if (
        acting_user is not None
        and acting_user.id == user.id
        and (data["role"] is not Role.admin or not data.get("is_active_account", True))
    ):
        raise DomainError(
            "cannot_demote_self", _l("Bạn không thể tự bỏ quyền quản trị hoặc tự khóa tài khoản của mình.")
        )
    before = audit.snapshot(user, AUDITED_FIELDS)
    user.username = data["username"]
    user.full_name = nfc(data["full_name"])
    user.email = data.get("email") or None
    user.role = data["role"]
    user.unit_id = data.get("unit_id") if data["role"] is Role.district else None
    deactivating = user.is_active_account and not data.get("is_active_account", True)
    user.is_active_account = data.get("is_active_account", True)
    if deactivating or before["role"] != user.role.value or before["unit_id"] != user.unit_id:
        end_sessions(user)
    db.session.flush()
    audit.record("user.update", user, before=before, after=audit.snapshot(user, AUDITED_FIELDS))
    return user


def set_password(user: User, password: str, current_password: str | None = None, *, check_current: bool = True) -> None:
    """Set a new password and log out every other session of the user.

    :raises ValidationError: wrong current password or a weak new one.
    """
    if check_current and not user.check_password(current_password or ""):
        raise ValidationError(
            "wrong_password",
            _l("Mật khẩu hiện tại không đúng."),
            {"current_password": _l("Mật khẩu hiện tại không đúng.")},
        )
    if problem := password_problem(password):
        raise ValidationError("weak_password", problem, {"password": problem})
    user.set_password(password)
    end_sessions(user)
    audit.record("user.password", user)


def end_sessions(user: User) -> None:
    """Invalidate every browser session and API token of the user."""
    user.end_all_sessions()
    now = utcnow()
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        token.revoked_at = now


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, lifetime: timedelta) -> tuple[str, ApiToken]:
    """A new bearer token for the user; the raw value is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=_hash_token(raw), expires_at=utcnow() + lifetime)
    db.session.add(token)
    db.session.flush()
    return raw, token


def user_for_token(raw: str) -> tuple[User, ApiToken] | None:
    """The active user behind a usable token, or None for unknown, expired or revoked tokens."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(raw)))
    now = utcnow()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    return token.user, token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()
