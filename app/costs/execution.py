"""Budget execution (tình hình thực hiện, giải ngân): allocated, estimated, spent and remaining per
budget line and funding source, carried-over money apart with its deadline, and what each
activity cost per trainee and per trainee-day."""

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import distinct, func, select

from app.attendance.models import Attendance
from app.budget import services as budget
from app.budget.models import BudgetLine
from app.core.formats import date_vn, money_vn
from app.core.i18n import lazy_gettext as _l
from app.costs.models import Advance, Expenditure
from app.extensions import db
from app.planning.models import Activity, ActivitySession, ActivityStatus


@dataclass
class ActivityCost:
    activity: Activity
    estimated: int
    spent: int
    trainees: int  # distinct people who attended at least one session
    trainee_days: int  # (person, day) pairs attended

    @property
    def per_trainee(self) -> int | None:
        return round(self.spent / self.trainees) if self.trainees else None

    @property
    def per_trainee_day(self) -> int | None:
        return round(self.spent / self.trainee_days) if self.trainee_days else None


@dataclass
class Execution:
    year: int
    lines: list[budget.LineFigures]
    current: list[budget.SourceFigures]  # this year's money
    carried: list[budget.SourceFigures]  # carried over from earlier years, settled apart
    activities: list[ActivityCost]
    advances_open: int
    warnings: list[str]

    @property
    def totals(self) -> budget.Figures:
        """The programme: the sum of the tree's top lines."""
        top = [f for f in self.lines if f.depth == 0]
        return budget.Figures(sum(f.allocated for f in top), sum(f.committed for f in top), sum(f.spent for f in top))


def _activity_costs(year: int) -> list[ActivityCost]:
    activities = db.session.scalars(
        select(Activity)
        .join(BudgetLine, BudgetLine.id == Activity.budget_line_id)
        .where(BudgetLine.year == year, Activity.status != ActivityStatus.cancelled)
        .order_by(Activity.start_date, Activity.id)
    ).all()
    ids = [a.id for a in activities] or [0]
    spent = dict(
        db.session.execute(
            select(Expenditure.activity_id, func.sum(Expenditure.amount))
            .where(Expenditure.activity_id.in_(ids), Expenditure.voided_at.is_(None))
            .group_by(Expenditure.activity_id)
        ).all()
    )
    attended = (
        select(
            ActivitySession.activity_id.label("activity_id"),
            Attendance.person_id.label("person_id"),
            func.date(ActivitySession.starts_at).label("day"),
        )
        .join(ActivitySession, ActivitySession.id == Attendance.session_id)
        .where(ActivitySession.activity_id.in_(ids))
        .distinct()
        .subquery()
    )
    people = dict(
        db.session.execute(
            select(attended.c.activity_id, func.count(distinct(attended.c.person_id))).group_by(attended.c.activity_id)
        ).all()
    )
    person_days = dict(
        db.session.execute(select(attended.c.activity_id, func.count()).group_by(attended.c.activity_id)).all()
    )
    return [
        ActivityCost(
            a, a.estimated_cost or 0, int(spent.get(a.id, 0)), int(people.get(a.id, 0)), int(person_days.get(a.id, 0))
        )
        for a in activities
    ]


def _deadline_warnings(sources: list[budget.SourceFigures], today: date) -> list[str]:
    """Money with a deadline still unspent: warned within the configured days, and once past."""
    ahead = current_app.config["COST_DEADLINE_WARNING_DAYS"]
    warnings = []
    for figures in sources:
        deadline = figures.source.deadline
        if deadline is None or figures.remaining <= 0:
            continue
        left = (deadline - today).days
        values = {"s": figures.source.label, "m": money_vn(figures.remaining), "d": date_vn(deadline)}
        if left < 0:
            warnings.append(str(_l("%(s)s: hết hạn ngày %(d)s mà còn %(m)s chưa chi.", **values)))
        elif left <= ahead:
            warnings.append(str(_l("%(s)s: còn %(m)s chưa chi, hạn đến %(d)s (còn %(n)s ngày).", n=left, **values)))
    return warnings


def execution(year: int, today: date | None = None) -> Execution:
    sources = budget.source_figures(year)
    open_advances = db.session.scalars(
        select(Advance)
        .join(BudgetLine, BudgetLine.id == Advance.budget_line_id)
        .where(BudgetLine.year == year, Advance.settled_on.is_(None))
    ).all()
    return Execution(
        year=year,
        lines=budget.line_figures(year),
        current=[f for f in sources if not f.source.carried_over_from],
        carried=[f for f in sources if f.source.carried_over_from],
        activities=_activity_costs(year),
        advances_open=sum(a.outstanding for a in open_advances),
        warnings=_deadline_warnings(sources, today or date.today()),
    )
