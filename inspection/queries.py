"""Reads for the inspection pages, the draw and the scheduler (RULES.md §3). Each engineer's
reads live in their own section below; nothing here writes."""

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from core import audit
from core.auth.models import Organisation, OrgKind, Role, User
from core.extensions import db
from credit.queries.subjects import levels_for
from credit.rules import Level, effective_level
from inspection.models import (
    InspectionItem,
    InspectorConflict,
    InspectorProfile,
    ItemKind,
    Plan,
    PlanStatus,
    plan_department,
)
from market import queries as market_queries
from market.models import Agency

# --- I1: catalogues (items, object pool, inspector pool, conflicts) and plans ---------------

PUBLIC_PLAN_STATUSES = (PlanStatus.PUBLISHED, PlanStatus.CLOSED)


def is_department_user(user: User | None, department_id: int | None = None,
                       roles: tuple[Role, ...] = (Role.ORG_ADMIN, Role.STAFF)) -> bool:
    """A signed-in user of a department (of `department_id` when given) holding one of
    `roles`."""
    if user is None or not user.is_authenticated or user.role not in roles:
        return False
    if user.org_kind != OrgKind.DEPARTMENT:
        return False
    return department_id is None or user.organisation_id == department_id


def may_manage_department(user: User | None, department_id: int) -> bool:
    """Platform admins manage every department's lists; department org admins and staff
    their own."""
    if user is not None and user.is_authenticated and user.role == Role.PLATFORM_ADMIN:
        return True
    return is_department_user(user, department_id)


# Inspection items

def item(item_id: int) -> InspectionItem | None:
    return db.session.get(InspectionItem, item_id)


def item_code_taken(code: str, except_id: int | None = None) -> bool:
    query = select(InspectionItem.id).where(func.upper(InspectionItem.code) == code.upper())
    if except_id is not None:
        query = query.where(InspectionItem.id != except_id)
    return db.session.scalar(query) is not None


def items(department_id: int | None = None, kind: ItemKind | str | None = None,
          active_only: bool = True, department_ids: list[int] | None = None
          ) -> list[InspectionItem]:
    """The inspection item list (抽查事项清单), by department then code."""
    query = (select(InspectionItem).join(InspectionItem.department)
             .order_by(Organisation.name, InspectionItem.code))
    if active_only:
        query = query.where(InspectionItem.active)
    if department_id:
        query = query.where(InspectionItem.department_id == department_id)
    if department_ids is not None:
        query = query.where(InspectionItem.department_id.in_(department_ids))
    if kind:
        query = query.where(InspectionItem.kind == ItemKind(kind))
    return list(db.session.scalars(query))


def item_departments() -> list[Organisation]:
    """Departments with at least one active inspection item (the public list's filter)."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(
            select(InspectionItem.department_id).where(InspectionItem.active)))
        .order_by(Organisation.name)))


def departments() -> list[Organisation]:
    return market_queries.departments()


# Object pool (检查对象名录库)

@dataclass(frozen=True)
class PoolEntry:
    agency_id: int
    uscc: str
    name: str
    level: str  # A–D; "new" counts as B (RULES.md §2 "Levels")


@dataclass
class PoolFilters:
    service_item_id: int | None = None
    region_code: str = ""
    level: str = ""  # A–D; anything else means any level


def object_pool(plan_or_filters: "Plan | PoolFilters") -> list[PoolEntry]:
    """Active agencies not delisted (market's directory read, RULES.md §2 "Exit") in the
    plan's scope, each with the credit level it is drawn under: "new" is treated as B."""
    filters = plan_or_filters
    if isinstance(plan_or_filters, Plan):
        filters = PoolFilters(plan_or_filters.service_item_id, plan_or_filters.region_code or "")
    agencies: list[Agency] = list(db.session.scalars(market_queries.directory_query(
        market_queries.DirectoryFilters(service_item_id=filters.service_item_id,
                                        region_code=filters.region_code or "", sort="name")))
        .unique())
    levels = levels_for(agency.uscc for agency in agencies)
    entries = [PoolEntry(agency.id, agency.uscc, agency.name,
                         effective_level(Level(levels[agency.uscc])).value)
               for agency in agencies]
    if filters.level in STRATA:
        entries = [entry for entry in entries if entry.level == filters.level]
    return entries


STRATA = ("A", "B", "C", "D")


def strata_counts(entries: list[PoolEntry]) -> dict[str, int]:
    """Pool size per credit level, A to D (the strata of the draw)."""
    counts = dict.fromkeys(STRATA, 0)
    for entry in entries:
        counts[entry.level] += 1
    return counts


# Inspector pool (执法检查人员名录库)

def inspector_profile(profile_id: int) -> InspectorProfile | None:
    return db.session.get(InspectorProfile, profile_id)


def profile_of_user(user_id: int) -> InspectorProfile | None:
    return db.session.scalar(select(InspectorProfile).where(InspectorProfile.user_id == user_id))


def certificate_taken(certificate_no: str, except_id: int | None = None) -> bool:
    query = select(InspectorProfile.id).where(
        func.upper(InspectorProfile.certificate_no) == certificate_no.strip().upper())
    if except_id is not None:
        query = query.where(InspectorProfile.id != except_id)
    return db.session.scalar(query) is not None


def inspector_profiles(department_id: int | None = None, available: bool | None = None,
                       text: str = "") -> list[InspectorProfile]:
    """The inspector pool, by department then name."""
    query = (select(InspectorProfile).join(InspectorProfile.user)
             .join(User.organisation).order_by(Organisation.name, User.display_name))
    if department_id:
        query = query.where(User.organisation_id == department_id)
    if available is not None:
        query = query.where(InspectorProfile.available == available)
    if text := text.strip():
        query = query.where(or_(User.display_name.icontains(text, autoescape=True),
                                InspectorProfile.certificate_no.icontains(text, autoescape=True),
                                InspectorProfile.expertise.icontains(text, autoescape=True)))
    return list(db.session.scalars(query))


def inspector_users_without_profile(department_id: int) -> list[User]:
    """The department's inspector accounts that are not in the pool yet."""
    return list(db.session.scalars(
        select(User).where(User.organisation_id == department_id, User.role == Role.INSPECTOR,
                           User.active, User.id.not_in(select(InspectorProfile.user_id)))
        .order_by(User.display_name)))


def conflicts(department_id: int | None = None,
              inspector_id: int | None = None) -> list[InspectorConflict]:
    query = (select(InspectorConflict).join(InspectorConflict.inspector)
             .join(InspectorProfile.user).order_by(InspectorConflict.declared_at.desc()))
    if department_id:
        query = query.where(User.organisation_id == department_id)
    if inspector_id:
        query = query.where(InspectorConflict.inspector_id == inspector_id)
    return list(db.session.scalars(query))


def conflict_between(inspector_id: int, agency_id: int) -> InspectorConflict | None:
    return db.session.scalar(select(InspectorConflict).where(
        InspectorConflict.inspector_id == inspector_id,
        InspectorConflict.agency_id == agency_id))


def members_awaiting_replacement(task) -> set[int]:
    """Current team members (row ids) who declared a conflict with the task's agency: a
    redraw found nobody eligible to replace them yet (operations/draws.py)."""
    current = {m.inspector_id: m.id for m in task.team if m.replaced_at is None}
    conflicted = {inspector_id for inspector_id, _ in conflicted_pairs({task.agency_id})}
    return {row_id for inspector_id, row_id in current.items() if inspector_id in conflicted}


def agency_by_uscc(uscc: str) -> Agency | None:
    return market_queries.agency_by_uscc(uscc.strip().upper())


# Plans

def plan(plan_id: int) -> Plan | None:
    return db.session.get(Plan, plan_id)


def plan_by_number(number: str) -> Plan | None:
    return db.session.scalar(select(Plan).where(Plan.number == number))


def _with_plan_lists(query):
    return query.options(selectinload(Plan.joint_departments), selectinload(Plan.items),
                         selectinload(Plan.periods))


def led_or_joined_by(department_id: int | None):
    """The condition "the plan is led or joined by this department"."""
    joined = select(plan_department.c.plan_id).where(
        plan_department.c.department_id == department_id)
    return or_(Plan.lead_department_id == department_id, Plan.id.in_(joined))


def published_plans(department_id: int | None = None) -> list[Plan]:
    """Published and closed plans, newest first (the public plan list)."""
    query = _with_plan_lists(select(Plan).where(Plan.status.in_(PUBLIC_PLAN_STATUSES))
                             .order_by(Plan.published_at.desc(), Plan.id.desc()))
    if department_id:
        query = query.where(led_or_joined_by(department_id))
    return list(db.session.scalars(query))


def department_plans(department_id: int) -> list[Plan]:
    """Plans the department leads or joins, drafts included, newest first."""
    return list(db.session.scalars(_with_plan_lists(
        select(Plan).where(led_or_joined_by(department_id))
        .order_by(Plan.created_at.desc(), Plan.id.desc()))))


def published_plans_to_top_up() -> list[Plan]:
    """Published plans (for `ensure_periods` in the sweeper)."""
    return list(db.session.scalars(select(Plan).where(Plan.status == PlanStatus.PUBLISHED)
                                   .order_by(Plan.id)))


def plan_drafter_id(plan: Plan) -> int | None:
    """Who drafted the plan, as the audit log recorded it (全程留痕)."""
    return next((entry.actor_id for entry in audit.history("inspection_plan", plan.id)
                 if entry.action == "inspection_plan.draft"), None)


def is_plan_department_user(user: User | None, plan: Plan) -> bool:
    """A user (any department role, inspectors included) of the lead or a joint department."""
    roles = (Role.ORG_ADMIN, Role.STAFF, Role.INSPECTOR)
    return any(is_department_user(user, d.id, roles) for d in plan.departments)


# --- I3: tasks, results, publication, public pages, dashboard ------------------------------

from datetime import date  # noqa: E402

from sqlalchemy import distinct  # noqa: E402

from inspection.models import (  # noqa: E402
    Task,
    TaskAttachment,
    TaskInspector,
    TaskStatus,
    plan_item,
)


def _tasks():
    return (select(Task)
            .options(selectinload(Task.team), selectinload(Task.plan))
            .order_by(Task.id.desc()))


def task(task_id: int) -> Task | None:
    return db.session.get(Task, task_id)


def task_by_number(number: str) -> Task | None:
    return db.session.scalar(select(Task).where(Task.number == number))


def tasks_of_inspector(user_id: int) -> list:
    """Tasks where the user is a current (not replaced) team member, newest first."""
    member = (select(TaskInspector.task_id)
              .join(InspectorProfile, InspectorProfile.id == TaskInspector.inspector_id)
              .where(InspectorProfile.user_id == user_id,
                     TaskInspector.replaced_at.is_(None)))
    return list(db.session.scalars(_tasks().where(Task.id.in_(member))))


def tasks_of_agency_organisation(organisation_id: int) -> list:
    agency_ids = select(Agency.id).where(Agency.organisation_id == organisation_id)
    return list(db.session.scalars(_tasks().where(Task.agency_id.in_(agency_ids))))


def tasks_of_lead_department(department_id: int, status: str | None = None) -> list:
    query = _tasks().join(Plan, Plan.id == Task.plan_id).where(
        Plan.lead_department_id == department_id)
    if status:
        query = query.where(Task.status == status)
    return list(db.session.scalars(query))


def task_attachments(task_id: int) -> list:
    return list(db.session.scalars(
        select(TaskAttachment).where(TaskAttachment.task_id == task_id)
        .order_by(TaskAttachment.id)))


def task_attachment(task_id: int, attachment_id: int) -> TaskAttachment | None:
    found = db.session.get(TaskAttachment, attachment_id)
    return found if found is not None and found.task_id == task_id else None


# Public (一公开): only published results; the drawn list only where the plan publishes it.

def public_plan(number: str) -> Plan | None:
    return db.session.scalar(select(Plan).where(
        Plan.number == number, Plan.status.in_(PUBLIC_PLAN_STATUSES)))


def drawn_tasks_of_period(period_id: int) -> list:
    return list(db.session.scalars(
        select(Task).where(Task.period_id == period_id).order_by(Task.number)))


def published_results(plan_id: int | None = None, agency_id: int | None = None,
                      department_id: int | None = None, limit: int | None = None) -> list:
    query = (select(Task).join(Plan, Plan.id == Task.plan_id)
             .where(Task.status == TaskStatus.PUBLISHED)
             .options(selectinload(Task.plan))
             .order_by(Task.published_at.desc(), Task.id.desc()))
    if plan_id is not None:
        query = query.where(Task.plan_id == plan_id)
    if agency_id is not None:
        query = query.where(Task.agency_id == agency_id)
    if department_id is not None:  # joint inspections count for every department in them
        joint_plans = select(_models.plan_department.c.plan_id).where(
            _models.plan_department.c.department_id == department_id)
        query = query.where(or_(Plan.lead_department_id == department_id,
                                Plan.id.in_(joint_plans)))
    return list(db.session.scalars(query.limit(limit)))


def public_task(number: str) -> Task | None:
    """A task the public may see: its result once published; before that only the fact it
    was drawn, and only where the plan publishes its drawn list."""
    found = task_by_number(number)
    if found is None or found.plan.status not in PUBLIC_PLAN_STATUSES:
        return None
    if found.status == TaskStatus.PUBLISHED or found.plan.publish_drawn_list:
        return found
    return None


def department(department_id: int) -> Organisation | None:
    found = db.session.get(Organisation, department_id)
    return found if found is not None and found.kind == OrgKind.DEPARTMENT else None


# Regulator dashboard

def _year_tasks(year: int):
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    return Task.window_ends_on >= start, Task.window_ends_on < end


def _pool_size(service_item_id: int | None) -> int:
    """The object pool now (I1's `object_pool`), for one service item when given."""
    return len(object_pool(PoolFilters(service_item_id=service_item_id)))


@dataclass(frozen=True)
class CoverageRow:
    key: int
    label: str
    drawn: int  # distinct agencies drawn in the year
    pool: int  # agencies in the pool now

    @property
    def percent(self) -> float:
        return round(100 * self.drawn / self.pool, 1) if self.pool else 0.0


def coverage_by_item(year: int) -> list[CoverageRow]:
    rows = db.session.execute(
        select(InspectionItem, func.count(distinct(Task.agency_id)))
        .join(plan_item, plan_item.c.item_id == InspectionItem.id)
        .join(Task, Task.plan_id == plan_item.c.plan_id)
        .where(*_year_tasks(year))
        .group_by(InspectionItem.id).order_by(InspectionItem.code)).all()
    return [CoverageRow(item.id, f"{item.code} {item.name}", drawn,
                        _pool_size(item.service_item_id)) for item, drawn in rows]


def coverage_by_department(year: int) -> list[CoverageRow]:
    rows = db.session.execute(
        select(Organisation, func.count(distinct(Task.agency_id)))
        .join(Plan, Plan.lead_department_id == Organisation.id)
        .join(Task, Task.plan_id == Plan.id)
        .where(*_year_tasks(year))
        .group_by(Organisation.id).order_by(Organisation.name)).all()
    pool = _pool_size(None)
    return [CoverageRow(org.id, org.name, drawn, pool) for org, drawn in rows]


def results_by_code(year: int) -> dict[str, int]:
    return dict(db.session.execute(
        select(Task.result_code, func.count())
        .where(Task.result_code.is_not(None), *_year_tasks(year))
        .group_by(Task.result_code)).all())


def overdue_results(today: date, department_id: int | None) -> list:
    """Window passed without a result, in the department's plans."""
    return _department_tasks(department_id, Task.status == TaskStatus.ASSIGNED,
                             Task.window_ends_on < today, order=Task.window_ends_on)


def overdue_publications(today: date, department_id: int | None) -> list:
    """Result entered, publication past due, in the department's plans."""
    return _department_tasks(department_id, Task.status == TaskStatus.RESULT_ENTERED,
                             Task.publish_due_on < today, order=Task.publish_due_on)


def rectification_overdue(today: date) -> tuple:
    """A rectification order whose deadline has passed (before `today`, local) with no
    follow-up recorded (RULES.md §3 "rectification order with deadline and follow-up")."""
    return (Task.rectification_order.is_not(None), Task.rectification_due_on < today,
            Task.followed_up_at.is_(None))


def overdue_rectifications(today: date, department_id: int | None) -> list:
    """Rectification overdue without follow-up, in the department's plans."""
    return _department_tasks(department_id, *rectification_overdue(today),
                             order=Task.rectification_due_on)


def _department_tasks(department_id: int | None, *conditions, order) -> list:
    """Tasks of plans the department leads or joins (the only tasks its users may open),
    oldest deadline first."""
    if department_id is None:
        return []
    return list(db.session.scalars(
        select(Task).join(Plan, Plan.id == Task.plan_id)
        .where(*conditions, led_or_joined_by(department_id)).order_by(order, Task.id)))


# --- I2: reads of the draw (objects per stratum, teams, redraws) ----------------------------
# (imports local to this section so the sections stay independent)

from datetime import UTC as _UTC  # noqa: E402
from datetime import datetime as _datetime  # noqa: E402

from core.calendar import LOCAL_TZ as _LOCAL_TZ  # noqa: E402
from core.randomness import Draw as _Draw  # noqa: E402
from inspection import models as _models  # noqa: E402
from inspection import rules as _rules  # noqa: E402


def _local_year_bounds(now: _datetime) -> tuple[_datetime, _datetime]:
    """The local (Asia/Shanghai) calendar year of `now`, as UTC instants."""
    year = now.astimezone(_LOCAL_TZ).year
    return (_datetime(year, 1, 1, tzinfo=_LOCAL_TZ).astimezone(_UTC),
            _datetime(year + 1, 1, 1, tzinfo=_LOCAL_TZ).astimezone(_UTC))


def inspected_this_year(plan: Plan, period_id: int, now: _datetime) -> set[int]:
    """Agencies already inspected this (local) year, in another period, for every item of
    this plan: the A agencies among them are not drawn again (RULES.md §3, "same item").
    One inspected for only some of the items stays in the pool for the others."""
    item_ids = {i.id for i in plan.items}
    if not item_ids:
        return set()
    start, end = _local_year_bounds(now)
    pairs = db.session.execute(
        select(_models.Task.agency_id, _models.plan_item.c.item_id).distinct()
        .join(_models.PlanPeriod, _models.Task.period_id == _models.PlanPeriod.id)
        .join(_models.plan_item, _models.plan_item.c.plan_id == _models.Task.plan_id)
        .where(_models.plan_item.c.item_id.in_(item_ids), _models.Task.period_id != period_id,
               _models.PlanPeriod.due_at >= start, _models.PlanPeriod.due_at < end))
    covered: dict[int, set[int]] = {}
    for agency_id, item_id in pairs:
        covered.setdefault(agency_id, set()).add(item_id)
    return {agency_id for agency_id, items in covered.items() if items >= item_ids}


def available_inspectors(department_ids: list[int],
                         exclude: set[int] = frozenset()) -> list[InspectorProfile]:
    """Available inspectors (active inspector-role users) of these departments, by id."""
    query = (select(InspectorProfile).join(User, InspectorProfile.user_id == User.id)
             .where(InspectorProfile.available.is_(True), User.active.is_(True),
                    User.role == Role.INSPECTOR, User.organisation_id.in_(department_ids))
             .order_by(InspectorProfile.id))
    if exclude:
        query = query.where(InspectorProfile.id.not_in(exclude))
    return list(db.session.scalars(query))


def conflicted_pairs(agency_ids: set[int]) -> set[tuple[int, int]]:
    """Declared conflicts (inspector id, agency id) concerning these agencies."""
    if not agency_ids:
        return set()
    rows = db.session.execute(
        select(InspectorConflict.inspector_id, InspectorConflict.agency_id)
        .where(InspectorConflict.agency_id.in_(agency_ids)))
    return {(row.inspector_id, row.agency_id) for row in rows}


def open_task_load() -> dict[int, int]:
    """Open tasks (result not entered yet) per inspector; replaced members left out."""
    rows = db.session.execute(
        select(_models.TaskInspector.inspector_id, func.count())
        .join(_models.Task, _models.TaskInspector.task_id == _models.Task.id)
        .where(_models.TaskInspector.replaced_at.is_(None),
               _models.Task.status == _models.TaskStatus.ASSIGNED)
        .group_by(_models.TaskInspector.inspector_id))
    return {inspector_id: count for inspector_id, count in rows}


def period_selection(period: "_models.PlanPeriod") -> list[str]:
    """The drawn object keys recomputed from what is published: the object draw's rank
    order and each stratum's count in the period's pool snapshot (for the public page)."""
    record = db.session.get(_Draw, period.object_draw_id)
    if record is None or record.result is None or not period.pool_snapshot:
        return []
    counts = {s["stratum"]: s["count"] for s in period.pool_snapshot}
    return _rules.select_per_stratum(record.result, counts)
