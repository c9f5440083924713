"""Every access rule in one place: which role may do what, and which objects a user may reach.

Views declare their rule with ``@require("<permission>")`` or ``@public``; templates ask
``can("<permission>")`` so that showing a button and allowing the POST share one definition.
A test walks ``app.url_map`` and fails on any endpoint without a declared rule.
"""

import logging
from functools import wraps

from flask import abort, g, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from app.auth.models import Role
from app.extensions import db, login_manager
from app.geo.services import descendant_unit_ids

log = logging.getLogger(__name__)

STAFF = frozenset(Role)
PUBLIC = "public"

RULES: dict[str, frozenset[Role]] = {
    # Any signed-in staff member.
    "home.view": STAFF,
    "account.manage_own": STAFF,
    "reference.view": STAFF,
    "people.view": STAFF,
    "people.export": STAFF,
    # Changing things.
    "users.manage": frozenset({Role.admin}),
    "reference.edit": frozenset({Role.admin}),
    "audit.view": frozenset({Role.admin}),
    "people.edit": frozenset({Role.admin, Role.organiser, Role.district}),
    # Planning and budget. Leaders approve and finance settles through "planning.transition";
    # which step each role may take is the workflow's rule (app/planning/services.TRANSITIONS).
    "planning.view": STAFF,
    "planning.edit": frozenset({Role.admin, Role.organiser}),
    "planning.transition": frozenset({Role.admin, Role.organiser, Role.leader, Role.finance}),
    "planning.resources": frozenset({Role.admin, Role.organiser}),
    "registration.view": STAFF,
    "registration.enrol": frozenset({Role.admin, Role.organiser, Role.district}),
    "registration.quota": frozenset({Role.admin, Role.organiser}),
    # Attendance: everyone reads (in scope); organisers run the door, mark by hand and correct.
    "attendance.view": STAFF,
    "attendance.record": frozenset({Role.admin, Role.organiser}),
    # Evaluations: everyone reads results (district officers: their people's answers only).
    "evaluations.view": STAFF,
    "evaluations.edit": frozenset({Role.admin, Role.organiser}),
    # Certificates: everyone reads (district officers: their people); organisers issue and revoke.
    "certificates.view": STAFF,
    "certificates.issue": frozenset({Role.admin, Role.organiser}),
    "certificates.templates": frozenset({Role.admin, Role.organiser}),
    "materials.view": STAFF,
    "materials.edit": frozenset({Role.admin, Role.organiser}),
    "budget.view": STAFF,
    # Costs: only finance changes money; organisers read norms and estimates and print allowance
    # lists for signing; leaders read everything; district officers see none of it.
    "costs.view": frozenset({Role.admin, Role.organiser, Role.finance, Role.leader}),
    "costs.norms": frozenset({Role.admin, Role.finance}),
    "costs.edit": frozenset({Role.finance}),
    "costs.spending": frozenset({Role.admin, Role.finance, Role.leader}),
    "costs.allowances": frozenset({Role.admin, Role.organiser, Role.finance, Role.leader}),
    "budget.edit": frozenset({Role.admin, Role.finance}),
    # Reports: everyone reads the figures (district officers: their units only); the people
    # behind a figure are read under "people.view"; organisers keep the results framework.
    "reports.view": STAFF,
    "reports.framework": frozenset({Role.admin, Role.organiser}),
    # Citizen IDs are masked everywhere; those who register and verify identities may reveal one
    # person's full ID (in scope, audited) and find a person by a full ID.
    "people.reveal_id": frozenset({Role.admin, Role.organiser, Role.district}),
    # A participant's data-subject requests: see and download everything held (district officers
    # for their own people, who usually ask them); anonymising is irreversible: administrators only.
    "people.subject_data": frozenset({Role.admin, Role.organiser, Role.district}),
    "people.anonymise": frozenset({Role.admin}),
}

# Endpoints without a view function of ours (Flask's static files).
PUBLIC_ENDPOINTS = {"static"}


def has_permission(user, permission: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in RULES[permission]


def can(permission: str, obj=None, user=None) -> bool:
    """True when ``user`` (default: the current user) holds ``permission`` and may reach ``obj``."""
    user = user or current_user
    if not has_permission(user, permission):
        return False
    return obj is None or in_scope(user, obj)


# -- scope ----------------------------------------------------------------------------


def scope_unit_ids(user=None) -> set[int] | None:
    """Units the user is limited to, or None for no limit (every role but district officer)."""
    user = user or current_user
    if user.role is not Role.district:
        return None
    cache = g.setdefault("_scope_cache", {})
    if user.id not in cache:
        cache[user.id] = descendant_unit_ids(user.unit_id) if user.unit_id else set()
    return cache[user.id]


def in_scope(user, obj) -> bool:
    """Whether an object that belongs to an administrative unit (``unit_id``) is within reach."""
    allowed = scope_unit_ids(user)
    return allowed is None or getattr(obj, "unit_id", None) in allowed


def restrict_to_scope(query, unit_column, user=None):
    """Add the user's unit limit to a select() over a model with a unit column."""
    allowed = scope_unit_ids(user)
    if allowed is None:
        return query
    return query.where(unit_column.in_(allowed))


OUT_OF_SCOPE = "out_of_scope"  # the 404's description when the object exists: the refusal is audited


def not_found(existing=None):
    """The one 404 for an object that does not exist or that the user may not reach: the answer
    never reveals which, but an existing object's refusal is audited (see ``record_refusal``)."""
    abort(404, description=OUT_OF_SCOPE if existing is not None else None)


def get_in_scope_or_404(model, object_id, user=None):
    """Load an object the user may reach; anything else, existing or not, is the same 404."""
    obj = db.session.get(model, object_id)
    if obj is None or not in_scope(user or current_user, obj):
        not_found(obj)
    return obj


def require_unit_in_scope(unit_id: int | None, user=None) -> None:
    """A filter or drill-down naming a unit outside the user's scope is a 404, like the unit's objects."""
    allowed = scope_unit_ids(user)
    if unit_id is not None and allowed is not None and unit_id not in allowed:
        not_found(unit_id)


def record_refusal(status: int) -> None:
    """Audit one refused access (a role without the permission: 403; an object out of scope: 404)
    as ``authorization.denied``, whichever view refused it: the error handlers call this.

    The request's own work is rolled back first (it failed), so the entry is all that is committed.
    """
    from app.audit.services import DENIED_ACTION, record
    from app.core.transactions import start_writing

    if not getattr(current_user, "is_authenticated", False):
        return  # not signed in is a 401 or the login page, not a refused authorisation
    db.session.rollback()
    try:
        start_writing()
        record(
            DENIED_ACTION,
            object_type="endpoint",
            object_id=(request.endpoint or "-")[:64],
            after={"status": status, "method": request.method, "path": request.path[:300]},
        )
        db.session.commit()
    except SQLAlchemyError:  # the refusal still stands; the handler's warning keeps a trace of it
        db.session.rollback()
        log.exception("Could not audit a refused access")


# -- declaring rules on views --------------------------------------------------------


def require(permission: str):
    """Guard a view: sign-in first (401 / login page), then the role (403)."""
    if permission not in RULES:
        raise KeyError(f"Unknown permission {permission!r}")

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    abort(401)
                return login_manager.unauthorized()
            if not has_permission(current_user, permission):
                abort(403)  # audited by the error handler (record_refusal)
            return view(*args, **kwargs)

        guarded.permission = permission
        return guarded

    return decorator


def public(view):
    """Mark a view as reachable without signing in (login page, language switch, health)."""
    view.permission = PUBLIC
    return view


def declared_permission(app, endpoint: str) -> str | None:
    """The rule declared for an endpoint, for the route-walking test."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    return getattr(app.view_functions.get(endpoint), "permission", None)


def template_helpers() -> dict:
    return {"can": can, "Role": Role}
