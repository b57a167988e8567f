"""What anyone can check of a period's draws beyond the ranking itself (RULES.md §3 "Draw"),
registered with core.randomness so the public draw page and `intermart verify-draw` report
it; and who may see an object draw whose plan does not publish its drawn list.

- Object draw: the candidates are the period's recorded pool; each stratum's count is
  ceil(ratio × size), topped up to the plan's minimum; each stratum's first `count` keys in
  the rank order are exactly the agencies the period's tasks inspect.
- Team draw: `rules.assign_teams` over the recorded inputs and the published rank order gives
  the recorded teams, and those are the teams the tasks had at the draw (before any redraw).
"""

from decimal import Decimal

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import randomness
from core.extensions import db
from core.randomness import Draw
from inspection import queries, rules
from inspection.models import PlanPeriod, Task
from inspection.operations.draws import inspector_key, object_key
from inspection.operations.plans import DRAW_PURPOSE, TEAMS_PURPOSE

Check = tuple[bool, str]


def _period_of(record: Draw, column) -> PlanPeriod | None:
    return db.session.scalar(select(PlanPeriod).where(column == record.id))


def _period_tasks(period: PlanPeriod) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.period_id == period.id)
                                   .order_by(Task.id)))


def check_objects(record: Draw) -> list[Check]:
    period = _period_of(record, PlanPeriod.object_draw_id)
    if period is None or not period.pool_snapshot:
        return []
    strata = period.pool_snapshot
    agency_of = {object_key(s["stratum"], a["uscc"]): a["agency_id"]
                 for s in strata for a in s["agencies"]}
    counts = rules.stratum_counts({s["stratum"]: s["size"] for s in strata},
                                  {s["stratum"]: Decimal(s["ratio"]) for s in strata},
                                  period.plan.min_count)
    drawn = sorted(agency_of.get(key, 0) for key in queries.period_selection(period))
    inspected = sorted(task.agency_id for task in _period_tasks(period))
    candidates = sorted(c["key"] for c in record.candidates or [])
    return [
        (candidates == sorted(agency_of),
         _("The candidates are the pool recorded for the period, stratum by stratum")),
        (all(counts[s["stratum"]] == s["count"] for s in strata),
         _("Each stratum draws ceil(ratio × size) agencies, topped up to the plan's minimum")),
        (drawn == inspected,
         _("The first agencies of each stratum in the draw order are those the period's "
           "tasks inspect")),
    ]


def check_teams(record: Draw) -> list[Check]:
    period = _period_of(record, PlanPeriod.team_draw_id)
    inputs = period.team_inputs if period is not None else None
    if not inputs:
        return []  # drawn before the inputs were recorded
    departments = {department: keys for department, keys in inputs["departments"]}
    try:
        recomputed = rules.assign_teams(inputs["objects"], departments,
                                        {tuple(pair) for pair in inputs["conflicts"]},
                                        inputs["team_size"], record.result or [],
                                        inputs["load"])
    except (rules.TeamUnavailable, KeyError, TypeError):
        recomputed = None
    object_of = {agency_id: key for key, agency_id in inputs["agencies"].items()}
    at_draw = {object_of.get(task.agency_id): _team_at_draw(task)
               for task in _period_tasks(period)}
    candidates = sorted(c["key"] for c in record.candidates or [])
    return [
        (candidates == sorted(key for keys in departments.values() for key in keys),
         _("The candidates are the available inspectors of the plan's departments")),
        (recomputed == inputs["teams"],
         _("Assigning teams again from the recorded load, conflicts and team size in this "
           "draw order gives the recorded teams")),
        (at_draw == {key: sorted(team) for key, team in inputs["teams"].items()},
         _("The recorded teams are the teams the tasks were given at the draw")),
    ]


def _team_at_draw(task: Task) -> list[str]:
    """The task's members less those a recorded redraw brought in."""
    brought_in = set()
    for member in task.team:
        if member.replacement_draw_id is not None:
            brought_in |= set(db.session.get(Draw, member.replacement_draw_id).result or [])
    return sorted(key for key in (inspector_key(m.inspector_id) for m in task.team)
                  if key not in brought_in)


def may_see_objects(record: Draw) -> bool:
    """A plan that does not publish its drawn list shows the draw's seed, candidates and
    result to its departments only: with them anyone could recompute the list."""
    period = _period_of(record, PlanPeriod.object_draw_id)
    return period is None or period.plan.publish_drawn_list \
        or queries.is_plan_department_user(current_user, period.plan)


randomness.register_check(DRAW_PURPOSE, check_objects)
randomness.register_check(TEAMS_PURPOSE, check_teams)
randomness.register_disclosure(DRAW_PURPOSE, may_see_objects)
