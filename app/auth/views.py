"""Sign in and out, own password and user administration."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.audit import services as audit
from app.auth import services
from app.auth.forms import LoginForm, PasswordChangeForm, UserForm
from app.auth.models import Role, User
from app.core.redirects import safe_next
from app.extensions import db, limiter
from app.geo.services import unit_choices
from app.permissions import public, require

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            audit.record(
                "auth.login_failed",
                object_type="users",
                object_id=None,
                after={"username": (form.username.data or "")[:60]},
            )
            db.session.commit()
            form.form_errors.append(_("Tên đăng nhập hoặc mật khẩu không đúng."))
        else:
            # A fresh session at sign-in: nothing from before the login survives into it.
            session.clear()
            login_user(user, remember=form.remember.data)
            audit.record("auth.login", user, actor=user)
            db.session.commit()
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out."""
    # Clear first: logout_user() leaves the flag that deletes the remember-me cookie.
    session.clear()
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@require("account.manage_own")
def password_change():
    """Change my password."""
    form = PasswordChangeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and form.submit(
        lambda: services.set_password(user, form.password.data, form.current_password.data) or user
    ):
        # Every other session ended with the nonce; keep this one signed in.
        login_user(user)
        flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất."), "success")
        return redirect(url_for("core.home"))
    return render_template("auth/password_change.html", form=form)


@bp.route("/admin/users")
@require("users.manage")
def user_list():
    """List users."""
    users = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template("admin/user_list.html", users=users)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@require("users.manage")
def user_create():
    """Create a user."""
    return _edit_user(None)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@require("users.manage")
def user_edit(user_id):
    """Edit a user."""
    user = db.session.get(User, user_id) or abort(404)
    return _edit_user(user)


def _edit_user(user: User | None):
    form = UserForm(obj=user)
    if user is not None and request.method == "GET":
        form.role.data = user.role.value
    form.unit_id.choices = [(None, "—")] + unit_choices()
    if form.validate_on_submit():
        saved = form.submit(lambda: _save_user(user, form))
        if saved is not None:
            flash(_("Đã lưu tài khoản %(u)s.", u=saved.username), "success")
            return redirect(url_for("auth.user_list"))
    return render_template("admin/user_form.html", form=form, user=user, Role=Role)


def _save_user(user: User | None, form: UserForm) -> User:
    if user is None:
        return services.create_user(form.to_data(), form.password.data)
    services.update_user(user, form.to_data(), acting_user=current_user)
    if form.password.data:
        services.set_password(user, form.password.data, check_current=False)
    return user
