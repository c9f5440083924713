"""JSON API v1: funding sources, budget lines, activities, sessions and the workflow."""

from datetime import datetime

from flask import abort, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from app.api.blueprint import body_json, bp, iso_date, paginate
from app.budget import services as budget
from app.core.formats import VIETNAM
from app.core.forms import MAX_ID, int_or_none, year_or_none
from app.core.i18n import lazy_gettext as _l
from app.errors import DomainError, ValidationError
from app.extensions import db
from app.permissions import can, require
from app.planning import services as planning
from app.planning.models import Activity, ActivityKind, ActivitySession, ActivityStatus
from app.planning.services import ActivityFilter
from app.reference.models import ParticipantCategory, TrainingTopic

ACTIVITY_TEXT = (
    "kind",
    "title",
    "description",
    "venue_text",
    "destination_scope",
    "itinerary",
    "transport",
    "lodging",
    "report",
    "findings",
    "recommendations",
)
ACTIVITY_IDS = ("plan_id", "venue_id", "unit_id", "organiser_org_id", "budget_line_id", "funding_source_id")


def _year_arg() -> int | None:
    value = request.args.get("year", "")
    if value and year_or_none(value) is None:
        raise ValidationError("invalid_filter", _l("Tham số lọc không hợp lệ."), {"year": _l("Năm không hợp lệ.")})
    return year_or_none(value)


def _local_iso(value: datetime) -> str:
    """Session times are Vietnam wall-clock times; the API gives them with their offset."""
    return value.replace(tzinfo=VIETNAM).isoformat()


def _parse_datetime(value, field, errors):
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        errors[field] = _l("Thời gian phải theo dạng ISO 8601, ví dụ 2023-05-10T07:30:00+07:00.")
        return None
    return parsed.astimezone(VIETNAM).replace(tzinfo=None) if parsed.tzinfo else parsed


# -- budget -------------------------------------------------------------------------------------


def _source(source) -> dict:
    return {
        "id": source.id,
        "code": source.code,
        "name": source.name,
        "year": source.year,
        "amount": source.amount,
        "carried_over_from": source.carried_over_from,
        "legal_basis": source.legal_basis,
        "deadline": source.deadline.isoformat() if source.deadline else None,
    }


def _money(figures) -> dict:
    """Allocated and committed for everyone who reads the budget; what was spent only for those
    who read the costs (district officers see none of it)."""
    shows_spending = can("costs.spending")
    return {
        "allocated": figures.allocated if figures else 0,
        "committed": figures.committed if figures else 0,
        "spent": (figures.spent if figures else 0) if shows_spending else None,
        "remaining": (figures.remaining if figures else 0) if shows_spending else None,
        "disbursement_rate": figures.disbursement_rate if figures and shows_spending else None,
    }


@bp.route("/funding-sources")
@require("budget.view")
def funding_source_list():
    """Funding sources, per year; carried-over money is its own source."""
    year = _year_arg()
    figures = {}
    for each_year in [year] if year else budget.years():
        figures.update({f.source.id: f for f in budget.source_figures(each_year)})
    return paginate(
        budget.sources_query(year), lambda s: {**_source(s), **_money(figures.get(s.id))}, default_per_page=200
    )


@bp.route("/budget-lines")
@require("budget.view")
def budget_line_list():
    """Budget lines with the money allocated to them, committed by activities, and spent."""
    year = _year_arg()
    figures = {}
    for each_year in [year] if year else budget.years():
        figures.update({f.line.id: f for f in budget.line_figures(each_year)})

    def line(item) -> dict:
        money = figures.get(item.id)
        return {
            "id": item.id,
            "code": item.code,
            "name": item.name,
            "parent_id": item.parent_id,
            "year": item.year,
            "kind": item.kind.value,
            **_money(money),
        }

    return paginate(budget.lines_query(year), line, default_per_page=200)


# -- activities -------------------------------------------------------------------------------------


def _activity(activity: Activity) -> dict:
    return {
        "id": activity.id,
        "kind": activity.kind.value,
        "title": activity.title,
        "status": activity.status.value,
        "topic_codes": [t.code for t in activity.topics],
        "category_codes": [c.code for c in activity.categories],
        "target_levels": activity.target_levels,
        "start_date": activity.start_date.isoformat(),
        "end_date": activity.end_date.isoformat(),
        "venue": activity.venue.name if activity.venue else activity.venue_text,
        "venue_id": activity.venue_id,
        "destination_scope": activity.destination_scope.value if activity.destination_scope else None,
        "capacity": activity.capacity,
        "budget_line_id": activity.budget_line_id,
        "funding_source_id": activity.funding_source_id,
        "estimated_cost": activity.estimated_cost,
        "plan_id": activity.plan_id,
        "unit_id": activity.unit_id,
        "organiser_org_id": activity.organiser_org_id,
        "venue_text": activity.venue_text,
        "description": activity.description,
        "itinerary": activity.itinerary,
        "transport": activity.transport,
        "lodging": activity.lodging,
        "report": activity.report,
        "findings": activity.findings,
        "recommendations": activity.recommendations,
        "visited_unit_ids": [u.id for u in activity.visited_units],
        "members": [
            {"person_id": m.person_id, "role": m.role.value} for m in activity.members if can("people.view", m.person)
        ],
        "destinations": [
            {
                "place": d.place,
                "host": d.host,
                "in_province": d.in_province,
                "start_date": d.start_date.isoformat(),
                "end_date": d.end_date.isoformat(),
            }
            for d in activity.destinations
        ],
        "warnings": [str(w) for w in planning.warnings_for(activity)],
    }


def _session(session: ActivitySession) -> dict:
    return {
        "id": session.id,
        "activity_id": session.activity_id,
        "title": session.title,
        "starts_at": _local_iso(session.starts_at),
        "ends_at": _local_iso(session.ends_at),
        "venue_id": session.venue_id,
        "trainer_ids": [t.id for t in session.trainers],
    }


def _visible_activity_or_404(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None or not planning.can_see(current_user, activity):
        abort(404, description="out_of_scope" if activity is not None else None)
    return activity


@bp.route("/activities")
@require("planning.view")
def activity_list():
    """Activities the caller may see, filtered by year, kind, status, unit, budget line and topic."""
    errors = {}

    def enum_arg(enum_type, name):
        value = request.args.get(name)
        if not value:
            return None
        try:
            return enum_type(value)
        except ValueError:
            errors[name] = _l("Giá trị không hợp lệ.")
            return None

    def int_arg(name):
        value = request.args.get(name, "")
        if value and int_or_none(value) is None:
            errors[name] = _l("Giá trị phải là số nguyên.")
        return int_or_none(value)

    topic = request.args.get("topic")
    topic_id = db.session.scalar(select(TrainingTopic.id).where(TrainingTopic.code == topic)) if topic else None
    if topic and topic_id is None:
        errors["topic"] = _l("Mã chuyên đề không có trong danh mục.")
    filters = ActivityFilter(
        year=_year_arg(),
        kind=enum_arg(ActivityKind, "kind"),
        status=enum_arg(ActivityStatus, "status"),
        unit_id=int_arg("unit_id"),
        budget_line_id=int_arg("budget_line_id"),
        topic_id=topic_id,
    )
    if errors:
        raise ValidationError("invalid_filter", _l("Tham số lọc không hợp lệ."), errors)
    return paginate(planning.search(current_user, filters), _activity)


@bp.route("/activities/<int:activity_id>")
@require("planning.view")
def activity_get(activity_id):
    """One activity, with its warnings."""
    return jsonify(_activity(_visible_activity_or_404(activity_id)))


@bp.route("/activities", methods=["POST"])
@require("planning.edit")
def activity_create():
    """Plan an activity (a draft)."""
    return _save_activity(None, body_json())


@bp.route("/activities/<int:activity_id>", methods=["PATCH"])
@require("planning.edit")
def activity_update(activity_id):
    """Change some fields of an activity."""
    return _save_activity(_visible_activity_or_404(activity_id), body_json())


def _int_value(value, maximum: int = MAX_ID) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= maximum


def _save_activity(activity: Activity | None, body: dict):
    data, errors = _activity_data(body, activity)
    if errors:
        # Report every faulty field at once: the service checks what could be read.
        try:
            planning.clean(data)
        except ValidationError as error:
            errors = {**_api_fields(error.fields), **errors}
        raise ValidationError("invalid_activity", _l("Thông tin hoạt động chưa hợp lệ."), errors)
    try:
        saved = planning.save_activity(activity, data, current_user)
    except DomainError as error:
        db.session.rollback()
        error.fields = _api_fields(error.fields)
        raise
    db.session.commit()
    return jsonify(_activity(saved)), 201 if activity is None else 200


def _api_fields(fields: dict) -> dict:
    return {API_FIELD_NAMES.get(k, k): v for k, v in fields.items()}


def _activity_data(body: dict, activity: Activity | None) -> tuple[dict, dict]:
    """The service's plain data from an API body (PATCH keeps what the body leaves out)."""
    errors: dict = {}
    data = _current_activity_data(activity)
    if "venue" in body:  # the contract's name for the free-text venue
        body = {**body, "venue_text": body["venue"]}
    for key in ACTIVITY_TEXT:
        if key in body:
            if body[key] is not None and not isinstance(body[key], str):
                errors[key] = _l("Giá trị phải là chuỗi ký tự.")
            else:
                data[key] = body[key]
    for key, maximum in (*((k, MAX_ID) for k in ACTIVITY_IDS), ("capacity", MAX_ID), ("estimated_cost", 10**15)):
        if key in body:
            if body[key] is not None and not _int_value(body[key], maximum):
                errors[key] = _l("Giá trị phải là số nguyên không âm.")
            else:
                data[key] = body[key]
    for key in ("start_date", "end_date"):
        if key in body:
            data[key] = iso_date(body[key], key, errors)
    if "target_levels" in body:
        levels = body["target_levels"]
        if not isinstance(levels, list) or not all(isinstance(level, str) for level in levels):
            errors["target_levels"] = _l("Phải là danh sách các cấp.")
        else:
            data["target_levels"] = levels
    if "visited_unit_ids" in body:
        ids = body["visited_unit_ids"]
        if not isinstance(ids, list) or not all(_int_value(i) for i in ids):
            errors["visited_unit_ids"] = _l("Phải là danh sách mã số đơn vị.")
        else:
            data["visited_unit_ids"] = ids
    for key, model, field in (
        ("topic_codes", TrainingTopic, "topic_ids"),
        ("category_codes", ParticipantCategory, "category_ids"),
    ):
        if key in body:
            codes = body[key]
            if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
                errors[key] = _l("Phải là danh sách mã.")
                continue
            found = dict(db.session.execute(select(model.code, model.id).where(model.code.in_(codes))).all())
            if len(found) != len(set(codes)):
                errors[key] = _l("Có mã không có trong danh mục.")
            data[field] = list(found.values())
    return data, errors


API_FIELD_NAMES = {"topic_ids": "topic_codes", "category_ids": "category_codes", "venue_text": "venue"}


def _current_activity_data(activity: Activity | None) -> dict:
    if activity is None:
        return {}
    data = {key: getattr(activity, key) for key in planning.ACTIVITY_FIELDS}
    data["kind"] = activity.kind.value
    data["destination_scope"] = activity.destination_scope.value if activity.destination_scope else None
    data["topic_ids"] = [t.id for t in activity.topics]
    data["category_ids"] = [c.id for c in activity.categories]
    data["visited_unit_ids"] = [u.id for u in activity.visited_units]
    return data


@bp.route("/activities/<int:activity_id>/status", methods=["POST"])
@require("planning.transition")
def activity_transition(activity_id):
    """One workflow step: 409 when not allowed from the current status, 403 for the wrong role."""
    activity = _visible_activity_or_404(activity_id)
    body = body_json()
    try:
        to_status = ActivityStatus(body.get("status"))
    except ValueError:
        raise ValidationError(
            "invalid_status", _l("Trạng thái không hợp lệ."), {"status": _l("Trạng thái không hợp lệ.")}
        ) from None
    reason = body.get("reason")
    planning.transition(activity, to_status, current_user, reason if isinstance(reason, str) else None)
    db.session.commit()
    return jsonify(_activity(activity))


@bp.route("/activities/<int:activity_id>/sessions")
@require("planning.view")
def session_list(activity_id):
    """The sessions of an activity."""
    activity = _visible_activity_or_404(activity_id)
    query = (
        select(ActivitySession).where(ActivitySession.activity_id == activity.id).order_by(ActivitySession.starts_at)
    )
    return paginate(query, _session, default_per_page=200)


@bp.route("/activities/<int:activity_id>/sessions", methods=["POST"])
@require("planning.edit")
def session_create(activity_id):
    """Add a session; times in ISO 8601 (an offset is converted to Vietnam time)."""
    activity = _visible_activity_or_404(activity_id)
    body = body_json()
    errors: dict = {}
    data = {
        "title": body.get("title") if isinstance(body.get("title"), str) else None,
        "starts_at": _parse_datetime(body.get("starts_at"), "starts_at", errors),
        "ends_at": _parse_datetime(body.get("ends_at"), "ends_at", errors),
        "venue_id": body.get("venue_id"),
        "trainer_ids": body.get("trainer_ids") or [],
    }
    if data["venue_id"] is not None and not _int_value(data["venue_id"]):
        errors["venue_id"] = _l("Giá trị phải là số nguyên không âm.")
    if not isinstance(data["trainer_ids"], list) or not all(_int_value(i) for i in data["trainer_ids"]):
        errors["trainer_ids"] = _l("Phải là danh sách mã số giảng viên.")
    if errors:
        raise ValidationError("invalid_session", _l("Thông tin buổi học chưa hợp lệ."), errors)
    session = planning.save_session(activity, None, data)
    db.session.commit()
    return jsonify(_session(session)), 201
