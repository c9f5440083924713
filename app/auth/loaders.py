"""How Flask-Login finds the user: the session cookie for pages, a bearer token for the API."""

from flask import g

from app.auth.models import User
from app.core.forms import int_or_none
from app.core.i18n import lazy_gettext as _l
from app.extensions import db


def init_login(app, login_manager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str):
        # The id carries the user's session nonce: a changed nonce logs the session out.
        user_id, _, nonce = session_id.partition(":")
        if int_or_none(user_id) is None:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.is_active or user.session_nonce != nonce:
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(req):
        if not req.path.startswith("/api/"):
            return None
        header = req.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return None
        from app.auth.services import user_for_token

        found = user_for_token(raw.strip())
        if found is None:
            return None
        g.api_token = found[1]
        return found[0]
