"""Plans and activities: validation, the approval workflow, sessions, study-tour stops,
delegations, warnings and copying. Views and the API call these; they never commit."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select

from app.audit import services as audit
from app.auth.models import Role
from app.budget import services as budget
from app.budget.models import Allocation, BudgetLine, FundingSource
from app.core.forms import FIRST_YEAR, LAST_YEAR
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.errors import ConflictError, DomainError, ValidationError
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.people.models import Person
from app.permissions import can, scope_unit_ids
from app.planning.models import (
    Activity,
    ActivityKind,
    ActivityMember,
    ActivitySession,
    ActivityStatus,
    ActivityTransition,
    Destination,
    DestinationScope,
    MemberRole,
    Plan,
    Trainer,
    Venue,
    activity_visited_units,
)
from app.reference.models import Organisation, ParticipantCategory, TrainingTopic

S = ActivityStatus
MAX_CAPACITY = 10_000
ACTIVITY_FIELDS = (
    "plan_id",
    "kind",
    "title",
    "description",
    "organiser_org_id",
    "unit_id",
    "target_levels",
    "start_date",
    "end_date",
    "venue_id",
    "venue_text",
    "destination_scope",
    "capacity",
    "budget_line_id",
    "funding_source_id",
    "estimated_cost",
    "itinerary",
    "transport",
    "lodging",
    "report",
    "findings",
    "recommendations",
)
TEXT_LIMITS = {
    "title": 300,
    "venue_text": 300,
    "transport": 300,
    "lodging": 300,
    "description": 5000,
    "itinerary": 5000,
    "report": 20000,
    "findings": 20000,
    "recommendations": 20000,
}

# Who may move an activity from one status to another, and whether they must say why.
TRANSITIONS: dict[tuple[S, S], tuple[frozenset, bool]] = {
    (S.draft, S.submitted): (frozenset({Role.organiser, Role.admin}), False),
    (S.submitted, S.draft): (frozenset({Role.organiser, Role.admin, Role.leader}), True),  # withdrawn / sent back
    (S.submitted, S.approved): (frozenset({Role.leader}), False),
    (S.approved, S.draft): (frozenset({Role.organiser, Role.admin}), True),  # withdrawn for changes
    (S.approved, S.open): (frozenset({Role.organiser, Role.admin}), False),
    (S.approved, S.in_progress): (frozenset({Role.organiser, Role.admin}), False),
    (S.open, S.in_progress): (frozenset({Role.organiser, Role.admin}), False),
    (S.in_progress, S.completed): (frozenset({Role.organiser, Role.admin}), False),
    (S.completed, S.settled): (frozenset({Role.finance}), False),
    **{
        (status, S.cancelled): (frozenset({Role.organiser, Role.admin, Role.leader}), True)
        for status in (S.draft, S.submitted, S.approved, S.open, S.in_progress)
    },
}
# From approval on, the plan is what the leader signed: only the record of what happened
# (these fields) may change; anything else needs the activity withdrawn to draft and approved again.
LOCKED = (S.approved, S.open, S.in_progress, S.completed)
FOLLOW_UP_FIELDS = ("description", "itinerary", "transport", "lodging", "report", "findings", "recommendations")
# Statuses whose estimate holds money of the budget line and funding source.
COMMITTING = (S.submitted, S.approved, S.open, S.in_progress, S.completed, S.settled)

# Hooks later domains fill, since planning must not import them:
# ESTIMATE_OWNERS: ``owner(activity) -> bool``, True when a detailed estimate (costs) sets the
# activity's estimated cost, so the planning form no longer changes it;
# SETTLE_CHECKS: ``check(activity)`` raising a DomainError while the activity may not be settled.
ESTIMATE_OWNERS: list = []
SETTLE_CHECKS: list = []


# -- who sees what ---------------------------------------------------------------------


def visible_condition(user):
    """District officers read activities held in their unit, visiting it, or for the whole province."""
    allowed = scope_unit_ids(user)
    if allowed is None:
        return None
    visits_unit = exists().where(
        activity_visited_units.c.activity_id == Activity.id, activity_visited_units.c.unit_id.in_(allowed)
    )
    return or_(Activity.unit_id.is_(None), Activity.unit_id.in_(allowed), visits_unit)


def can_see(user, activity: Activity) -> bool:
    condition = visible_condition(user)
    if condition is None:
        return True
    return bool(db.session.scalar(select(Activity.id).where(Activity.id == activity.id, condition)))


def get_visible_or_404(activity_id: int, user=None) -> Activity:
    """The activity, if the user may see it; anything else, existing or not, is the same 404."""
    from flask import abort
    from flask_login import current_user

    activity = db.session.get(Activity, activity_id)
    if activity is None or not can_see(user or current_user, activity):
        abort(404, description="out_of_scope" if activity is not None else None)
    return activity


@dataclass
class ActivityFilter:
    year: int | None = None
    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    unit_id: int | None = None
    budget_line_id: int | None = None
    funding_source_id: int | None = None
    topic_id: int | None = None
    q: str | None = None
    starts_before: date | None = None
    ends_after: date | None = None


def search(user, filters: ActivityFilter):
    """A select() of the activities the user may see, filtered, by start date."""
    query = select(Activity)
    if (condition := visible_condition(user)) is not None:
        query = query.where(condition)
    if filters.year:
        query = query.where(
            Activity.start_date >= date(filters.year, 1, 1), Activity.start_date <= date(filters.year, 12, 31)
        )
    for column, value in (
        (Activity.kind, filters.kind),
        (Activity.status, filters.status),
        (Activity.budget_line_id, filters.budget_line_id),
        (Activity.funding_source_id, filters.funding_source_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.unit_id:
        from app.geo.services import descendant_unit_ids

        query = query.where(Activity.unit_id.in_(descendant_unit_ids(filters.unit_id)))
    if filters.topic_id:
        query = query.where(Activity.topics.any(TrainingTopic.id == filters.topic_id))
    if filters.q:
        query = query.where(Activity.title.icontains(nfc(filters.q), autoescape=True))
    if filters.starts_before:
        query = query.where(Activity.start_date <= filters.starts_before)
    if filters.ends_after:
        query = query.where(Activity.end_date >= filters.ends_after)
    return query.order_by(Activity.start_date, Activity.id)


# -- activities ------------------------------------------------------------------------


def _exists(model, object_id) -> bool:
    return object_id is not None and db.session.get(model, object_id) is not None


def clean(data: dict) -> dict:
    """Check activity data (ids as ints, dates as ``date``).

    :raises ValidationError: with a message per faulty field.
    """
    errors: dict = {}
    out = {key: data.get(key) for key in ACTIVITY_FIELDS}
    for key, limit in TEXT_LIMITS.items():
        value = nfc(out.get(key)) if isinstance(out.get(key), str) else out.get(key)
        out[key] = value or None
        if value and len(value) > limit:
            errors[key] = _l("Tối đa %(n)s ký tự (đang có %(m)s).", n=limit, m=len(value))
    if not out["title"]:
        errors["title"] = _l("Nhập tên hoạt động.")
    try:
        out["kind"] = ActivityKind(out["kind"]) if out["kind"] is not None else None
    except ValueError:
        out["kind"] = None
    if out["kind"] is None:
        errors["kind"] = _l("Chọn loại hoạt động.")
    if not out["start_date"]:
        errors["start_date"] = _l("Nhập ngày bắt đầu.")
    if not out["end_date"]:
        errors["end_date"] = _l("Nhập ngày kết thúc.")
    elif out["start_date"] and out["end_date"] < out["start_date"]:
        errors["end_date"] = _l("Ngày kết thúc không được trước ngày bắt đầu.")
    capacity = out["capacity"]
    if capacity is None:
        errors["capacity"] = _l("Nhập số người dự kiến.")
    elif not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _l("Số người phải từ 1 đến %(n)s.", n=MAX_CAPACITY)
    cost = out["estimated_cost"]
    if cost is not None and (not isinstance(cost, int) or cost < 0):
        errors["estimated_cost"] = _l("Dự toán phải là số tiền không âm (đồng).")
    for key, model, message in (
        ("budget_line_id", BudgetLine, _l("Chọn một dòng ngân sách có trong danh mục.")),
        ("funding_source_id", FundingSource, _l("Chọn một nguồn kinh phí có trong danh mục.")),
    ):
        if not _exists(model, out[key]):
            errors[key] = message
    for key, model, message in (
        ("plan_id", Plan, _l("Kế hoạch không tồn tại.")),
        ("venue_id", Venue, _l("Địa điểm không tồn tại.")),
        ("organiser_org_id", Organisation, _l("Cơ quan không tồn tại.")),
        ("unit_id", AdminUnit, _l("Đơn vị hành chính không tồn tại.")),
    ):
        if out[key] is not None and not _exists(model, out[key]):
            errors[key] = message
    levels = out["target_levels"] or []
    if not isinstance(levels, list) or any(
        not isinstance(level, str) or level not in {lv.value for lv in UnitLevel} for level in levels
    ):
        levels = []
        errors["target_levels"] = _l("Cấp không hợp lệ.")
    out["target_levels"] = [lv.value for lv in UnitLevel if lv.value in levels]
    if out["start_date"] and not (FIRST_YEAR <= out["start_date"].year <= LAST_YEAR):
        errors["start_date"] = _l("Năm phải từ %(a)s đến %(b)s.", a=FIRST_YEAR, b=LAST_YEAR)
    if out["end_date"] and not (FIRST_YEAR <= out["end_date"].year <= LAST_YEAR):
        errors["end_date"] = _l("Năm phải từ %(a)s đến %(b)s.", a=FIRST_YEAR, b=LAST_YEAR)
    if out["kind"] is ActivityKind.study_tour:
        try:
            out["destination_scope"] = DestinationScope(out["destination_scope"])
        except ValueError:
            errors["destination_scope"] = _l("Đoàn học tập phải chọn trong tỉnh hay ngoài tỉnh.")
    else:
        out["destination_scope"] = None
    for key, model in (
        ("topic_ids", TrainingTopic),
        ("category_ids", ParticipantCategory),
        ("visited_unit_ids", AdminUnit),
    ):
        given = data.get(key) or []
        ids = [i for i in given if isinstance(i, int) and not isinstance(i, bool)] if isinstance(given, list) else []
        if isinstance(given, list) and len(ids) != len([i for i in given if i is not None]):
            errors[key] = _l("Có mục không có trong danh mục.")
        rows = db.session.scalars(select(model).where(model.id.in_(ids))).all() if ids else []
        if len(rows) != len(set(ids)):
            errors[key] = _l("Có mục không có trong danh mục.")
        out[key] = rows
    if errors:
        raise ValidationError("invalid_activity", _l("Thông tin hoạt động chưa hợp lệ."), errors)
    return out


def check_editable(activity: Activity) -> None:
    """Settled and cancelled activities keep what they were: nothing about them changes.

    :raises ConflictError: ``activity_frozen``.
    """
    if activity.is_frozen:
        raise ConflictError("activity_frozen", _l("Hoạt động đã quyết toán hoặc đã hủy: không sửa được nữa."))


def _check_plan_unchanged(activity: Activity, cleaned: dict, relations: dict) -> None:
    changed = [key for key in ACTIVITY_FIELDS if key not in FOLLOW_UP_FIELDS and getattr(activity, key) != cleaned[key]]
    for key, current in (
        ("topic_ids", activity.topics),
        ("category_ids", activity.categories),
        ("visited_unit_ids", activity.visited_units),
    ):
        if {x.id for x in current} != {x.id for x in relations[key]}:
            changed.append(key)
    if changed:
        message = _l(
            "Hoạt động đã được phê duyệt: chỉ cập nhật được phần kết quả. Muốn thay đổi kế hoạch, hãy rút "
            "về dự thảo (kèm lý do) rồi trình duyệt lại."
        )
        raise ConflictError(
            "activity_locked", message, {key: _l("Không sửa được sau khi đã phê duyệt.") for key in changed}
        )


def _check_children_within_dates(activity: Activity, cleaned: dict) -> None:
    first, last = cleaned["start_date"], cleaned["end_date"]
    outside = [s.title for s in activity.sessions if not first <= s.starts_at.date() <= last]
    outside += [d.place for d in activity.destinations if d.start_date < first or d.end_date > last]
    if outside:
        message = _l(
            "Các buổi hoặc điểm đến sau sẽ nằm ngoài thời gian mới: %(list)s. Sửa chúng trước.", list=", ".join(outside)
        )
        raise ValidationError("children_outside_dates", message, {"start_date": message})


def counted_estimate(activity: Activity | None) -> int:
    """The part of the activity's estimate the budget figures already count as committed."""
    if activity is None or activity.status not in COMMITTING:
        return 0
    return activity.estimated_cost or 0


def check_estimate_fits(activity: Activity | None, line_id: int, source_id: int, amount: int) -> list:
    """The budget line and funding source that ``amount`` as this activity's estimate would push past
    their allocation (``budget.Overrun`` rows; empty when it fits). Lowering an estimate always
    fits, even where the line is already over (finance overrode it, or the allocation was cut)."""
    counted = counted_estimate(activity)
    same_line = activity is not None and activity.budget_line_id == line_id
    same_source = activity is not None and activity.funding_source_id == source_id
    if same_line and same_source and amount <= (activity.estimated_cost or 0):
        return []
    return budget.overruns(
        line_id,
        source_id,
        line_delta=amount - (counted if same_line else 0),
        source_delta=amount - (counted if same_source else 0),
        measure="committed",
    )


def over_allocation_error(found: list, field: str) -> ValidationError:
    message = _l("Vượt phân bổ. %(details)s", details=" ".join(item.describe() for item in found))
    return ValidationError("over_allocation", message, {field: message})


def _check_estimate(activity: Activity | None, cleaned: dict) -> None:
    """A rough estimate typed in the plan must fit the allocation (only finance may override, on
    the detailed estimate), and once finance has a detailed estimate, that one decides."""
    new = cleaned.get("estimated_cost") or 0
    changed = activity is None or (
        new != (activity.estimated_cost or 0)
        or cleaned["budget_line_id"] != activity.budget_line_id
        or cleaned["funding_source_id"] != activity.funding_source_id
    )
    if not changed:
        return
    if activity is not None and new != (activity.estimated_cost or 0) and any(own(activity) for own in ESTIMATE_OWNERS):
        message = _l("Hoạt động đã có dự toán chi tiết do bộ phận tài chính lập: số dự toán lấy theo đó.")
        raise ValidationError("estimate_owned_by_finance", message, {"estimated_cost": message})
    found = check_estimate_fits(activity, cleaned["budget_line_id"], cleaned["funding_source_id"], new)
    if found:
        raise over_allocation_error(found, "estimated_cost")


def save_activity(activity: Activity | None, data: dict, user) -> Activity:
    """Create (as a draft) or update an activity.

    :raises ValidationError: bad data, or sessions and stops the new dates would leave outside.
    :raises ConflictError: ``activity_frozen`` (settled, cancelled), or ``activity_locked`` when a
        planned detail changes after approval (withdraw it to draft first).
    """
    if activity is not None:
        check_editable(activity)
    cleaned = clean(data)
    relations = {key: cleaned.pop(key) for key in ("topic_ids", "category_ids", "visited_unit_ids")}
    if activity is not None:
        if activity.status in LOCKED:
            _check_plan_unchanged(activity, cleaned, relations)
        _check_children_within_dates(activity, cleaned)
    _check_estimate(activity, cleaned)
    creator = getattr(user, "id", None)
    activity = audit.save_audited(
        activity, lambda: Activity(created_by_id=creator, status=S.draft), cleaned, ACTIVITY_FIELDS, "activity"
    )
    activity.topics = relations["topic_ids"]
    activity.categories = relations["category_ids"]
    activity.visited_units = relations["visited_unit_ids"]
    db.session.flush()
    return activity


def transition(activity: Activity, to_status: ActivityStatus, user, reason: str | None = None) -> Activity:
    """Move an activity one step along its workflow and record who, when and why.

    :raises ConflictError: ``transition_not_allowed`` from the current status.
    :raises DomainError: ``forbidden`` (403) for the wrong role; ``reason_required`` without a reason.
    """
    check_editable(activity)
    rule = TRANSITIONS.get((activity.status, to_status))
    if rule is None:
        raise ConflictError(
            "transition_not_allowed",
            _l("Không thể chuyển từ trạng thái “%(a)s” sang “%(b)s”.", a=activity.status.label, b=to_status.label),
        )
    roles, reason_required = rule
    if user.role not in roles:
        raise DomainError("forbidden", _l("Vai trò của bạn không thực hiện được bước này."), status=403)
    if to_status is S.settled:
        for check in SETTLE_CHECKS:
            check(activity)
    reason = nfc(reason) or None
    if reason_required and not reason:
        message = _l("Nhập lý do.")
        raise ValidationError("reason_required", message, {"reason": message})
    if reason and len(reason) > 2000:
        message = _l("Tối đa %(n)s ký tự (đang có %(m)s).", n=2000, m=len(reason))
        raise ValidationError("invalid_reason", message, {"reason": message})
    step = ActivityTransition(
        activity=activity, from_status=activity.status, to_status=to_status, actor_id=user.id, reason=reason
    )
    db.session.add(step)
    audit.record(
        "activity.status",
        activity,
        before={"status": activity.status.value},
        after={"status": to_status.value, "reason": reason},
    )
    activity.status = to_status
    db.session.flush()
    return activity


def allowed_transitions(activity: Activity, user) -> list[ActivityStatus]:
    """The steps this user may take now (for the buttons on the activity page)."""
    return [to for (frm, to), (roles, _) in TRANSITIONS.items() if frm is activity.status and user.role in roles]


def copy_activity(activity: Activity, start_date: date, user) -> Activity:
    """A new draft like ``activity`` starting on ``start_date``, with sessions, stops and
    trainers moved by the same number of days (the next class of a series)."""
    # The copy ends as many days after its start as the original: both must stay in range.
    last_year = (
        (start_date + (activity.end_date - activity.start_date)).year
        if start_date and start_date.year <= LAST_YEAR
        else None
    )
    if start_date is None or start_date.year < FIRST_YEAR or last_year is None or last_year > LAST_YEAR:
        message = _l("Nhập ngày bắt đầu trong khoảng năm %(a)s đến %(b)s.", a=FIRST_YEAR, b=LAST_YEAR)
        raise ValidationError("invalid_copy", message, {"start_date": message})
    shift = start_date - activity.start_date
    copy = Activity(
        **{key: getattr(activity, key) for key in ACTIVITY_FIELDS},
        status=S.draft,
        copied_from_id=activity.id,
        created_by_id=user.id,
    )
    copy.start_date, copy.end_date = activity.start_date + shift, activity.end_date + shift
    copy.report = copy.findings = copy.recommendations = None  # results belong to the original
    copy.topics, copy.categories, copy.visited_units = (
        list(activity.topics),
        list(activity.categories),
        list(activity.visited_units),
    )
    for session in activity.sessions:
        copy.sessions.append(
            ActivitySession(
                title=session.title,
                starts_at=session.starts_at + shift,
                ends_at=session.ends_at + shift,
                venue_id=session.venue_id,
                trainers=list(session.trainers),
            )
        )
    for stop in activity.destinations:
        copy.destinations.append(
            Destination(
                position=stop.position,
                place=stop.place,
                host=stop.host,
                in_province=stop.in_province,
                start_date=stop.start_date + shift,
                end_date=stop.end_date + shift,
                notes=stop.notes,
            )
        )
    db.session.add(copy)
    db.session.flush()
    audit.record("activity.copy", copy, after={"copied_from_id": activity.id, "start_date": start_date.isoformat()})
    return copy


# -- sessions, stops, members ------------------------------------------------------------


def save_session(activity: Activity, session: ActivitySession | None, data: dict) -> ActivitySession:
    """Add or change a session.

    :raises ValidationError: end not after start, outside the activity's dates, unknown venue or trainer.
    """
    check_editable(activity)
    errors = {}
    title = nfc(data.get("title")) or None
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if not title:
        errors["title"] = _l("Nhập tên buổi (ví dụ: Sáng 05/02).")
    elif len(title) > 300:
        errors["title"] = _l("Tối đa %(n)s ký tự (đang có %(m)s).", n=300, m=len(title))
    if starts is None:
        errors["starts_at"] = _l("Nhập thời gian bắt đầu.")
    if ends is None:
        errors["ends_at"] = _l("Nhập thời gian kết thúc.")
    if starts and ends and ends <= starts:
        errors["ends_at"] = _l("Giờ kết thúc phải sau giờ bắt đầu.")
    if starts and not activity.start_date <= starts.date() <= activity.end_date:
        errors["starts_at"] = _l(
            "Buổi học phải nằm trong thời gian của hoạt động (%(a)s - %(b)s).",
            a=activity.start_date.strftime("%d/%m/%Y"),
            b=activity.end_date.strftime("%d/%m/%Y"),
        )
    if ends and starts and ends.date() != starts.date():
        errors["ends_at"] = _l("Một buổi bắt đầu và kết thúc trong cùng một ngày.")
    if data.get("venue_id") is not None and not _exists(Venue, data["venue_id"]):
        errors["venue_id"] = _l("Địa điểm không tồn tại.")
    trainer_ids = [i for i in data.get("trainer_ids") or [] if i is not None]
    trainers = db.session.scalars(select(Trainer).where(Trainer.id.in_(trainer_ids))).all() if trainer_ids else []
    if len(trainers) != len(set(trainer_ids)):
        errors["trainer_ids"] = _l("Có giảng viên không có trong danh sách.")
    if errors:
        raise ValidationError("invalid_session", _l("Thông tin buổi học chưa hợp lệ."), errors)
    before = audit.snapshot(session, ("title", "starts_at", "ends_at", "venue_id")) if session else None
    if session is None:
        session = ActivitySession(activity=activity)
        db.session.add(session)
    session.title, session.starts_at, session.ends_at = title, starts, ends
    session.venue_id = data.get("venue_id")
    session.trainers = list(trainers)
    db.session.flush()
    audit.record(
        "session.create" if before is None else "session.update",
        session,
        before=before,
        after=audit.snapshot(session, ("title", "starts_at", "ends_at", "venue_id")),
    )
    return session


def delete_session(session: ActivitySession) -> None:
    """:raises ConflictError: people were recorded present at it (attendance is kept, not lost)."""
    from app.attendance.models import Attendance

    check_editable(session.activity)
    if db.session.scalar(select(Attendance.id).where(Attendance.session_id == session.id).limit(1)):
        raise ConflictError("has_attendance", _l("Buổi này đã có người điểm danh; không xóa được."))
    audit.record("session.delete", session, before=audit.snapshot(session, ("title", "starts_at", "ends_at")))
    db.session.delete(session)
    db.session.flush()


def save_destination(activity: Activity, stop: Destination | None, data: dict) -> Destination:
    """Add or change a stop of a study tour.

    :raises ValidationError: no place, dates in the wrong order or outside the tour.
    """
    check_editable(activity)
    errors = {}
    place = nfc(data.get("place")) or None
    if activity.kind is not ActivityKind.study_tour:
        errors["place"] = _l("Chỉ đoàn học tập kinh nghiệm mới có điểm đến.")
    if not place:
        errors["place"] = _l("Nhập nơi đến.")
    elif len(place) > 300:
        errors["place"] = _l("Tối đa %(n)s ký tự (đang có %(m)s).", n=300, m=len(place))
    first, last = data.get("start_date"), data.get("end_date")
    if first is None or last is None:
        errors["start_date"] = _l("Nhập ngày đến và ngày đi.")
    elif last < first:
        errors["end_date"] = _l("Ngày kết thúc không được trước ngày bắt đầu.")
    elif first < activity.start_date or last > activity.end_date:
        errors["start_date"] = _l("Ngày ở điểm đến phải nằm trong thời gian của chuyến đi.")
    if errors:
        raise ValidationError("invalid_destination", _l("Thông tin điểm đến chưa hợp lệ."), errors)
    values = {
        "place": place,
        "host": nfc(data.get("host")) or None,
        "in_province": bool(data.get("in_province")),
        "start_date": first,
        "end_date": last,
        "notes": nfc(data.get("notes")) or None,
        "position": data.get("position") or len(activity.destinations) + 1,
    }
    return audit.save_audited(stop, lambda: Destination(activity=activity), values, tuple(values), "destination")


def delete_destination(stop: Destination) -> None:
    check_editable(stop.activity)
    audit.record("destination.delete", stop, before={"place": stop.place})
    db.session.delete(stop)
    db.session.flush()


def add_member(activity: Activity, person_id: int, role: MemberRole, user) -> ActivityMember:
    """Put a person of the registry on a delegation or monitoring team; one leader at a time.

    :raises ValidationError: unknown person (or out of the user's reach), or already a member.
    """
    check_editable(activity)
    person = db.session.get(Person, person_id) if person_id else None
    if person is None or not can("people.view", person, user):
        raise ValidationError(
            "invalid_member",
            _l("Chọn một người trong danh sách."),
            {"person_id": _l("Chọn một người trong danh sách.")},
        )
    if any(m.person_id == person.id for m in activity.members):
        raise ValidationError(
            "duplicate_member", _l("Người này đã có trong đoàn."), {"person_id": _l("Người này đã có trong đoàn.")}
        )
    if role is MemberRole.leader:
        for member in activity.members:
            member.role = MemberRole.member
    member = ActivityMember(activity=activity, person=person, role=role)
    db.session.add(member)
    db.session.flush()
    audit.record("activity.member_add", activity, after={"person_id": person.id, "role": role.value})
    return member


def remove_member(member: ActivityMember) -> None:
    check_editable(member.activity)
    audit.record("activity.member_remove", member.activity, before={"person_id": member.person_id})
    db.session.delete(member)
    db.session.flush()


def save_resource(model, row, data: dict):
    """Create or update a trainer or a venue (plain data from their forms).

    :raises ValidationError: a phone number that is not Vietnamese, an unknown tier or unit.
    """
    from app.people.identity import InvalidValue, normalise_phone
    from app.planning.models import TrainerTier

    errors = {}
    values = {key: nfc(value) if isinstance(value, str) else value for key, value in data.items()}
    values = {key: (None if value == "" else value) for key, value in values.items()}
    if "phone" in values:
        try:
            values["phone"] = normalise_phone(values["phone"])
        except InvalidValue as problem:
            errors["phone"] = problem.message
    if values.get("tier_id") is not None and not _exists(TrainerTier, values["tier_id"]):
        errors["tier_id"] = _l("Mức giảng viên không có trong danh mục.")
    if values.get("unit_id") is not None and not _exists(AdminUnit, values["unit_id"]):
        errors["unit_id"] = _l("Đơn vị hành chính không tồn tại.")
    if errors:
        raise ValidationError("invalid_resource", _l("Thông tin chưa hợp lệ."), errors)
    return audit.save_audited(row, model, values, tuple(values), model.__tablename__)


# -- warnings ------------------------------------------------------------------------------


def _overlapping_sessions(session: ActivitySession):
    """Other sessions (of any activity, this one included) at the same time, not cancelled."""
    return (
        select(ActivitySession)
        .join(Activity)
        .where(
            ActivitySession.id != session.id,
            ActivitySession.starts_at < session.ends_at,
            ActivitySession.ends_at > session.starts_at,
            Activity.status != S.cancelled,
        )
    )


def warnings_for(activity: Activity) -> list:
    """What a planner should look at before going on: never blocking, never silent."""
    warnings = []
    for session in activity.sessions:
        for other in db.session.scalars(_overlapping_sessions(session)).all():
            shared = {t.id for t in session.trainers} & {t.id for t in other.trainers}
            for trainer in (t for t in session.trainers if t.id in shared):
                warnings.append(
                    _l(
                        "Giảng viên %(t)s đã có lịch ở “%(a)s” cùng giờ (%(s)s).",
                        t=trainer.full_name,
                        a=other.activity.title,
                        s=other.starts_at.strftime("%d/%m/%Y %H:%M"),
                    )
                )
            venue, other_venue = session.effective_venue, other.effective_venue
            if venue is not None and other_venue is not None and venue.id == other_venue.id:
                warnings.append(
                    _l(
                        "Địa điểm %(v)s đã có “%(a)s” cùng giờ (%(s)s).",
                        v=venue.name,
                        a=other.activity.title,
                        s=other.starts_at.strftime("%d/%m/%Y %H:%M"),
                    )
                )
        if session.venue is not None and session.venue.capacity and activity.capacity > session.venue.capacity:
            warnings.append(
                _l(
                    "Số người dự kiến (%(n)s) vượt sức chứa của %(v)s (%(c)s chỗ).",
                    n=activity.capacity,
                    v=session.venue.name,
                    c=session.venue.capacity,
                )
            )
    if activity.venue is not None and not activity.sessions:
        same_place = db.session.scalars(
            select(Activity).where(
                Activity.id != activity.id,
                Activity.venue_id == activity.venue_id,
                Activity.status != S.cancelled,
                Activity.start_date <= activity.end_date,
                Activity.end_date >= activity.start_date,
            )
        ).all()
        for other in same_place:
            warnings.append(
                _l(
                    "Địa điểm %(v)s đã có “%(a)s” trong cùng thời gian (%(s)s).",
                    v=activity.venue.name,
                    a=other.title,
                    s=other.start_date.strftime("%d/%m/%Y"),
                )
            )
    venue = activity.venue
    if venue is not None and venue.capacity and activity.capacity > venue.capacity:
        warnings.append(
            _l(
                "Số người dự kiến (%(n)s) vượt sức chứa của %(v)s (%(c)s chỗ).",
                n=activity.capacity,
                v=venue.name,
                c=venue.capacity,
            )
        )
    if activity.plan is not None and not (activity.start_date.year == activity.end_date.year == activity.plan.year):
        warnings.append(_l("Thời gian của hoạt động nằm ngoài năm của kế hoạch (%(y)s).", y=activity.plan.year))
    source = activity.funding_source
    if source is not None and source.deadline and activity.end_date > source.deadline:
        warnings.append(
            _l(
                "Hoạt động kết thúc sau hạn sử dụng của nguồn “%(s)s” (%(d)s).",
                s=source.name,
                d=source.deadline.strftime("%d/%m/%Y"),
            )
        )
    line = activity.budget_line
    if line is not None and source is not None:
        if line.year != source.year:
            warnings.append(
                _l("Dòng ngân sách (năm %(a)s) và nguồn kinh phí (năm %(b)s) khác năm.", a=line.year, b=source.year)
            )
        elif not db.session.scalar(
            select(Allocation.id).where(Allocation.budget_line_id == line.id, Allocation.funding_source_id == source.id)
        ):
            warnings.append(_l("Nguồn “%(s)s” chưa phân bổ cho dòng “%(l)s”.", s=source.name, l=line.code))
    unique = {}
    for warning in warnings:  # two sessions clashing with each other would say it twice
        unique.setdefault(str(warning), warning)
    return list(unique.values())


# -- plans -----------------------------------------------------------------------------------

PLAN_FIELDS = (
    "year",
    "number",
    "issued_on",
    "title",
    "organisation_id",
    "signatory_id",
    "target_classes",
    "target_trainees",
    "target_study_tours",
    "target_women_percent",
)


def save_plan(plan: Plan | None, data: dict) -> Plan:
    """Create or update a yearly plan.

    :raises ValidationError: a year out of range, negative targets, a share of women above 100.
    """
    errors = {}
    values = {key: data.get(key) for key in PLAN_FIELDS}
    values["title"] = nfc(values["title"]) or None
    values["number"] = nfc(values["number"]) or None
    if not values["title"]:
        errors["title"] = _l("Nhập tên kế hoạch.")
    if not values["year"] or not 2000 <= values["year"] <= 2100:
        errors["year"] = _l("Năm không hợp lệ.")
    for key in ("target_classes", "target_trainees", "target_study_tours"):
        if values[key] is not None and values[key] < 0:
            errors[key] = _l("Chỉ tiêu không được âm.")
    if values["target_women_percent"] is not None and not 0 <= values["target_women_percent"] <= 100:
        errors["target_women_percent"] = _l("Tỷ lệ phải từ 0 đến 100.")
    if errors:
        raise ValidationError("invalid_plan", _l("Thông tin kế hoạch chưa hợp lệ."), errors)
    return audit.save_audited(plan, Plan, values, PLAN_FIELDS, "plan")


@dataclass
class Progress:
    label: object
    target: int | None
    planned: int
    done: int


def plan_progress(plan: Plan, activities: list[Activity] | None = None) -> list[Progress]:
    """Targets against the plan's activities (or those given: what a district officer may see):
    planned (not cancelled) and done (completed or settled).

    Trainees are planned by seats and done by attendance (each person once per activity).
    """
    from app.attendance.reports import trained

    live = [a for a in (plan.activities if activities is None else activities) if a.status is not S.cancelled]
    done = [a for a in live if a.status in (S.completed, S.settled)]
    attended = trained([a.id for a in live if a.kind is ActivityKind.training])

    def count(items, kind):
        return sum(1 for a in items if a.kind is kind)

    return [
        Progress(
            _l("Lớp tập huấn, bồi dưỡng"),
            plan.target_classes,
            count(live, ActivityKind.training),
            count(done, ActivityKind.training),
        ),
        Progress(
            _l("Lượt học viên (kế hoạch theo số chỗ, đã xong theo điểm danh)"),
            plan.target_trainees,
            sum(a.capacity for a in live if a.kind is ActivityKind.training),
            attended.person_times,
        ),
        Progress(
            _l("Đoàn học tập kinh nghiệm"),
            plan.target_study_tours,
            count(live, ActivityKind.study_tour),
            count(done, ActivityKind.study_tour),
        ),
    ]


# -- money committed, for the budget figures --------------------------------------------------


def committed_by_line_and_source(year: int) -> tuple[dict[int, int], dict[int, int]]:
    """Estimated costs of the year's activities that hold money (submitted onward)."""
    by_line = dict(
        db.session.execute(
            select(Activity.budget_line_id, func.coalesce(func.sum(Activity.estimated_cost), 0))
            .join(BudgetLine, BudgetLine.id == Activity.budget_line_id)
            .where(Activity.status.in_(COMMITTING), BudgetLine.year == year)
            .group_by(Activity.budget_line_id)
        ).all()
    )
    by_source = dict(
        db.session.execute(
            select(Activity.funding_source_id, func.coalesce(func.sum(Activity.estimated_cost), 0))
            .join(FundingSource, FundingSource.id == Activity.funding_source_id)
            .where(Activity.status.in_(COMMITTING), FundingSource.year == year)
            .group_by(Activity.funding_source_id)
        ).all()
    )
    return {k: int(v) for k, v in by_line.items()}, {k: int(v) for k, v in by_source.items()}


budget.COMMITMENT_PROVIDERS.append(committed_by_line_and_source)


def sessions_between(user, first: date, last: date):
    """Sessions of visible, not cancelled activities between two dates (for the calendar)."""
    query = (
        select(ActivitySession)
        .join(Activity)
        .where(
            ActivitySession.starts_at >= datetime.combine(first, datetime.min.time()),
            ActivitySession.starts_at < datetime.combine(last + timedelta(days=1), datetime.min.time()),
            Activity.status != S.cancelled,
        )
    )
    if (condition := visible_condition(user)) is not None:
        query = query.where(condition)
    return db.session.scalars(query.order_by(ActivitySession.starts_at)).all()
