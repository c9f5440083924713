"""Estimates (dự toán): built from an activity's plan and the norms in force on its days, then
edited line by line by finance, and refused when they would push the budget line or the
funding source past its allocation unless finance records an override with a reason.

The estimate's total is written to ``Activity.estimated_cost``: the budget figures read it there.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from app.audit import services as audit
from app.core.formats import date_vn
from app.core.i18n import lazy_gettext as _l
from app.core.text import nfc
from app.core.time import utcnow
from app.costs.models import Estimate, EstimateLine, Place, SpendingNorm
from app.costs.services import norm_on
from app.errors import ValidationError
from app.extensions import db
from app.geo.models import UnitLevel
from app.people.models import Person
from app.planning import services as planning
from app.planning.models import Activity, ActivityKind, ActivityMember
from app.reference.models import ParticipantCategory
from app.registration.models import Enrolment, EnrolmentStatus

# Kinds whose money goes on travelling people (per diem, lodging) rather than on running a class.
TRAVELLING = (ActivityKind.study_tour, ActivityKind.central_training, ActivityKind.monitoring)
MAX_QUANTITY = 1_000_000
MAX_UNIT_AMOUNT = 100_000_000_000


@dataclass
class Draft:
    """A line worked out from the plan, before it is saved."""

    norm: SpendingNorm
    description: str
    quantity: int

    @property
    def amount(self) -> int:
        return self.quantity * self.norm.amount


@dataclass
class Built:
    lines: list[Draft] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def estimate_of(activity: Activity) -> Estimate | None:
    return db.session.scalar(select(Estimate).where(Estimate.activity_id == activity.id))


def has_estimate(activity: Activity) -> bool:
    return activity.id is not None and estimate_of(activity) is not None


def default_place(activity: Activity) -> Place:
    """A class a commune runs is paid at the commune rate; anything else at the provincial one."""
    return Place.commune if activity.unit is not None and activity.unit.level is UnitLevel.commune else Place.province


def plan_days(activity: Activity) -> list[date]:
    """The days with sessions, or every day of the activity while it has none."""
    days = sorted({s.starts_at.date() for s in activity.sessions})
    return days or [activity.start_date + timedelta(days=n) for n in range(activity.days)]


def headcount(activity: Activity) -> tuple[int, int]:
    """(learners not on a state payroll, all learners): from the registered people once there are
    any, else the planned capacity, counted as not on a payroll (grassroots cadres mostly are not)."""
    if activity.kind in TRAVELLING:
        members = db.session.scalar(
            select(func.count(ActivityMember.id)).where(ActivityMember.activity_id == activity.id)
        )
        people = members or activity.capacity
        return people, people
    rows = db.session.execute(
        select(ParticipantCategory.on_state_payroll, func.count(Enrolment.id))
        .join(Person, Person.id == Enrolment.person_id)
        .outerjoin(ParticipantCategory, ParticipantCategory.id == Person.category_id)
        .where(Enrolment.activity_id == activity.id, Enrolment.status == EnrolmentStatus.registered)
        .group_by(ParticipantCategory.on_state_payroll)
    ).all()
    if not rows:
        return activity.capacity, activity.capacity
    everyone = sum(count for _, count in rows)
    return everyone - sum(count for paid, count in rows if paid), everyone


def _span(days: list[date]) -> str:
    return date_vn(days[0]) if len(days) == 1 else f"{date_vn(days[0])}–{date_vn(days[-1])}"


def _per_day(built: Built, code: str, variant: str, days: list[date], per_day: int, what: str) -> None:
    """One line per norm in force over ``days``: an activity straddling a new circular gets a line
    at each rate, each for the days it covers."""
    if per_day <= 0:
        return
    groups: OrderedDict[int, tuple[SpendingNorm, list[date]]] = OrderedDict()
    for day in days:
        norm = norm_on(code, day, variant)
        if norm is None:
            built.warnings.append(str(_l("Không có định mức “%(c)s” áp dụng ngày %(d)s.", c=code, d=date_vn(day))))
            continue
        groups.setdefault(norm.id, (norm, []))[1].append(day)
    for norm, covered in groups.values():
        description = f"{norm.name} — {what} × {len(covered)} ngày ({_span(covered)})"
        built.lines.append(Draft(norm, description, per_day * len(covered)))


def _once(built: Built, code: str, day: date, quantity: int, what: str) -> None:
    """A line priced once for the activity (materials per learner, a banner), if the norm exists."""
    norm = norm_on(code, day)
    if norm is not None and quantity > 0:
        built.lines.append(Draft(norm, f"{norm.name} — {what}", quantity))


def _lecturer_fees(built: Built, activity: Activity) -> None:
    taught: OrderedDict[int, tuple[SpendingNorm, int]] = OrderedDict()
    for session in activity.sessions:
        for trainer in session.trainers:
            if trainer.tier is None:
                built.warnings.append(str(_l("Giảng viên %(n)s chưa có hạng: chưa tính thù lao.", n=trainer.full_name)))
                continue
            norm = norm_on("lecturer_fee", session.starts_at.date(), trainer.tier.code)
            if norm is None:
                built.warnings.append(str(_l("Không có định mức thù lao cho hạng %(t)s.", t=trainer.tier.code)))
                continue
            norm_row, count = taught.get(norm.id, (norm, 0))
            taught[norm.id] = (norm_row, count + 1)
    for norm, count in taught.values():
        built.lines.append(Draft(norm, f"{norm.name} — {count} buổi", count))


def build(activity: Activity, place: Place) -> Built:
    """The lines an estimate starts from: what the plan says times the norm of each day.

    Line descriptions are stored and printed, so they are Vietnamese whatever the interface
    language; only the warnings follow it."""
    built = Built()
    days = plan_days(activity)
    first = days[0]
    not_paid, learners = headcount(activity)
    _lecturer_fees(built, activity)
    if activity.kind in TRAVELLING:
        who = f"{learners} người"
        _per_day(built, "per_diem", "", days, learners, who)
        _per_day(built, "lodging", "other", days[:-1], learners, who)  # nights: one fewer than days
        if activity.kind is ActivityKind.study_tour:
            _per_day(built, "vehicle_hire", "", days, 1, "1 xe")
        return built
    _per_day(
        built,
        "meal_support",
        f"not_on_payroll/{place.value}",
        days,
        not_paid,
        f"{not_paid} học viên không hưởng lương",
    )
    _per_day(built, "drinking_water", "", days, learners, f"{learners} đại biểu")
    _per_day(built, "hall_rental", "", days, 1, "1 hội trường")
    _once(built, "materials", first, learners, f"{learners} bộ")
    _once(built, "banner", first, 1, "1 cái")
    if activity.kind is ActivityKind.training:
        _once(built, "certificate_printing", first, learners, f"{learners} giấy")
    return built


# -- saving ------------------------------------------------------------------------------------


def _ensure(activity: Activity, user) -> Estimate:
    estimate = estimate_of(activity)
    if estimate is None:
        estimate = Estimate(activity_id=activity.id, place=default_place(activity), updated_by_id=user.id)
        db.session.add(estimate)
        db.session.flush()
    return estimate


def rebuild(activity: Activity, place: Place, user, override_reason: str | None = None) -> tuple[Estimate, list[str]]:
    """Replace the estimate's lines by those worked out from the plan and today's norms.

    :raises ConflictError: ``activity_frozen``.
    :raises ValidationError: ``over_allocation`` without an override reason.
    """
    planning.check_editable(activity)
    built = build(activity, place)
    estimate = _ensure(activity, user)
    estimate.place = place
    estimate.lines.clear()
    db.session.flush()
    for position, draft in enumerate(built.lines, start=1):
        estimate.lines.append(
            EstimateLine(
                position=position * 10,
                norm_code=draft.norm.code,
                norm_id=draft.norm.id,
                description=draft.description[:300],
                unit=draft.norm.unit,
                quantity=draft.quantity,
                unit_amount=draft.norm.amount,
                amount=draft.amount,
            )
        )
    _apply_total(activity, estimate, user, override_reason, "estimate.rebuild")
    return estimate, built.warnings


def _clean_line(data: dict, norm: SpendingNorm | None) -> dict:
    errors = {}
    description = nfc(data.get("description")) or ""
    unit = nfc(data.get("unit")) or ""
    quantity, unit_amount = data.get("quantity"), data.get("unit_amount")
    if not description or len(description) > 300:
        errors["description"] = _l("Nhập nội dung chi (tối đa 300 ký tự).")
    if not unit or len(unit) > 40:
        errors["unit"] = _l("Nhập đơn vị tính (tối đa 40 ký tự).")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = _l("Số lượng là số nguyên từ 0 đến %(n)s.", n=f"{MAX_QUANTITY:,}".replace(",", "."))
    if not isinstance(unit_amount, int) or isinstance(unit_amount, bool) or not 0 <= unit_amount <= MAX_UNIT_AMOUNT:
        errors["unit_amount"] = _l("Đơn giá là số đồng nguyên, không âm.")
    elif norm is not None and norm.is_ceiling and unit_amount > norm.amount:
        errors["unit_amount"] = _l(
            "Đơn giá vượt mức tối đa %(m)s đ của định mức (%(b)s).",
            m=f"{norm.amount:,}".replace(",", "."),
            b=norm.legal_basis,
        )
    if errors:
        raise ValidationError("invalid_estimate_line", _l("Kiểm tra lại các trường được đánh dấu."), errors)
    return {
        "description": description,
        "unit": unit,
        "quantity": quantity,
        "unit_amount": unit_amount,
        "amount": quantity * unit_amount,
    }


def save_line(
    activity: Activity, line: EstimateLine | None, data: dict, user, override_reason: str | None = None
) -> EstimateLine:
    """Add a line typed by finance (``line`` None) or change one: description, unit, quantity, rate.
    A rate above a ceiling norm is refused.

    :raises ConflictError: ``activity_frozen``.
    :raises ValidationError: bad values, or ``over_allocation`` without an override reason.
    """
    planning.check_editable(activity)
    values = _clean_line(data, line.norm if line is not None else None)
    estimate = _ensure(activity, user)
    if line is None:
        last = max((existing.position for existing in estimate.lines), default=0)
        line = EstimateLine(position=last + 10)
        estimate.lines.append(line)
    for key, value in values.items():
        setattr(line, key, value)
    db.session.flush()
    _apply_total(activity, estimate, user, override_reason, "estimate.line")
    return line


def delete_line(activity: Activity, line: EstimateLine, user) -> Estimate:
    """Remove a line (a smaller estimate always fits); return the estimate."""
    planning.check_editable(activity)
    estimate = line.estimate
    estimate.lines.remove(line)
    db.session.flush()
    _apply_total(activity, estimate, user, None, "estimate.line_delete")
    return estimate


def _apply_total(activity: Activity, estimate: Estimate, user, override_reason: str | None, action: str) -> None:
    """Write the new total to the activity after checking it against the allocation."""
    total = estimate.total
    reason = nfc(override_reason) or None
    found = planning.check_estimate_fits(activity, activity.budget_line_id, activity.funding_source_id, total)
    if found and not reason:
        raise planning.over_allocation_error(found, "override_reason")
    if found:
        estimate.override_reason = reason
        estimate.override_by_id = user.id
        estimate.override_at = utcnow()
        audit.record(
            "estimate.override",
            activity,
            after={"total": total, "reason": reason, "overruns": [o.describe() for o in found]},
        )
    before = activity.estimated_cost
    activity.estimated_cost = total
    estimate.updated_by_id = user.id
    estimate.updated_at = utcnow()
    db.session.flush()
    audit.record(action, activity, before={"estimated_cost": before}, after={"estimated_cost": total})


planning.ESTIMATE_OWNERS.append(has_estimate)
