"""The API blueprint and what every endpoint shares: bearer-token auth, JSON bodies, pagination."""

from datetime import date

from flask import Blueprint, g, jsonify, request
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from app.auth import services as auth_services
from app.core.forms import MAX_ID
from app.core.i18n import lazy_gettext as _l
from app.errors import DomainError
from app.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 200


@bp.before_request
def authenticate_by_token():
    """The API knows bearer tokens only: a browser's session cookie never authenticates a call,
    which is why the API needs no CSRF token."""
    g._login_user = AnonymousUserMixin()
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        found = auth_services.user_for_token(raw.strip())
        if found is not None:
            g._login_user, g.api_token = found


def body_json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("invalid_json", _l("Nội dung yêu cầu phải là một đối tượng JSON."), status=400)
    return data


def paginate(query, serialise, default_per_page: int = 50):
    try:
        page = max(int(request.args.get("page", 1)), 1)
        per_page = min(max(int(request.args.get("per_page", default_per_page)), 1), MAX_PER_PAGE)
    except ValueError:
        raise DomainError("invalid_pagination", _l("page và per_page phải là số nguyên."), status=400) from None
    if page > MAX_ID:  # an OFFSET past 2**63 is an OverflowError on SQLite, not an empty page
        raise DomainError("invalid_pagination", _l("page quá lớn."), status=400)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return jsonify({"items": [serialise(item) for item in items], "total": total, "page": page, "per_page": per_page})


def iso_date(value, field, errors):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        errors[field] = _l("Ngày phải theo dạng YYYY-MM-DD.")
        return None
