"""The draw of a plan period (RULES.md §3 "Draw"): objects per credit stratum, then a team
per object, and the recorded redraw of a member who declares a conflict afterwards.

How a period's draw can be checked from what is published:
- Objects: ONE draw (the period's `object_draw_id`, committed when the plan was published)
  ranks every candidate of every stratum at once (pick = all). Candidate keys are
  "<stratum>:<USCC>"; a stratum is a credit level, with "+"/"-" when a credit measure raised
  or lowered that agency's ratio (e.g. "C+"). The period's `pool_snapshot` keeps each
  stratum's ratio, size and count; the drawn agencies are, for each stratum, its first
  `count` keys in the published rank order (`rules.select_per_stratum`), so
  `intermart verify-draw` of the object draw reproduces every selection.
- Teams: a second draw (`team_draw_id`, committed with the first) ranks the available
  inspectors of the plan's departments ("inspector:<id>"); `rules.assign_teams` then takes,
  per object in the object rank order, the least-loaded eligible inspector, ties by that
  rank. Its inputs (inspectors by department, open-task load, declared conflicts, team size)
  and the teams it gave are kept in `team_inputs`, and `verify-draw` of the team draw
  recomputes the teams and compares them with the tasks' (inspection/verification.py).
- A redraw after a post-draw conflict is its own draw over the least-loaded eligible
  inspectors of the member's department; its first-ranked candidate joins the team.
"""

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from core import audit, randomness
from core.auth.models import Organisation
from core.calendar import add_working_days
from core.db import utcnow
from core.errors import Conflict, DomainError
from core.extensions import db
from core.notifications import notify
from core.pdf import document_number
from core.randomness import Candidate, Draw
from credit.models import Effect
from credit.operations.lists import PLATFORM_LOCALE
from credit.queries.restrictions import record_execution, restrictions_for_many
from credit.queries.subjects import local_today
from inspection import queries, rules
from inspection.models import (
    InspectorConflict,
    InspectorProfile,
    PeriodStatus,
    Plan,
    PlanPeriod,
    Task,
    TaskInspector,
    TaskStatus,
)
from inspection.operations.plans import TEAMS_PURPOSE

TASK_NUMBER_PREFIX = "JCRW"
MODULE = "inspection"
REDRAW_PURPOSE = "inspection.redraw"
# Explicit transition tables (ARCHITECTURE.md "Conventions").
PERIOD_TRANSITIONS = {PeriodStatus.COMMITTED: {PeriodStatus.DRAWN}}
REDRAW_ALLOWED = {TaskStatus.ASSIGNED}  # a team changes only before the result is entered


# --- the period draw -------------------------------------------------------------------------


def draw_period(period: PlanPeriod, now: datetime | None = None) -> list[Task]:
    """Draw a due, committed period: its agencies, their teams, the tasks. A period that is
    not committed or not due yet, or that another scheduler has just drawn, gives []."""
    now = now or utcnow()
    if PeriodStatus.DRAWN not in PERIOD_TRANSITIONS.get(period.status, ()) or period.due_at > now:
        return []
    if not _claim(period, now):
        return []  # lost the race: the other scheduler draws it (RULES.md §3)
    plan = period.plan
    strata = _strata(plan, period, now)
    chosen = _draw_objects(period, strata)
    entries = {object_key(s.label, e.uscc): (s, e) for s in strata.values() for e in s.entries}
    teams = _draw_teams(plan, period, {key: entries[key][1].agency_id for key in chosen})
    tasks = [_create_task(plan, period, *entries[key], teams[key], now) for key in chosen]
    period.pool_snapshot = [stratum.snapshot() for stratum in strata.values()]
    db.session.flush()
    for task in tasks:
        _notify(task)
    audit.record("inspection.period.draw", "inspection_period", period.id,
                 before={"status": PeriodStatus.COMMITTED},
                 after={"status": period.status, "object_draw_id": period.object_draw_id,
                        "team_draw_id": period.team_draw_id,
                        "tasks": [task.number for task in tasks]})
    return tasks


def _claim(period: PlanPeriod, now: datetime) -> bool:
    """The guarded UPDATE … WHERE status = 'committed': exactly one caller wins."""
    claimed = db.session.execute(
        update(PlanPeriod)
        .where(PlanPeriod.id == period.id, PlanPeriod.status == PeriodStatus.COMMITTED)
        .values(status=PeriodStatus.DRAWN, drawn_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        period.status, period.drawn_at = PeriodStatus.DRAWN, now
        db.session.flush()
    else:
        db.session.expire(period)
    return bool(claimed)


class _Stratum:
    """The agencies of one stratum with their ratio and the measures behind it."""

    def __init__(self, label: str, level: str, ratio):
        self.label, self.level, self.ratio = label, level, ratio
        self.entries: list = []
        self.excluded: list = []  # A agencies inspected this year for the plan's items
        self.measures: dict[str, object] = {}  # uscc → Restriction that changed the ratio
        self.count = 0

    def snapshot(self) -> dict:
        return {"stratum": self.label, "level": self.level, "ratio": str(self.ratio),
                "size": len(self.entries), "count": self.count,
                "agencies": [_entry_json(e) for e in self.entries],
                "excluded": [_entry_json(e) for e in self.excluded]}


def _entry_json(entry) -> dict:
    return {"agency_id": entry.agency_id, "uscc": entry.uscc, "name": entry.name}


def _strata(plan: Plan, period: PlanPeriod, now: datetime) -> dict[str, _Stratum]:
    """The pool per stratum, A agencies already inspected this year left out, each
    agency's ratio adjusted by the credit measures in force (RULES.md §2, §3)."""
    pool = queries.object_pool(plan)  # levels already effective: "new" counts as B
    eligible = rules.exclude_recent_a(pool, queries.inspected_this_year(plan, period.id, now))
    eligible_ids = {entry.agency_id for entry in eligible}
    restrictions = restrictions_for_many([e.uscc for e in eligible], today=local_today(now))
    strata: dict[str, _Stratum] = {}
    for entry in eligible:
        found = {r.effect: r for r in restrictions.get(entry.uscc, [])}
        raised = found.get(Effect.RAISE_INSPECTION_RATIO)
        lowered = found.get(Effect.LOWER_INSPECTION_RATIO)
        label = rules.stratum_label(entry.level, bool(raised), bool(lowered))
        ratio = rules.adjust_ratio(plan.ratios.get(entry.level, 0), bool(raised), bool(lowered))
        stratum = strata.setdefault(label, _Stratum(label, entry.level, ratio))
        stratum.entries.append(entry)
        if label != entry.level:
            stratum.measures[entry.uscc] = raised or lowered
    for entry in pool:
        if entry.agency_id not in eligible_ids:
            strata.setdefault(entry.level, _Stratum(entry.level, entry.level,
                                                    plan.ratios.get(entry.level, 0)))
            strata[entry.level].excluded.append(entry)
    counts = rules.stratum_counts({s.label: len(s.entries) for s in strata.values()},
                                  {s.label: s.ratio for s in strata.values()}, plan.min_count)
    for label, count in counts.items():
        strata[label].count = count
    return dict(sorted(strata.items(), key=lambda item: rules.risk_key(item[0])))


def _draw_objects(period: PlanPeriod, strata: dict[str, _Stratum]) -> list[str]:
    """One draw ranks every candidate; each stratum takes its first `count` (module doc)."""
    candidates = [Candidate(key=object_key(s.label, e.uscc), label=e.name)
                  for s in strata.values() for e in s.entries]
    if not candidates:
        return []
    record = db.session.get(Draw, period.object_draw_id)
    ranked = randomness.draw(record, candidates, pick=len(candidates))
    return rules.select_per_stratum(ranked, {s.label: s.count for s in strata.values()})


def object_key(stratum: str, uscc: str) -> str:
    return f"{stratum}:{uscc}"


def inspector_key(inspector_id: int) -> str:
    return f"inspector:{inspector_id}"


def _draw_teams(plan: Plan, period: PlanPeriod,
                agency_of: dict[str, int]) -> dict[str, list[InspectorProfile]]:
    """The team draw: rank the plan departments' available inspectors, then assign each
    drawn object (key → agency id, in rank order) its team."""
    if not agency_of:
        return {}
    departments = [d.id for d in plan.departments]
    inspectors = queries.available_inspectors(departments)
    if not inspectors:
        raise Conflict(_("No available inspector in the plan's departments: the period "
                         "cannot be drawn."))
    ranked = randomness.draw(_team_draw(plan, period),
                             [_inspector_candidate(p) for p in inspectors], pick=len(inspectors))
    by_department = {d: [inspector_key(p.id) for p in inspectors
                         if p.user.organisation_id == d] for d in departments}
    pairs = queries.conflicted_pairs(set(agency_of.values()))
    conflicts = sorted((inspector_key(inspector_id), key) for key, agency_id in agency_of.items()
                       for inspector_id, conflicted in pairs if conflicted == agency_id)
    load = {inspector_key(i): n for i, n in queries.open_task_load().items()}
    try:
        teams = rules.assign_teams(list(agency_of), by_department, set(conflicts),
                                   plan.team_size, ranked, load)
    except rules.TeamUnavailable as error:
        raise Conflict(_team_error(error)) from error
    period.team_inputs = {"team_size": plan.team_size, "objects": list(agency_of),
                          "agencies": agency_of, "departments": list(by_department.items()),
                          "load": load, "conflicts": conflicts, "teams": teams}
    profiles = {inspector_key(p.id): p for p in inspectors}
    return {key: [profiles[member] for member in team] for key, team in teams.items()}


def _team_draw(plan: Plan, period: PlanPeriod) -> Draw:
    """The team draw committed with the period; periods committed before that was done
    commit theirs now."""
    if period.team_draw_id is not None:
        return db.session.get(Draw, period.team_draw_id)
    record = randomness.commit(TEAMS_PURPOSE, f"plan:{plan.number}:{period.period_key}")
    period.team_draw_id = record.id
    return record


def _team_error(error: rules.TeamUnavailable) -> str:
    department = db.session.get(Organisation, error.department) if error.department else None
    if department is None:
        return _("Not enough eligible inspectors to form a team of the plan's size.")
    return _("No eligible inspector of %(department)s: every one is unavailable or has "
             "declared a conflict.", department=department.name)


def _inspector_candidate(profile: InspectorProfile) -> Candidate:
    department = profile.user.organisation.name if profile.user.organisation else ""
    return Candidate(key=inspector_key(profile.id),
                     label=f"{profile.user.display_name} · {department}")


def _create_task(plan: Plan, period: PlanPeriod, stratum: _Stratum, entry,
                 team: list[InspectorProfile], now: datetime) -> Task:
    task = Task(number=next_task_number(now), plan_id=plan.id, period_id=period.id,
                agency_id=entry.agency_id, stratum=stratum.level,
                window_ends_on=add_working_days(local_today(now), plan.window_working_days))
    db.session.add(task)
    db.session.flush()
    for profile in team:
        db.session.add(TaskInspector(task_id=task.id, inspector_id=profile.id,
                                     department_id=profile.user.organisation_id))
    if entry.uscc in stratum.measures:
        record_execution(entry.uscc, stratum.measures[entry.uscc], MODULE,
                         f"{task.number}: drawn at {stratum.ratio}% ({stratum.label})")
    return task


def next_task_number(now: datetime) -> str:
    """JCRW-YYYY-NNNNNN, numbered within the local year."""
    year = local_today(now).year
    prefix = f"{TASK_NUMBER_PREFIX}-{year:04d}-"
    last = db.session.scalar(select(func.max(Task.number)).where(Task.number.like(prefix + "%")))
    return document_number(TASK_NUMBER_PREFIX, year, int(last[len(prefix):]) + 1 if last else 1)


def _notify(task: Task) -> None:
    agency = task.agency
    notify(_("Inspection notice: task %(number)s", number=task.number),
           _("%(agency)s has been drawn for inspection under plan %(plan)s. The inspection "
             "notice is available on the task page.", agency=agency.organisation.name,
             plan=task.plan.name),
           task_link(task), organisation_id=agency.organisation_id)
    db.session.refresh(task, ["team"])
    for member in task.team:
        notify(_("New inspection task %(number)s", number=task.number),
               _("You are on the team inspecting %(agency)s by %(date)s.",
                 agency=agency.organisation.name, date=task.window_ends_on.isoformat()),
               task_link(task), user_id=member.inspector.user_id)


def task_link(task: Task) -> str | None:
    return _path("inspection.task_detail", task_id=task.id)


def _path(endpoint: str, **values) -> str | None:
    """A page's path, built without a request too (the sweeper has none)."""
    try:
        return current_app.url_map.bind("").build(endpoint, values)
    except LookupError:  # werkzeug BuildError: no such page registered
        return None


def record_draw_failure(period: PlanPeriod, reason: str, now: datetime) -> None:
    """A due period that could not be drawn: keep why, how often and when (the sweeper
    waits `rules.draw_retry_delay` before the next try), and tell the lead department once
    per distinct reason, so someone fixes the cause instead of a log line nobody reads."""
    new_reason = reason != period.draw_error
    before = {"draw_error": period.draw_error, "draw_attempts": period.draw_attempts}
    period.draw_error, period.draw_attempted_at = reason, now
    period.draw_attempts = (period.draw_attempts or 0) + 1
    db.session.flush()
    if not new_reason:
        return
    audit.record("inspection.period.draw_failed", "inspection_period", period.id,
                 before=before, after={"draw_error": reason,
                                       "draw_attempts": period.draw_attempts})
    plan = period.plan
    with force_locale(PLATFORM_LOCALE):
        notify(_("Inspection plan %(number)s: the draw of %(period)s could not be made",
                 number=plan.number, period=period.period_key.replace("T", " ")),
               _("%(reason)s It is retried automatically; the plan page shows the latest "
                 "attempt.", reason=reason),
               _path("inspection.plan_detail", number=plan.number),
               organisation_id=plan.lead_department_id)


# --- redraw after a conflict declared post-draw -------------------------------------------


def redraw_member(member: TaskInspector, reason: str,
                  now: datetime | None = None) -> TaskInspector | None:
    """Replace a team member who declares a conflict after the draw (RULES.md §3): the
    conflict is recorded (unless already declared), a new committed and drawn Draw runs over
    the least-loaded eligible inspectors of the same department (available, no conflict
    with the agency, never on this team); the old row is marked replaced with the reason
    and the draw; the winner gets a new row. With nobody eligible left the conflict still
    stands: the member awaits a replacement (None), the lead department is told, and no
    result can be entered until `retry_replacement` succeeds."""
    now = now or utcnow()
    reason = (reason or "").strip()
    _require_replaceable(member)
    if not reason:
        raise DomainError(_("Give the reason for the replacement."))
    declared = _declare_conflict(member, reason, now)
    replacement = _replace(member, reason, now, declared)
    if replacement is None:
        _await_replacement(member, reason)
    return replacement


def retry_replacement(member: TaskInspector, now: datetime | None = None) -> TaskInspector:
    """Draw the replacement of a member who declared a conflict when nobody was eligible
    (the plan's departments may have added or freed an inspector since)."""
    now = now or utcnow()
    _require_replaceable(member)
    conflict = queries.conflict_between(member.inspector_id, member.task.agency_id)
    if conflict is None:
        raise Conflict(_("This team member has not declared a conflict."))
    replacement = _replace(member, conflict.reason, now, declared=False)
    if replacement is None:
        raise Conflict(_("Still no other eligible inspector of this department: add or free "
                         "one, then try again."))
    return replacement


def _require_replaceable(member: TaskInspector) -> None:
    if member.replaced_at is not None:
        raise Conflict(_("This team member has already been replaced."))
    if member.task.status not in REDRAW_ALLOWED:
        raise Conflict(_("The team of a task whose result is entered cannot change."))


def _replace(member: TaskInspector, reason: str, now: datetime,
             declared: bool) -> TaskInspector | None:
    """The recorded redraw itself; None when no inspector of the department is eligible."""
    task = member.task
    candidates = _redraw_candidates(task, member.department_id)
    if not candidates:
        return None
    record = randomness.commit(REDRAW_PURPOSE, f"task:{task.number}")
    winner_key = randomness.draw(record, [_inspector_candidate(p) for p in candidates])[0]
    winner = next(p for p in candidates if inspector_key(p.id) == winner_key)
    member.replaced_at, member.replacement_reason = now, reason
    member.replacement_draw_id = record.id
    replacement = TaskInspector(task_id=task.id, inspector_id=winner.id,
                                department_id=member.department_id)
    db.session.add(replacement)
    db.session.flush()
    notify(_("New inspection task %(number)s", number=task.number),
           _("You replace a team member inspecting %(agency)s by %(date)s.",
             agency=task.agency.organisation.name, date=task.window_ends_on.isoformat()),
           task_link(task), user_id=winner.user_id)
    audit.record("inspection.team.redraw", "inspection_task", task.id,
                 before={"inspector_id": member.inspector_id},
                 after={"inspector_id": winner.id, "reason": reason, "draw_id": record.id,
                        "conflict_declared": declared})
    return replacement


def _await_replacement(member: TaskInspector, reason: str) -> None:
    task = member.task
    audit.record("inspection.team.awaiting_replacement", "inspection_task", task.id,
                 after={"inspector_id": member.inspector_id, "reason": reason})
    department = db.session.get(Organisation, member.department_id)
    with force_locale(PLATFORM_LOCALE):
        notify(_("Inspection task %(number)s needs a replacement inspector", number=task.number),
               _("%(inspector)s declared a conflict of interest with %(agency)s and no other "
                 "eligible inspector of %(department)s is available. Add or free one, then "
                 "draw the replacement on the task page; no result can be entered before.",
                 inspector=member.inspector.user.display_name,
                 agency=task.agency.organisation.name, department=department.name),
               task_link(task), organisation_id=task.plan.lead_department_id)


def _declare_conflict(member: TaskInspector, reason: str, now: datetime) -> bool:
    """Keep the conflict on record (回避), so later draws avoid the pair too; False when it
    was already declared."""
    if queries.conflict_between(member.inspector_id, member.task.agency_id) is not None:
        return False
    db.session.add(InspectorConflict(inspector_id=member.inspector_id,
                                     agency_id=member.task.agency_id, reason=reason,
                                     declared_at=now))
    db.session.flush()
    return True


def _redraw_candidates(task: Task, department_id: int) -> list[InspectorProfile]:
    """Least-loaded eligible inspectors of the department: the load rule is applied before
    the draw, so the draw's first-ranked candidate is the replacement."""
    members = {m.inspector_id for m in task.team}  # a replaced member does not come back
    conflicted = {inspector_id for inspector_id, _ in queries.conflicted_pairs({task.agency_id})}
    eligible = queries.available_inspectors([department_id], exclude=members | conflicted)
    if not eligible:
        return []
    load = queries.open_task_load()
    least = min(load.get(p.id, 0) for p in eligible)
    return [p for p in eligible if load.get(p.id, 0) == least]
