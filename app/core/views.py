"""Home page, language switch and health check."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from app.auth.models import Role
from app.core.redirects import safe_next
from app.extensions import db, limiter
from app.people.models import Gender
from app.people.services import PeopleFilter, counts_by_gender, search
from app.permissions import public, require

bp = Blueprint("core", __name__)


@bp.route("/")
@require("home.view")
def home():
    """Home: what the user can do and a few figures within their scope; leaders land on the
    report dashboard, which is what they come for."""
    if current_user.role is Role.leader:
        return redirect(url_for("reports.dashboard"))
    counts = counts_by_gender(search(current_user, PeopleFilter()))
    total = sum(counts.values())
    return render_template("core/home.html", people_count=total, women_count=counts.get(Gender.female, 0))


@bp.route("/lang", methods=["POST"])
@public
def set_language():
    """Switch between Vietnamese and English (kept in a cookie, also before signing in)."""
    lang = request.form.get("lang")
    response = redirect(safe_next(request.form.get("next")))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(
            "lang",
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


@bp.route("/healthz")
@public
def health():
    """Liveness and dependency check for load balancers: 200 when this server can serve, else 503."""
    checks = {"database": _database_answers(), "redis": _redis_answers()}
    healthy = all(state in ("ok", "not_configured") for state in checks.values())
    return {"status": "ok" if healthy else "unavailable", **checks}, 200 if healthy else 503


def _database_answers() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:  # any failure means: do not send requests here
        current_app.logger.exception("Health check: the database does not answer")
        db.session.rollback()
        return "down"


def _redis_answers() -> str:
    """With REDIS_URL set the rate limits live there, and a login or check-in fails without it."""
    if not current_app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "redis+")):
        return "not_configured"
    try:
        return "ok" if limiter.storage.check() else "down"
    except Exception:  # the storage's own client errors: any of them means the limits cannot be counted
        current_app.logger.exception("Health check: Redis does not answer")
        return "down"
