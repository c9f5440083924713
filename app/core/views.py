"""Home page, language switch and health check."""

from flask import Blueprint, current_app, redirect, render_template, request
from sqlalchemy import func, select, text

from app.auth.views import safe_next
from app.extensions import db
from app.people.models import Gender, Person
from app.permissions import public, require, restrict_to_scope

bp = Blueprint("core", __name__)


@bp.route("/")
@require("home.view")
def home():
    """Home: what the user can do and a few figures within their scope."""
    people = restrict_to_scope(select(func.count(Person.id)), Person.unit_id)
    women = people.where(Person.gender == Gender.female)
    return render_template(
        "core/home.html", people_count=db.session.scalar(people), women_count=db.session.scalar(women)
    )


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
