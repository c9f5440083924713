"""Home page, language switch and health check."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from app.auth.models import Role
from app.core.redirects import safe_next
from app.extensions import db
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
    """Liveness and database check for load balancers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
