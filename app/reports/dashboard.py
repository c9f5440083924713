"""The leaders' dashboard: for a period, what was held, who was trained, against the plan, at what
cost and with what results. Every figure here links to the rows behind it (drill-downs)."""

from dataclasses import dataclass, field
from statistics import mean

from sqlalchemy import func, select

from app.budget.models import Allocation, BudgetLine, FundingSource
from app.costs.models import Expenditure
from app.evaluations import results as evaluation_results
from app.evaluations.models import Kind, Questionnaire, Response
from app.extensions import db
from app.permissions import can, scope_unit_ids
from app.planning.models import Activity, ActivityKind, ActivityStatus
from app.reports import trained
from app.reports.filters import ReportFilter
from app.reports.framework import plan_targets

# The breakdowns the dashboard shows, in the order a leader reads them.
DASHBOARD_BREAKDOWNS = ("level", "district", "category", "ethnicity", "kind", "topic", "subproject")


@dataclass
class Targets:
    """The year's plan targets (summed over the year's plans); None where no plan sets one."""

    classes: int | None = None
    trainees: int | None = None
    study_tours: int | None = None
    women_percent: int | None = None


@dataclass
class Money:
    allocated: int
    estimated: int
    spent: int
    per_person_time: int | None

    @property
    def disbursement_rate(self) -> float | None:
        return self.spent / self.allocated if self.allocated else None


@dataclass
class Results:
    satisfaction: float | None  # mean of 1–5 answers, over survey responses
    responses: int
    pre_mean: float | None  # share of the points, 0..1
    post_mean: float | None
    gain: float | None  # mean per-person gain, over activities with both tests
    tested_activities: int


@dataclass
class Dashboard:
    report_filter: ReportFilter
    held: dict[ActivityKind, int]
    total: trained.Row
    targets: Targets
    breakdowns: list[trained.Breakdown] = field(default_factory=list)
    money: Money | None = None  # None for roles that do not see money
    results: Results | None = None

    @property
    def held_total(self) -> int:
        return sum(self.held.values())

    @property
    def women_target(self) -> float | None:
        return self.targets.women_percent / 100 if self.targets.women_percent is not None else None


def held_by_kind(report_filter: ReportFilter, user=None) -> dict[ActivityKind, int]:
    held = trained.activities_query(report_filter, user).subquery()
    counts = dict(db.session.execute(select(held.c.kind, func.count()).group_by(held.c.kind)).all())
    return {kind: counts.get(kind, 0) for kind in ActivityKind if counts.get(kind)}


def targets(report_filter: ReportFilter) -> Targets:
    """Targets of the plans of the filter's year (a custom period has no plan year)."""
    if report_filter.year is None:
        return Targets()
    found = {name: int(value) for name, value in plan_targets(report_filter.year).items()}
    return Targets(
        classes=found.get("target_classes"),
        trainees=found.get("target_trainees"),
        study_tours=found.get("target_study_tours"),
        women_percent=found.get("target_women_percent"),
    )


def money(report_filter: ReportFilter, total: trained.Row) -> Money:
    """Allocated (the year's), estimated (the activities covered) and spent in the period."""
    first, last = report_filter.bounds
    year = report_filter.year or (first.year if first else None)
    allocated_query = select(func.coalesce(func.sum(Allocation.amount), 0)).join(
        BudgetLine, BudgetLine.id == Allocation.budget_line_id
    )
    if year is not None:
        allocated_query = allocated_query.where(BudgetLine.year == year)
    if report_filter.budget_line_code:
        allocated_query = allocated_query.where(BudgetLine.id.in_(trained.lines_under(report_filter.budget_line_code)))
    if report_filter.funding_source_id:
        allocated_query = allocated_query.where(Allocation.funding_source_id == report_filter.funding_source_id)
    covered = trained.activities_query(report_filter, held_only=False).with_only_columns(Activity.id)
    estimated = db.session.scalar(
        select(func.coalesce(func.sum(Activity.estimated_cost), 0)).where(
            Activity.id.in_(covered), Activity.status != ActivityStatus.draft
        )
    )
    spent_query = select(func.coalesce(func.sum(Expenditure.amount), 0)).where(
        Expenditure.voided_at.is_(None), Expenditure.activity_id.in_(covered)
    )
    if first is not None:
        spent_query = spent_query.where(Expenditure.voucher_date >= first)
    if last is not None:
        spent_query = spent_query.where(Expenditure.voucher_date <= last)
    spent = int(db.session.scalar(spent_query))
    return Money(
        allocated=int(db.session.scalar(allocated_query)),
        estimated=int(estimated),
        spent=spent,
        per_person_time=round(spent / total.person_times) if total.person_times else None,
    )


def evaluation_figures(report_filter: ReportFilter, user) -> Results:
    """Satisfaction over every survey answer of the covered activities, and the mean knowledge gain
    of the activities with both a pre- and a post-test (a district officer: their people only)."""
    covered = trained.activities_query(report_filter, user).with_only_columns(Activity.id)
    questionnaires = db.session.scalars(select(Questionnaire).where(Questionnaire.activity_id.in_(covered))).all()
    allowed = scope_unit_ids(user) if user is not None else None
    indexes, activities_with_tests = [], set()
    for questionnaire in questionnaires:
        if questionnaire.kind is not Kind.survey:
            activities_with_tests.add(questionnaire.activity)
            continue
        responses = select(Response).where(Response.questionnaire_id == questionnaire.id)
        if allowed is not None:
            responses = responses.where(Response.unit_id.in_(sorted(allowed)))
        for response in db.session.scalars(responses):
            value = evaluation_results.satisfaction(response, questionnaire)
            if value is not None:
                indexes.append(value)
    pre, post, gains = [], [], []
    for activity in activities_with_tests:
        found = evaluation_results.prepost(activity, user)
        if found is None:
            continue
        pre += [row[1] for row in found.rows]
        post += [row[2] for row in found.rows]
        gains += [row[3] for row in found.rows]
    return Results(
        satisfaction=mean(indexes) if indexes else None,
        responses=len(indexes),
        pre_mean=mean(pre) if pre else None,
        post_mean=mean(post) if post else None,
        gain=mean(gains) if gains else None,
        tested_activities=len(activities_with_tests),
    )


def build(report_filter: ReportFilter, user=None, with_breakdowns: bool = True) -> Dashboard:
    """Everything the dashboard shows; ``user`` None: the whole province, money included.

    ``with_breakdowns`` False: the figures without the tables. The page loads each table in a
    request of its own (``/reports/table``), so the leader reads the figures at once and the
    tables as each is counted, instead of waiting for all seven (docs/performance.md, "Reports").
    """
    total = trained.total(report_filter, user)
    tables = DASHBOARD_BREAKDOWNS if with_breakdowns else ()
    dashboard = Dashboard(
        report_filter=report_filter,
        held=held_by_kind(report_filter, user),
        total=total,
        targets=targets(report_filter),
        breakdowns=[trained.breakdown(by, report_filter, user, total) for by in tables],
        results=evaluation_figures(report_filter, user),
    )
    if user is None or can("costs.spending", user=user):
        dashboard.money = money(report_filter, total)
    return dashboard


def funding_sources(year: int | None):
    query = select(FundingSource).order_by(FundingSource.year.desc(), FundingSource.code)
    return db.session.scalars(query.where(FundingSource.year == year) if year else query).all()
