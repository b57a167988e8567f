"""Inspection plans (抽查计划, RULES.md §3 "Plan"): drafted by the lead department, approved
by one of its org admins other than the drafter, published, closed.

Transitions (inspection/rules.py PLAN_TRANSITIONS): draft → approved → published → closed,
and a draft may be deleted. Publishing commits the object draw of every upcoming period now
(`core.randomness.commit`), so each period's seed hash is public before its draw. Each
operation writes one audit record and only flushes; the caller commits.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import audit, randomness, settings
from core.auth.models import Organisation, OrgKind, Role, User
from core.calendar import LOCAL_TZ
from core.errors import Conflict, DomainError, NotAllowed
from core.extensions import db
from core.pdf import document_number
from inspection import queries, rules
from inspection.models import Plan, PlanPeriod, PlanStatus, ScheduleKind
from inspection.operations.catalogue import by as _by
from market import queries as market_queries

DEFAULT_RATIOS_KEY = "inspection.default_ratios"
DEFAULT_RATIOS = {"A": 2, "B": 5, "C": 20, "D": 100}  # per cent, RULES.md §3
NUMBER_PREFIX = "JCJH"
DRAW_PURPOSE = "inspection.objects"
TEAMS_PURPOSE = "inspection.teams"


def declare_settings() -> None:
    settings.declare(DEFAULT_RATIOS_KEY, DEFAULT_RATIOS,
                     _l("Default inspection ratios by credit level (per cent)"),
                     rules.check_ratios)


def default_ratios() -> dict[str, Decimal]:
    stored = settings.get(DEFAULT_RATIOS_KEY, DEFAULT_RATIOS)
    return {level: Decimal(str(stored[level])) for level in rules.LEVELS}


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


@dataclass
class PlanInput:
    name: str
    item_ids: list[int]
    joint_department_ids: list[int] = field(default_factory=list)
    service_item_id: int | None = None
    region_code: str | None = None
    ratios: dict = field(default_factory=dict)  # level → per cent; empty: the defaults
    min_count: int = 1
    team_size: int = 2
    schedule_kind: ScheduleKind | str = ScheduleKind.DATES
    cron: str = ""
    dates: list[date] = field(default_factory=list)
    window_working_days: int = 20
    publish_drawn_list: bool = True


def snapshot(plan: Plan) -> dict:
    return {"number": plan.number, "name": plan.name, "status": plan.status,
            "lead_department_id": plan.lead_department_id,
            "joint_department_ids": sorted(d.id for d in plan.joint_departments),
            "item_ids": sorted(i.id for i in plan.items),
            "service_item_id": plan.service_item_id, "region_code": plan.region_code,
            "ratios": plan.ratios, "min_count": plan.min_count, "team_size": plan.team_size,
            "schedule_kind": plan.schedule_kind, "cron": plan.cron, "dates": plan.dates,
            "window_working_days": plan.window_working_days,
            "publish_drawn_list": plan.publish_drawn_list}


# --- Validation -----------------------------------------------------------------------------

def _joint_departments(lead_id: int, ids: list[int]) -> list[Organisation]:
    wanted = [i for i in dict.fromkeys(ids) if i != lead_id]
    found = [db.session.get(Organisation, i) for i in wanted]
    if any(org is None or org.kind != OrgKind.DEPARTMENT for org in found):
        raise DomainError(_("A joint department must be a department organisation."))
    return found


def _items(ids: list[int], department_ids: set[int]):
    chosen = [queries.item(i) for i in dict.fromkeys(ids)]
    if not chosen:
        raise DomainError(_("Choose at least one inspection item: no inspection without a "
                            "listed item."))
    for item in chosen:
        if item is None or not item.active:
            raise DomainError(_("An unknown or withdrawn inspection item was chosen."))
        if item.department_id not in department_ids:
            raise DomainError(_("The item %(code)s belongs to a department that is not part "
                                "of the plan.", code=item.code))
    return chosen


def _ratios(given: dict) -> dict[str, str]:
    ratios = given or default_ratios()
    if rules.ratio_problems(ratios):
        raise DomainError(_("Each ratio must be a percentage between 0 and 100."))
    try:
        return {level: format(Decimal(str(ratios[level])).normalize(), "f")
                for level in rules.LEVELS}
    except InvalidOperation as error:
        raise DomainError(_("Each ratio must be a percentage between 0 and 100.")) from error


def _check_scope(data: PlanInput) -> None:
    if data.service_item_id and market_queries.service_item(data.service_item_id) is None:
        raise DomainError(_("An unknown service item was chosen."))
    if data.region_code and market_queries.region(data.region_code) is None:
        raise DomainError(_("An unknown region was chosen."))
    if data.min_count < 1:
        raise DomainError(_("The minimum count must be at least 1."))
    if data.window_working_days < 1:
        raise DomainError(_("The inspection window must be at least one working day."))


def due_at_of(day: date) -> datetime:
    """A fixed-date period draws at rules.DRAW_HOUR Beijing time; stored in UTC."""
    return datetime.combine(day, time(rules.DRAW_HOUR), LOCAL_TZ).astimezone(UTC)


def _check_schedule(kind: ScheduleKind, cron: str, dates: list[date], now: datetime) -> None:
    if kind == ScheduleKind.CRON:
        try:
            rules.cron_trigger(cron or "")
        except ValueError as error:
            raise DomainError(_("The cron expression is not valid: %(reason)s",
                                reason=str(error))) from error
        return
    if not dates:
        raise DomainError(_("Give at least one draw date."))
    past = [day for day in dates if due_at_of(day) <= now]
    if past:
        raise DomainError(_("Draw dates must be in the future: %(day)s is not.",
                            day=past[0].isoformat()))


def _apply(plan: Plan, data: PlanInput, now: datetime) -> None:
    """Validate everything, then change the row: a refused edit leaves it untouched."""
    if not data.name.strip():
        raise DomainError(_("The plan needs a name."))
    joint = _joint_departments(plan.lead_department_id, data.joint_department_ids)
    department_ids = {plan.lead_department_id} | {d.id for d in joint}
    chosen = _items(data.item_ids, department_ids)
    if rules.team_size_problem(data.team_size, len(department_ids)):
        raise DomainError(_("A team needs at least 2 inspectors and one from each of the "
                            "plan's %(n)d departments.", n=len(department_ids)))
    ratios = _ratios(data.ratios)
    _check_scope(data)
    kind = ScheduleKind(data.schedule_kind)
    _check_schedule(kind, data.cron, data.dates, now)
    plan.name = data.name.strip()
    plan.joint_departments = joint
    plan.items = chosen
    plan.service_item_id = data.service_item_id or None
    plan.region_code = data.region_code or None
    plan.ratios = ratios
    plan.min_count = data.min_count
    plan.team_size = data.team_size
    plan.schedule_kind = kind
    plan.cron = data.cron.strip() if kind == ScheduleKind.CRON else None
    plan.dates = [d.isoformat() for d in sorted(set(data.dates))] \
        if kind == ScheduleKind.DATES else None
    plan.window_working_days = data.window_working_days
    plan.publish_drawn_list = data.publish_drawn_list


# --- Who may act ----------------------------------------------------------------------------

def _require_lead_user(actor: User, plan_or_department_id, roles=(Role.ORG_ADMIN, Role.STAFF)):
    department_id = getattr(plan_or_department_id, "lead_department_id", plan_or_department_id)
    if not queries.is_department_user(actor, department_id, roles):
        raise NotAllowed(_("Only the lead department's users may do this with the plan."))


def _transition(plan: Plan, action: str) -> PlanStatus | None:
    try:
        after = rules.plan_transition(plan.status, action)
    except KeyError:
        raise Conflict(_("A plan that is %(status)s cannot be changed this way.",
                         status=plan.status.value)) from None
    return PlanStatus(after) if after else None


# --- Operations -----------------------------------------------------------------------------

def draft(actor: User, data: PlanInput, now: datetime | None = None) -> Plan:
    """A new plan of the actor's department (the lead department)."""
    now = _now(now)
    if actor.org_kind != OrgKind.DEPARTMENT:
        raise NotAllowed(_("Only departments draft inspection plans."))
    _require_lead_user(actor, actor.organisation_id)
    plan = Plan(lead_department_id=actor.organisation_id, status=PlanStatus.DRAFT,
                created_at=now, number=f"DRAFT-{secrets.token_hex(8)}")
    plan.lead_department = actor.organisation
    _apply(plan, data, now)
    db.session.add(plan)
    db.session.flush()
    plan.number = document_number(NUMBER_PREFIX, now.astimezone(LOCAL_TZ).year, plan.id)
    db.session.flush()
    audit.record("inspection_plan.draft", "inspection_plan", plan.id, after=snapshot(plan),
                 actor=_by(actor))
    return plan


def update(actor: User, plan: Plan, data: PlanInput, now: datetime | None = None) -> Plan:
    _require_lead_user(actor, plan)
    if plan.status not in rules.EDITABLE_STATUSES:
        raise Conflict(_("Only a draft plan can be edited."))
    before = snapshot(plan)
    _apply(plan, data, _now(now))
    db.session.flush()
    audit.record("inspection_plan.update", "inspection_plan", plan.id, before=before,
                 after=snapshot(plan), actor=_by(actor))
    return plan


def approve(actor: User, plan: Plan, now: datetime | None = None) -> Plan:
    """An org admin of the lead department approves; the drafter may not approve their own
    plan (four eyes)."""
    _require_lead_user(actor, plan, roles=(Role.ORG_ADMIN,))
    status = _transition(plan, "approve")
    if queries.plan_drafter_id(plan) == actor.id:
        raise NotAllowed(_("The drafter of a plan may not approve it; another administrator "
                           "of the department must."))
    now = _now(now)
    _check_schedule(plan.schedule_kind, plan.cron or "", _plan_dates(plan), now)
    before = snapshot(plan)
    plan.status, plan.approved_at, plan.approved_by_id = status, now, actor.id
    db.session.flush()
    audit.record("inspection_plan.approve", "inspection_plan", plan.id, before=before,
                 after=snapshot(plan), actor=_by(actor))
    return plan


def publish(actor: User, plan: Plan, now: datetime | None = None) -> Plan:
    """Publish the plan and commit the object draw of each upcoming period: the seed hashes
    are public from now on, before anyone knows the pool (RULES.md §3)."""
    _require_lead_user(actor, plan)
    status = _transition(plan, "publish")
    now = _now(now)
    _check_schedule(plan.schedule_kind, plan.cron or "", _plan_dates(plan), now)
    before = snapshot(plan)
    plan.status, plan.published_at = status, now
    periods = _add_periods(plan, now)
    db.session.flush()
    after = snapshot(plan) | {"periods": {p.period_key: p.object_draw_id for p in periods}}
    audit.record("inspection_plan.publish", "inspection_plan", plan.id, before=before,
                 after=after, actor=_by(actor))
    return plan


def close(actor: User, plan: Plan, now: datetime | None = None) -> Plan:
    """No more periods; periods already committed but not drawn stay as they are."""
    _require_lead_user(actor, plan, roles=(Role.ORG_ADMIN,))
    status = _transition(plan, "close")
    before = snapshot(plan)
    plan.status = status
    db.session.flush()
    audit.record("inspection_plan.close", "inspection_plan", plan.id, before=before,
                 after=snapshot(plan), actor=_by(actor))
    return plan


def delete(actor: User, plan: Plan) -> None:
    _require_lead_user(actor, plan)
    _transition(plan, "delete")
    before, plan_id = snapshot(plan), plan.id
    db.session.delete(plan)
    db.session.flush()
    audit.record("inspection_plan.delete", "inspection_plan", plan_id, before=before,
                 actor=_by(actor))


# --- Periods --------------------------------------------------------------------------------

def _plan_dates(plan: Plan) -> list[date]:
    return [date.fromisoformat(d) for d in plan.dates or []]


def _upcoming_due_times(plan: Plan, now: datetime) -> list[datetime]:
    """Due times (UTC) the plan should have periods for: every fixed date; for cron, the
    next rules.PERIODS_AHEAD occurrences after the later of now and its last period."""
    if plan.schedule_kind == ScheduleKind.DATES:
        return [due_at_of(day) for day in _plan_dates(plan)]
    existing = [p.due_at for p in plan.periods]
    upcoming = [due for due in existing if _aware(due) > now]
    missing = rules.PERIODS_AHEAD - len(upcoming)
    if missing <= 0:
        return []
    start = max([now] + [_aware(due) for due in existing])
    return [fire.astimezone(UTC) for fire in rules.next_cron_times(plan.cron, start, missing)]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _add_period(plan: Plan, due_at: datetime) -> PlanPeriod | None:
    """Commit the period's object and team draws and insert the row. (plan, period_key) is
    unique: when another process inserted it first, this one's savepoint rolls back, draws
    included. Both seeds are fixed now, before anyone knows the pool or the inspectors."""
    key = rules.period_key(due_at.astimezone(LOCAL_TZ))
    reference = f"plan:{plan.number}:{key}"
    try:
        with db.session.begin_nested():
            objects = randomness.commit(DRAW_PURPOSE, reference)
            teams = randomness.commit(TEAMS_PURPOSE, reference)
            period = PlanPeriod(plan_id=plan.id, period_key=key, due_at=due_at,
                                object_draw_id=objects.id, team_draw_id=teams.id)
            db.session.add(period)
            db.session.flush()
    except IntegrityError:
        return None
    return period


def _add_periods(plan: Plan, now: datetime) -> list[PlanPeriod]:
    known = {p.period_key for p in plan.periods}
    added = []
    for due_at in _upcoming_due_times(plan, now):
        if rules.period_key(due_at.astimezone(LOCAL_TZ)) in known:
            continue
        if (period := _add_period(plan, due_at)) is not None:
            added.append(period)
    db.session.expire(plan, ["periods"])
    return added


def ensure_periods(plan: Plan, now: datetime | None = None) -> list[PlanPeriod]:
    """Top up a published cron plan to rules.PERIODS_AHEAD committed future periods
    (idempotent; the scheduler calls it). Returns the periods added."""
    if plan.status != PlanStatus.PUBLISHED or plan.schedule_kind != ScheduleKind.CRON:
        return []
    added = _add_periods(plan, _now(now))
    if added:
        audit.record("inspection_plan.periods", "inspection_plan", plan.id,
                     after={"periods": {p.period_key: p.object_draw_id for p in added}},
                     actor=(None, "system"))
    return added
