"""Users (staff with a role and a scope) and their API tokens."""

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.i18n import lazy_gettext as _l
from app.core.time import utcnow
from app.extensions import db
from app.geo.models import AdminUnit


class Role(enum.Enum):
    admin = "admin"
    organiser = "organiser"
    finance = "finance"
    district = "district"
    leader = "leader"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.admin: _l("Quản trị hệ thống"),
    Role.organiser: _l("Cán bộ tổ chức"),
    Role.finance: _l("Kế hoạch - Tài chính"),
    Role.district: _l("Cán bộ địa phương"),
    Role.leader: _l("Lãnh đạo"),
}


def new_session_nonce() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    # The administrative unit a district officer is limited to (with everything under it).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    # Changing the nonce logs out every session of the user (password change, deactivation).
    session_nonce: Mapped[str] = mapped_column(String(40), default=new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    unit: Mapped[AdminUnit | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_all_sessions(self) -> None:
        self.session_nonce = new_session_nonce()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak does not leak tokens."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
