"""Who was trained: distinct people and person-times, women and ethnic minorities, by any breakdown.

A *pair* is a person who attended at least one session of an activity. ``people`` counts
distinct persons, ``person_times`` (lượt người) counts pairs: one woman trained in three
classes is one person and three person-times.

Where a person is counted is the unit and category of their enrolment in that activity, not
where they are now: 2023 classes stay with the 2023 districts after the 2025 reorganisation,
and a cadre who moved is counted where they were when trained.

Breakdowns by something a person has once (gender, ethnicity, level) add up to the total.
Breakdowns by something an activity or an enrolment has (kind, topic, budget line, district,
category) count a person in every group they were trained in, which is what a leader asks
("how many people learnt about health?"); the ``overlap`` row (people counted in more than
one group, as a negative figure) makes such a table add up to its distinct total again.

Every query runs in the database, one GROUP BY per breakdown over the trained pairs the database
keeps (``TrainedPair``: one row per person and activity, not per session attended), so
1,000,000 attendance rows are neither grouped again for each table nor sent to Python (figures in
docs/performance.md). Over all years, for the whole province and with nothing else chosen, the
tables by activity and enrolment read the groups the database keeps too (``TrainedGroup``: one row
per person and group), since that is where the pairs of every year are most.
"""

from dataclasses import dataclass

from sqlalchemy import Integer, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload

from app.budget.models import BudgetLine, LineKind
from app.core.i18n import lazy_gettext as _l
from app.extensions import db
from app.geo.models import AdminUnit, UnitLevel
from app.geo.services import descendant_unit_ids
from app.people.models import Gender, Person
from app.permissions import scope_unit_ids
from app.planning.models import Activity, ActivityKind, ActivityStatus, activity_topics
from app.reference.models import Ethnicity, ParticipantCategory, TrainingTopic
from app.reports.filters import ReportFilter
from app.reports.models import TrainedGroup, TrainedPair

BREAKDOWNS = {
    "district": _l("Huyện / đơn vị trực thuộc tỉnh"),
    "unit": _l("Đơn vị"),
    "level": _l("Cấp"),
    "gender": _l("Giới tính"),
    "ethnicity": _l("Dân tộc"),
    "category": _l("Đối tượng"),
    "topic": _l("Chuyên đề"),
    "kind": _l("Loại hoạt động"),
    "subproject": _l("Tiểu dự án"),
    "budget_line": _l("Dòng ngân sách"),
}
# Breakdowns by what a person has once: each person falls in exactly one group.
ONE_GROUP_PER_PERSON = frozenset({"level", "gender", "ethnicity"})
# Breakdowns (and the total) the database keeps per person and group over all years (TrainedGroup).
KEPT_GROUPS = frozenset(BREAKDOWNS) - ONE_GROUP_PER_PERSON | {"total"}
UNKNOWN = "none"


@dataclass
class Row:
    key: str
    label: str
    people: int = 0
    women: int = 0
    person_times: int = 0
    ethnic_minority: int = 0

    @property
    def women_share(self) -> float | None:
        return self.women / self.people if self.people else None

    @property
    def minority_share(self) -> float | None:
        return self.ethnic_minority / self.people if self.people else None

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "people": self.people,
            "women": self.women,
            "women_share": round(self.women_share, 4) if self.women_share is not None else None,
            "person_times": self.person_times,
            "ethnic_minority": self.ethnic_minority,
        }


@dataclass
class Breakdown:
    by: str
    rows: list[Row]
    total: Row
    overlap: Row | None  # people counted in several groups, negative; None when the rows add up

    @property
    def label(self):
        return BREAKDOWNS[self.by]


# -- the pairs behind every figure -----------------------------------------------------------------


def scope_for(report_filter: ReportFilter, user) -> set[int] | None:
    """Units whose enrolments count: the user's scope, narrowed to the chosen unit's tree."""
    allowed = scope_unit_ids(user) if user is not None else None
    if report_filter.unit_id is not None:
        chosen = descendant_unit_ids(report_filter.unit_id)
        allowed = chosen if allowed is None else allowed & chosen
    return allowed


def activity_conditions(report_filter: ReportFilter) -> list:
    """Which activities a report covers (the period, kind, topic, line and source filters)."""
    conditions = [Activity.status != ActivityStatus.cancelled]
    first, last = report_filter.bounds
    if first is not None:
        conditions.append(Activity.start_date >= first)
    if last is not None:
        conditions.append(Activity.start_date <= last)
    if report_filter.kind is not None:
        conditions.append(Activity.kind == report_filter.kind)
    if report_filter.funding_source_id is not None:
        conditions.append(Activity.funding_source_id == report_filter.funding_source_id)
    if report_filter.topic_id is not None:
        conditions.append(
            Activity.id.in_(
                select(activity_topics.c.activity_id).where(activity_topics.c.topic_id == report_filter.topic_id)
            )
        )
    if report_filter.budget_line_code is not None:
        conditions.append(Activity.budget_line_id.in_(lines_under(report_filter.budget_line_code)))
    return conditions


def lines_under(code: str):
    """Ids of the lines with this code (any year) and of every line under them."""
    tree = select(BudgetLine.id).where(BudgetLine.code == code).cte("line_tree", recursive=True)
    tree = tree.union_all(select(BudgetLine.id).join(tree, BudgetLine.parent_id == tree.c.id))
    return select(tree.c.id)


def pairs(report_filter: ReportFilter, user=None, *, cte: bool = False):
    """Subquery of the trained pairs the report covers, one row per person who attended an
    activity: (activity_id, person_id, unit_id, category_id, gender, level, ethnicity_id, kind,
    budget_line_id), with the unit and category of that enrolment (the person's own without one).

    The database keeps these rows from the attendance rows (``TrainedPair``), so a report reads
    one row per pair instead of grouping every attendance row of the period again."""
    allowed = scope_for(report_filter, user)
    query = (
        select(
            TrainedPair.activity_id,
            TrainedPair.person_id,
            TrainedPair.unit_id,
            TrainedPair.category_id,
            TrainedPair.gender,
            TrainedPair.level,
            TrainedPair.ethnicity_id,
            Activity.kind,
            Activity.budget_line_id,
        )
        .join(Activity, Activity.id == TrainedPair.activity_id)
        .where(*activity_conditions(report_filter))
    )
    if allowed is not None:
        query = query.where(TrainedPair.unit_id.in_(sorted(allowed)))
    if cte:
        return query.cte("pairs").prefix_with("MATERIALIZED")
    return query.subquery("pairs")


# Statuses of an activity that has taken place (or is taking place).
HELD = (ActivityStatus.in_progress, ActivityStatus.completed, ActivityStatus.settled)


def activities_query(report_filter: ReportFilter, user=None, held_only: bool = True):
    """The activities a report covers. Limited to some units (a district officer, or a unit
    chosen in the filter): those held in the units, or in which their cadres were"""
    query = select(Activity).where(*activity_conditions(report_filter))
    if held_only:
        query = query.where(Activity.status.in_(HELD))
    allowed = scope_for(report_filter, user)
    if allowed is not None:
        attended = select(pairs(report_filter, user).c.activity_id)
        query = query.where(or_(Activity.id.in_(attended), Activity.unit_id.in_(sorted(allowed))))
    return query


# -- group keys ------------------------------------------------------------------------------------


def _district_key(unit_id_column):
    """The unit directly under the province above a unit: a district before 01/07/2025, a commune
    after it (districts were abolished). Units are at most four levels deep."""
    chain = [aliased(AdminUnit, name=f"up{i}") for i in range(4)]
    joins = [(chain[0], chain[0].id == unit_id_column)]
    for child, parent in zip(chain, chain[1:], strict=False):
        joins.append((parent, parent.id == child.parent_id))
    whens = [(chain[0].level == UnitLevel.province, chain[0].id)]
    whens += [(parent.level == UnitLevel.province, child.id) for child, parent in zip(chain, chain[1:], strict=False)]
    return joins, case(*whens, else_=chain[-1].id)


def _subproject_key(line_id_column):
    chain = [aliased(BudgetLine, name=f"line{i}") for i in range(4)]
    joins = [(chain[0], chain[0].id == line_id_column)]
    for child, parent in zip(chain, chain[1:], strict=False):
        joins.append((parent, parent.id == child.parent_id))
    return joins, case(*[(line.kind == LineKind.subproject, line.code) for line in chain], else_=None)


def _key(by: str, p):
    """(joins, key expression) for a breakdown over the pairs subquery ``p``."""
    if by == "gender":
        return [], p.c.gender
    if by == "level":
        return [], p.c.level
    if by == "ethnicity":
        return [], p.c.ethnicity_id
    if by == "category":
        return [], p.c.category_id
    if by == "unit":
        return [], p.c.unit_id
    if by == "district":
        return _district_key(p.c.unit_id)
    if by == "kind":
        return [], p.c.kind
    if by == "topic":
        return [(activity_topics, activity_topics.c.activity_id == p.c.activity_id)], activity_topics.c.topic_id
    if by == "budget_line":
        line = aliased(BudgetLine, name="own_line")
        return [(line, line.id == p.c.budget_line_id)], line.code
    if by == "subproject":
        return _subproject_key(p.c.budget_line_id)
    raise ValueError(by)


def _grouped(by: str | None, p):
    """One row per group: first one row per (group, person) with the person's pairs in the group,
    then people = rows, women and minorities = sums, person-times = the sum of the pairs (no
    COUNT(DISTINCT ...): three distinct counts sort the pairs three times)."""
    joins, expression = _key(by, p) if by is not None else ([], None)
    keys = (expression.label("key"),) if expression is not None else ()
    # Joined to its topics, a pair appears once per topic, so within one topic's group each row is
    # still one pair: count(*) stays the person-times of that topic. A person's gender and
    # ethnicity are the same on all their pairs; grouping by them only carries them along.
    person = (p.c.person_id, p.c.gender, p.c.ethnicity_id)
    inner = select(*keys, *person, func.count(literal(1)).label("times")).select_from(p)
    for target, on in joins:
        inner = inner.outerjoin(target, on)
    per = inner.group_by(*((expression,) if expression is not None else ()), *person).subquery("per_group")
    female = case((per.c.gender == Gender.female, 1), else_=0)
    minority = case((Ethnicity.is_minority.is_(True), 1), else_=0)
    columns = ((per.c.key,) if keys else ()) + (
        func.count(literal(1)).label("people"),
        cast(func.coalesce(func.sum(female), 0), Integer).label("women"),  # SUM is numeric on PostgreSQL
        cast(func.coalesce(func.sum(per.c.times), 0), Integer).label("person_times"),
        cast(func.coalesce(func.sum(minority), 0), Integer).label("ethnic_minority"),
    )
    query = select(*columns).select_from(per).outerjoin(Ethnicity, Ethnicity.id == per.c.ethnicity_id)
    if keys:
        query = query.group_by(per.c.key)
    return query


def _total_row(result) -> Row:
    return Row("total", str(_l("Tổng cộng")), result.people, result.women, result.person_times, result.ethnic_minority)


def reads_kept_groups(report_filter: ReportFilter, user=None) -> bool:
    """All years, every unit the user may see is the whole province, nothing else chosen: the
    groups the database keeps answer (their rows cover exactly the activities not cancelled)."""
    return (
        report_filter.bounds == (None, None)
        and report_filter.but(year=None, period="year") == ReportFilter()
        and scope_for(report_filter, user) is None
    )


def _kept_grouped(by: str):
    """The figures of one breakdown (or "total") from the kept groups: each row is one person in
    one group already, so people are rows and person-times the sum of their pairs there."""
    key = case((TrainedGroup.grp == "", null()), else_=TrainedGroup.grp).label("key")
    columns = (
        func.count(literal(1)).label("people"),
        cast(func.coalesce(func.sum(TrainedGroup.female), 0), Integer).label("women"),
        cast(func.coalesce(func.sum(TrainedGroup.times), 0), Integer).label("person_times"),
        cast(func.coalesce(func.sum(TrainedGroup.minority), 0), Integer).label("ethnic_minority"),
    )
    query = select(*columns).where(TrainedGroup.dim == by)
    if by == "total":
        return query
    return query.add_columns(key).group_by(TrainedGroup.grp)


def total(report_filter: ReportFilter, user=None) -> Row:
    if reads_kept_groups(report_filter, user):
        return _total_row(db.session.execute(_kept_grouped("total")).one())
    return _total_row(db.session.execute(_grouped(None, pairs(report_filter, user))).one())


MEASURES = ("people", "women", "person_times", "ethnic_minority")


def breakdown(by: str, report_filter: ReportFilter, user=None, whole: Row | None = None) -> Breakdown:
    """The trained figures by one breakdown, with the total and, where groups overlap, the overlap.

    ``whole``: the total, when the caller has it already (the dashboard counts it once for all
    its tables). A breakdown by something a person has once needs no second count: its groups
    are disjoint, so they add up to the total.
    """
    if by not in BREAKDOWNS:
        raise ValueError(by)
    if by in KEPT_GROUPS and reads_kept_groups(report_filter, user):
        found = db.session.execute(_kept_grouped(by)).all()
        if whole is None:
            whole = total(report_filter, user)
    elif whole is None and by not in ONE_GROUP_PER_PERSON:
        # The groups and the total in one statement, from one pass over the pairs.
        p = pairs(report_filter, user, cte=True)
        grouped = _grouped(by, p).add_columns(literal(0).label("is_total"))
        whole_query = _grouped(None, p)
        whole_query = whole_query.with_only_columns(null().label("key"), *whole_query.selected_columns)
        statement = union_all(grouped, whole_query.add_columns(literal(1).label("is_total")))
        found = db.session.execute(statement).all()
        whole = _total_row(next(row for row in found if row.is_total))
        found = [row for row in found if not row.is_total]
    else:
        found = db.session.execute(_grouped(by, pairs(report_filter, user))).all()
    labels = key_labels(by, [row.key for row in found])
    unknown = str(_l("Chưa xác định"))
    rows = [
        Row(_key_text(row.key), labels.get(_key_text(row.key), unknown), *(getattr(row, m) for m in MEASURES))
        for row in found
    ]
    rows.sort(key=lambda row: (row.key == UNKNOWN, _order(by, row)))
    summed = [sum(getattr(row, m) for row in rows) for m in MEASURES]
    if whole is None:
        whole = (
            Row("total", str(_l("Tổng cộng")), *summed) if by in ONE_GROUP_PER_PERSON else total(report_filter, user)
        )
    excess = [getattr(whole, m) - part for m, part in zip(MEASURES, summed, strict=True)]
    overlap = Row("overlap", str(_l("Trừ số được tính ở nhiều nhóm")), *excess) if any(excess) else None
    return Breakdown(by, rows, whole, overlap)


def _key_text(key) -> str:
    if key is None:
        return UNKNOWN
    return key.value if hasattr(key, "value") else str(key)


def _order(by: str, row: Row):
    if by in ("gender", "level", "kind"):
        order = {
            "gender": [g.value for g in Gender],
            "level": [lv.value for lv in UnitLevel],
            "kind": [k.value for k in ActivityKind],
        }[by]
        return (order.index(row.key) if row.key in order else 99, "")
    if by in ("budget_line", "subproject"):
        return (0, row.key)
    return (-row.people, row.label)


def key_labels(by: str, keys: list) -> dict[str, str]:
    """Names for the group keys of a breakdown, in the interface language."""
    keys = [k for k in keys if k is not None]
    if by == "gender":
        return {g.value: str(g.label) for g in Gender}
    if by == "level":
        return {lv.value: str(lv.label) for lv in UnitLevel}
    if by == "kind":
        return {k.value: str(k.label) for k in ActivityKind}
    if by not in ("budget_line", "subproject"):
        # Ids arrive as text from the query string; a non-number names no row (and PostgreSQL
        # refuses to compare an integer column with text).
        keys = [int(k) for k in keys if str(k).isdigit()]
    if not keys:
        return {}
    if by == "ethnicity":
        return {str(e.id): e.label for e in db.session.scalars(select(Ethnicity).where(Ethnicity.id.in_(keys)))}
    if by == "category":
        found = db.session.scalars(select(ParticipantCategory).where(ParticipantCategory.id.in_(keys)))
        return {str(c.id): c.label for c in found}
    if by == "topic":
        return {str(t.id): t.label for t in db.session.scalars(select(TrainingTopic).where(TrainingTopic.id.in_(keys)))}
    if by in ("unit", "district"):
        found = select(AdminUnit).where(AdminUnit.id.in_(keys)).options(joinedload(AdminUnit.parent))
        return {str(u.id): u.full_name for u in db.session.scalars(found)}  # full_name reads the parent
    if by in ("budget_line", "subproject"):
        # The newest year's name for a code (names are reworded, codes stay).
        names = {}
        for line in db.session.scalars(select(BudgetLine).where(BudgetLine.code.in_(keys)).order_by(BudgetLine.year)):
            names[line.code] = f"{line.code} — {line.name}"
        return names
    return {}


def match(by: str, key: str, p):
    """(joins, condition) selecting the pairs of one group of a breakdown (for drill-downs)."""
    joins, expression = _key(by, p)
    if key == UNKNOWN:
        return joins, expression.is_(None)
    if by in ("gender", "level", "kind"):
        enum_type = {"gender": Gender, "level": UnitLevel, "kind": ActivityKind}[by]
        if key not in enum_type.__members__:
            return joins, literal(False)
        return joins, expression == enum_type(key)
    if by in ("budget_line", "subproject"):
        return joins, expression == key
    if not key.isdigit():
        return joins, literal(False)
    return joins, expression == int(key)


# -- drill-down: the rows behind a figure ---------------------------------------------------------


def _behind(report_filter: ReportFilter, user, by: str | None, key: str | None):
    """The pairs subquery and the joins and condition narrowing it to one group (or none)."""
    p = pairs(report_filter, user)
    if by is None:
        return p, [], None
    if by not in BREAKDOWNS:
        raise ValueError(by)
    joins, condition = match(by, key or UNKNOWN, p)
    return p, joins, condition


def _narrowed(query, joins, condition):
    for target, on in joins:
        query = query.outerjoin(target, on)
    return query.where(condition) if condition is not None else query


def people_behind(report_filter: ReportFilter, user=None, by: str | None = None, key: str | None = None):
    """select() of (Person, person_times in the group), in list order (by given name)."""
    p, joins, condition = _behind(report_filter, user, by, key)
    per_person = _narrowed(
        select(p.c.person_id, func.count(literal(1)).label("times")).select_from(p), joins, condition
    ).group_by(p.c.person_id)
    per_person = per_person.subquery("per_person")
    return (
        select(Person, per_person.c.times)
        .join(per_person, per_person.c.person_id == Person.id)
        .options(joinedload(Person.unit).joinedload(AdminUnit.parent))  # the list shows each unit's full name
        .order_by(Person.sort_key, Person.id)
    )


def activities_behind(
    report_filter: ReportFilter, user=None, by: str | None = None, key: str | None = None, among=None
):
    """select() of (Activity, people, women) trained in the group, in date order; with ``among``
    (a select of activity ids), those activities, whether or not anyone was trained in them."""
    p, joins, condition = _behind(report_filter, user, by, key)
    per_activity = _narrowed(
        select(
            p.c.activity_id,
            func.count(func.distinct(p.c.person_id)).label("people"),
            func.count(func.distinct(case((p.c.gender == Gender.female, p.c.person_id)))).label("women"),
        ).select_from(p),
        joins,
        condition,
    ).group_by(p.c.activity_id)
    per_activity = per_activity.subquery("per_activity")
    if among is not None:
        return (
            select(Activity, func.coalesce(per_activity.c.people, 0), func.coalesce(per_activity.c.women, 0))
            .outerjoin(per_activity, per_activity.c.activity_id == Activity.id)
            .where(Activity.id.in_(among))
            .order_by(Activity.start_date, Activity.id)
        )
    return (
        select(Activity, per_activity.c.people, per_activity.c.women)
        .join(per_activity, per_activity.c.activity_id == Activity.id)
        .order_by(Activity.start_date, Activity.id)
    )
