"""Pages for plans, activities (list, calendar, detail, edit, workflow, copy), sessions,
study-tour stops, delegations, trainers and venues."""

import calendar
from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.attendance.reports import trained
from app.budget import services as budget
from app.core.forms import BaseForm, int_or_none, year_or_none
from app.extensions import db
from app.geo.services import unit_choices
from app.people.services import PeopleFilter
from app.people.services import search as search_people
from app.permissions import can, require
from app.planning import services
from app.planning.forms import (
    ActivityForm,
    CopyForm,
    DestinationForm,
    MemberForm,
    PlanForm,
    SessionForm,
    TrainerForm,
    TransitionForm,
    VenueForm,
)
from app.planning.models import (
    Activity,
    ActivityKind,
    ActivityMember,
    ActivitySession,
    ActivityStatus,
    Destination,
    MemberRole,
    Plan,
    Trainer,
    TrainerTier,
    Venue,
)
from app.planning.services import ActivityFilter
from app.reference import services as reference
from app.reference.models import Organisation, Signatory

bp = Blueprint("planning", __name__)
BLANK = [(None, "—")]


_activity_or_404 = services.get_visible_or_404


def _child_or_404(model, child_id: int, activity: Activity):
    child = db.session.get(model, child_id)
    if child is None or child.activity_id != activity.id:
        abort(404)
    return child


def _int_arg(name):
    return int_or_none(request.args.get(name))


def _enum_arg(enum_type, name):
    try:
        return enum_type(request.args.get(name))
    except ValueError:
        return None


def _filters() -> ActivityFilter:
    return ActivityFilter(
        year=year_or_none(request.args.get("year")),
        kind=_enum_arg(ActivityKind, "kind"),
        status=_enum_arg(ActivityStatus, "status"),
        unit_id=_int_arg("unit_id"),
        budget_line_id=_int_arg("budget_line_id"),
        funding_source_id=_int_arg("funding_source_id"),
        topic_id=_int_arg("topic_id"),
        q=(request.args.get("q") or "").strip()[:100] or None,
    )


# -- activities -----------------------------------------------------------------------------


@bp.route("/activities/")
@require("planning.view")
def activity_list():
    """List activities with filters."""
    filters = _filters()
    page = db.paginate(services.search(current_user, filters), per_page=50, error_out=False)
    lines = db.session.scalars(budget.lines_query(filters.year)).all()
    return render_template(
        "planning/activity_list.html",
        page=page,
        filters=filters,
        ActivityKind=ActivityKind,
        ActivityStatus=ActivityStatus,
        lines=lines,
        topics=reference.topics(),
        units=unit_choices(),
        years=budget.years(),
    )


@bp.route("/activities/calendar")
@require("planning.view")
def activity_calendar():
    """A month of activities and sessions."""
    today = date.today()
    try:
        year, month = (int(part) for part in request.args.get("month", f"{today:%Y-%m}").split("-"))
        first = date(year, month, 1) if year_or_none(year) else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    activities = db.session.scalars(
        services.search(current_user, ActivityFilter(starts_before=last, ends_after=first))
    ).all()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    by_day = {
        day: [a for a in activities if a.start_date <= day <= a.end_date and a.status is not ActivityStatus.cancelled]
        for day in days
    }
    sessions: dict[date, list] = {}
    for session in services.sessions_between(current_user, first, last):
        sessions.setdefault(session.starts_at.date(), []).append(session)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return render_template(
        "planning/activity_calendar.html",
        first=first,
        days=days,
        by_day=by_day,
        sessions=sessions,
        previous=previous,
        following=following,
        leading_blanks=first.weekday(),
    )


@bp.route("/activities/<int:activity_id>")
@require("planning.view")
def activity_detail(activity_id):
    """Show an activity with its sessions, warnings and history."""
    activity = _activity_or_404(activity_id)
    people = []
    member_q = (request.args.get("member_q") or "").strip()[:100]
    if member_q and activity.kind in (ActivityKind.study_tour, ActivityKind.monitoring) and can("planning.edit"):
        people = db.session.scalars(search_people(current_user, PeopleFilter(q=member_q)).limit(50)).all()
    # A district officer sees the members from their own unit; the others are only counted.
    members = [m for m in activity.members if can("people.view", m.person)]
    return render_template(
        "planning/activity_detail.html",
        activity=activity,
        members=members,
        hidden_members=len(activity.members) - len(members),
        member_q=member_q,
        warnings=services.warnings_for(activity),
        next_steps=services.allowed_transitions(activity, current_user),
        transition_form=TransitionForm(),
        copy_form=CopyForm(),
        member_form=_member_form(people),
        ActivityKind=ActivityKind,
        ActivityStatus=ActivityStatus,
    )


def _member_form(people) -> MemberForm:
    form = MemberForm()
    form.person_id.choices = BLANK + [(p.id, f"{p.full_name} — {p.unit.name}") for p in people]
    return form


def _activity_choices(form: ActivityForm) -> None:
    form.plan_id.choices = BLANK + [
        (p.id, f"{p.year} — {p.title}") for p in db.session.scalars(select(Plan).order_by(Plan.year.desc()))
    ]
    form.budget_line_id.choices = BLANK + [
        (line.id, f"{line.year} · {line.label}") for line in db.session.scalars(budget.lines_query())
    ]
    form.funding_source_id.choices = BLANK + [(s.id, s.label) for s in db.session.scalars(budget.sources_query())]
    form.venue_id.choices = BLANK + [
        (v.id, v.label) for v in db.session.scalars(select(Venue).where(Venue.active.is_(True)).order_by(Venue.name))
    ]
    form.unit_id.choices = [(None, _("Toàn tỉnh"))] + unit_choices()
    form.organiser_org_id.choices = BLANK + [
        (o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.code))
    ]
    form.topic_ids.choices = [(t.id, t.label) for t in reference.topics(active_only=True)]
    form.category_ids.choices = [(c.id, c.label) for c in reference.categories(active_only=True)]
    form.visited_unit_ids.choices = unit_choices()


@bp.route("/activities/new", methods=["GET", "POST"])
@require("planning.edit")
def activity_create():
    """Plan an activity."""
    form = ActivityForm()
    if request.method == "GET":
        form.kind.data = request.args.get("kind", "training")
        form.plan_id.data = _int_arg("plan_id")
    return _edit_activity(form, None)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@require("planning.edit")
def activity_edit(activity_id):
    """Edit an activity."""
    activity = _activity_or_404(activity_id)
    form = ActivityForm(obj=activity)
    if request.method == "GET":
        form.kind.data = activity.kind.value
        form.destination_scope.data = activity.destination_scope.value if activity.destination_scope else ""
        form.topic_ids.data = [t.id for t in activity.topics]
        form.category_ids.data = [c.id for c in activity.categories]
        form.visited_unit_ids.data = [u.id for u in activity.visited_units]
    return _edit_activity(form, activity)


def _edit_activity(form: ActivityForm, activity: Activity | None):
    _activity_choices(form)
    if form.validate_on_submit():
        saved = form.submit(lambda: services.save_activity(activity, form.to_data(), current_user))
        if saved is not None:
            flash(_("Đã lưu hoạt động."), "success")
            for warning in services.warnings_for(saved):
                flash(warning, "warning")
            return redirect(url_for("planning.activity_detail", activity_id=saved.id))
    return render_template("planning/activity_form.html", form=form, activity=activity, ActivityKind=ActivityKind)


@bp.route("/activities/<int:activity_id>/status", methods=["POST"])
@require("planning.transition")
def activity_transition(activity_id):
    """Move an activity along its workflow."""
    activity = _activity_or_404(activity_id)
    form = TransitionForm()
    try:
        to_status = ActivityStatus(form.to_status.data)
    except ValueError:
        abort(400)
    if form.validate_on_submit() and form.submit(
        lambda: services.transition(activity, to_status, current_user, form.reason.data)
    ):
        flash(_("Đã chuyển sang “%(s)s”.", s=to_status.label), "success")
    for error in form.form_errors + form.reason.errors:
        flash(error, "error")
    return redirect(url_for("planning.activity_detail", activity_id=activity.id))


@bp.route("/activities/<int:activity_id>/copy", methods=["POST"])
@require("planning.edit")
def activity_copy(activity_id):
    """Copy an activity as the next class of a series."""
    activity = _activity_or_404(activity_id)
    form = CopyForm()
    if form.validate_on_submit():
        copy = form.submit(lambda: services.copy_activity(activity, form.start_date.data, current_user))
        if copy is not None:
            flash(_("Đã tạo bản sao; kiểm tra và sửa trước khi trình duyệt."), "success")
            return redirect(url_for("planning.activity_edit", activity_id=copy.id))
    for error in form.form_errors + form.start_date.errors:
        flash(error, "error")
    return redirect(url_for("planning.activity_detail", activity_id=activity.id))


# -- sessions, stops, members --------------------------------------------------------------------


def _session_choices(form: SessionForm) -> None:
    form.venue_id.choices = BLANK + [
        (v.id, v.label) for v in db.session.scalars(select(Venue).where(Venue.active.is_(True)).order_by(Venue.name))
    ]
    form.trainer_ids.choices = [
        (t.id, t.label)
        for t in db.session.scalars(select(Trainer).where(Trainer.active.is_(True)).order_by(Trainer.full_name))
    ]


@bp.route("/activities/<int:activity_id>/sessions/new", methods=["GET", "POST"])
@require("planning.edit")
def session_create(activity_id):
    """Add a session."""
    activity = _activity_or_404(activity_id)
    form = SessionForm()
    if request.method == "GET":
        form.day.data = activity.start_date
    return _edit_session(form, activity, None)


@bp.route("/activities/<int:activity_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@require("planning.edit")
def session_edit(activity_id, session_id):
    """Edit a session."""
    activity = _activity_or_404(activity_id)
    session = _child_or_404(ActivitySession, session_id, activity)
    form = SessionForm(obj=session)
    if request.method == "GET":
        form.day.data = session.starts_at.date()
        form.start_time.data, form.end_time.data = session.starts_at.time(), session.ends_at.time()
        form.trainer_ids.data = [t.id for t in session.trainers]
    return _edit_session(form, activity, session)


def _edit_session(form: SessionForm, activity: Activity, session: ActivitySession | None):
    _session_choices(form)
    if form.validate_on_submit():
        saved = form.submit(lambda: services.save_session(activity, session, form.to_data()))
        if saved is not None:
            flash(_("Đã lưu buổi “%(t)s”.", t=saved.title), "success")
            for warning in services.warnings_for(activity):
                flash(warning, "warning")
            if request.form.get("and_next"):
                return redirect(url_for("planning.session_create", activity_id=activity.id))
            return redirect(url_for("planning.activity_detail", activity_id=activity.id))
    return render_template("planning/session_form.html", form=form, activity=activity, session=session)


@bp.route("/activities/<int:activity_id>/sessions/<int:session_id>/delete", methods=["POST"])
@require("planning.edit")
def session_delete(activity_id, session_id):
    """Delete a session."""
    return _delete_child(activity_id, ActivitySession, session_id, services.delete_session, _("Đã xóa buổi học."))


@bp.route("/activities/<int:activity_id>/destinations/new", methods=["GET", "POST"])
@require("planning.edit")
def destination_create(activity_id):
    """Add a stop to a study tour."""
    activity = _activity_or_404(activity_id)
    form = DestinationForm()
    if request.method == "GET":
        form.start_date.data, form.end_date.data = activity.start_date, activity.end_date
    return _edit_destination(form, activity, None)


@bp.route("/activities/<int:activity_id>/destinations/<int:destination_id>/edit", methods=["GET", "POST"])
@require("planning.edit")
def destination_edit(activity_id, destination_id):
    """Edit a stop of a study tour."""
    activity = _activity_or_404(activity_id)
    stop = _child_or_404(Destination, destination_id, activity)
    return _edit_destination(DestinationForm(obj=stop), activity, stop)


def _edit_destination(form: DestinationForm, activity: Activity, stop: Destination | None):
    if form.validate_on_submit():
        data = {name: field.data for name, field in form._fields.items()}
        if form.submit(lambda: services.save_destination(activity, stop, data)) is not None:
            flash(_("Đã lưu điểm đến."), "success")
            return redirect(url_for("planning.activity_detail", activity_id=activity.id))
    return render_template("planning/destination_form.html", form=form, activity=activity, stop=stop)


@bp.route("/activities/<int:activity_id>/destinations/<int:destination_id>/delete", methods=["POST"])
@require("planning.edit")
def destination_delete(activity_id, destination_id):
    """Remove a stop from a study tour."""
    return _delete_child(activity_id, Destination, destination_id, services.delete_destination, _("Đã xóa điểm đến."))


@bp.route("/activities/<int:activity_id>/members", methods=["POST"])
@require("planning.edit")
def member_add(activity_id):
    """Add a member to a delegation or team."""
    activity = _activity_or_404(activity_id)
    form = _member_form([])
    try:
        role = MemberRole(form.role.data)
    except ValueError:
        role = MemberRole.member
    if form.validate_on_submit() and form.submit(
        lambda: services.add_member(activity, form.person_id.data, role, current_user)
    ):
        flash(_("Đã thêm thành viên."), "success")
    for error in form.form_errors + form.person_id.errors:
        flash(error, "error")
    return redirect(url_for("planning.activity_detail", activity_id=activity.id) + "#members")


@bp.route("/activities/<int:activity_id>/members/<int:member_id>/delete", methods=["POST"])
@require("planning.edit")
def member_remove(activity_id, member_id):
    """Remove a member from a delegation or team."""
    return _delete_child(
        activity_id,
        ActivityMember,
        member_id,
        services.remove_member,
        _("Đã bỏ thành viên khỏi đoàn."),
        anchor="#members",
    )


def _delete_child(activity_id, model, child_id, delete, done_message, anchor: str = ""):
    """Delete a session, stop or member of an activity in one transaction, then back to the activity."""
    activity = _activity_or_404(activity_id)
    child = _child_or_404(model, child_id, activity)
    form = BaseForm()
    if form.submit(lambda: delete(child) or True):
        flash(done_message, "success")
    form.flash_form_errors()
    return redirect(url_for("planning.activity_detail", activity_id=activity.id) + anchor)


# -- plans ------------------------------------------------------------------------------------------


@bp.route("/plans/")
@require("planning.view")
def plan_list():
    """List yearly plans."""
    plans = db.session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.id.desc())).all()
    return render_template("planning/plan_list.html", plans=plans)


@bp.route("/plans/<int:plan_id>")
@require("planning.view")
def plan_detail(plan_id):
    """A plan with its targets, progress and activities."""
    plan = db.session.get(Plan, plan_id) or abort(404)
    visible = [a for a in plan.activities if services.can_see(current_user, a)]
    return render_template(
        "planning/plan_detail.html",
        plan=plan,
        progress=services.plan_progress(plan, visible),
        trained=trained([a.id for a in visible if a.kind is ActivityKind.training]),
        activities=visible,
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@require("planning.edit")
def plan_create():
    """Create a yearly plan."""
    return _edit_plan(PlanForm(), None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@require("planning.edit")
def plan_edit(plan_id):
    """Edit a yearly plan."""
    plan = db.session.get(Plan, plan_id) or abort(404)
    return _edit_plan(PlanForm(obj=plan), plan)


def _edit_plan(form: PlanForm, plan: Plan | None):
    form.organisation_id.choices = BLANK + [
        (o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.code))
    ]
    form.signatory_id.choices = BLANK + [(s.id, s.label) for s in db.session.scalars(select(Signatory))]
    if form.validate_on_submit():
        saved = form.submit(lambda: services.save_plan(plan, form.to_data()))
        if saved is not None:
            flash(_("Đã lưu kế hoạch."), "success")
            return redirect(url_for("planning.plan_detail", plan_id=saved.id))
    return render_template("planning/plan_form.html", form=form, plan=plan)


# -- trainers and venues ----------------------------------------------------------------------------

RESOURCES = {
    "trainers": (Trainer, TrainerForm, Trainer.full_name),
    "venues": (Venue, VenueForm, Venue.name),
}


def _resource(kind):
    return RESOURCES.get(kind) or abort(404)


@bp.route("/resources/<kind>/")
@require("planning.view")
def resource_list(kind):
    """List trainers or venues."""
    model, _form, order = _resource(kind)
    rows = db.session.scalars(select(model).order_by(order)).all()
    return render_template("planning/resource_list.html", kind=kind, rows=rows)


@bp.route("/resources/<kind>/new", methods=["GET", "POST"])
@require("planning.resources")
def resource_create(kind):
    """Add a trainer or venue."""
    return _edit_resource(kind, None)


@bp.route("/resources/<kind>/<int:row_id>/edit", methods=["GET", "POST"])
@require("planning.resources")
def resource_edit(kind, row_id):
    """Edit a trainer or venue."""
    model, _form, _order = _resource(kind)
    return _edit_resource(kind, db.session.get(model, row_id) or abort(404))


def _edit_resource(kind, row):
    model, form_class, _order = _resource(kind)
    form = form_class(obj=row)
    if hasattr(form, "tier_id"):
        form.tier_id.choices = BLANK + [
            (t.id, t.label) for t in db.session.scalars(select(TrainerTier).order_by(TrainerTier.sort_order))
        ]
    if hasattr(form, "unit_id"):
        form.unit_id.choices = BLANK + unit_choices()
    if form.validate_on_submit():
        data = {name: field.data for name, field in form._fields.items() if name not in ("csrf_token", "next")}
        if form.submit(lambda: services.save_resource(model, row, data)) is not None:
            flash(_("Đã lưu."), "success")
            return redirect(url_for("planning.resource_list", kind=kind))
    return render_template("planning/resource_form.html", kind=kind, form=form, row=row)
