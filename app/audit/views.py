"""The administrator's audit-log search and its .xlsx export."""

from datetime import date

from flask import Blueprint, render_template, request
from sqlalchemy import select

from app.audit import search
from app.audit.downloads import personal_data_download
from app.auth.models import User
from app.extensions import db
from app.permissions import require

bp = Blueprint("audit", __name__)


def _usernames() -> dict[int, str]:
    return {user_id: username for user_id, username in db.session.execute(select(User.id, User.username))}


@bp.route("/admin/audit")
@require("audit.view")
def audit_log():
    """Search the audit log."""
    found, errors = search.parse_filter(request.args)
    page = db.paginate(search.search(found), per_page=100, max_per_page=200, error_out=False)
    return render_template(
        "admin/audit_log.html",
        page=page,
        found=found,
        errors=errors,
        usernames=_usernames(),
        users=db.session.scalars(select(User).order_by(User.username)).all(),
    )


@bp.route("/admin/audit.xlsx")
@require("audit.view")
def audit_export():
    """The entries matching the filter as .xlsx (the log names people and holds IPs: audited)."""
    found, _errors = search.parse_filter(request.args)
    entries = db.session.scalars(search.search(found).limit(search.EXPORT_LIMIT)).all()
    rows = search.export_rows(entries, _usernames())
    return personal_data_download(
        search.xlsx_bytes(rows),
        f"nhat-ky-{date.today():%Y%m%d}.xlsx",
        export="audit.xlsx",
        rows=len(entries),
        filters=found.as_args(),
    )
