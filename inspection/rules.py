"""Pure inspection rules (RULES.md §3): no database, no Flask. Each engineer's rules live in
their own section below."""

import math
from collections.abc import Hashable, Iterable, Mapping
from datetime import timedelta
from decimal import Decimal

# --- I2: the draw (objects per stratum, then teams) ----------------------------------------

LEVELS = ("A", "B", "C", "D")
# Top-up order when the strata give fewer objects than the plan's minimum count: the highest
# risk first (D, then C, B, A), so the extra inspections go where problems are likeliest.
RISK_ORDER = ("D", "C", "B", "A")
HUNDRED = Decimal(100)
# Credit measures (RULES.md §2 "Joint reward and punishment"): raise_inspection_ratio
# multiplies a level's ratio by RAISED_RATIO_FACTOR (capped at 100 %),
# lower_inspection_ratio by LOWERED_RATIO_FACTOR. Both at once cancel out (×2 × 0.5).
RAISED_RATIO_FACTOR = Decimal(2)
LOWERED_RATIO_FACTOR = Decimal("0.5")
# Stratum label suffixes for agencies whose ratio a measure changed, e.g. "C+" (raised).
RAISED, LOWERED = "+", "-"


class TeamUnavailable(ValueError):
    """No team can be formed for an object: a department has no eligible inspector left
    (all conflicted or unavailable), or there are fewer eligible inspectors than the team
    size."""

    def __init__(self, obj: Hashable, department: Hashable | None = None):
        self.object = obj
        self.department = department
        where = f"from department {department}" if department is not None else "enough"
        super().__init__(f"no eligible inspector {where} for {obj}")


def stratum_level(stratum: str) -> str:
    """"C+" → "C": the credit level a stratum label stands for."""
    return stratum.rstrip(RAISED + LOWERED)


def risk_key(stratum: str) -> tuple[int, int]:
    """Sort key, highest risk first: D before C …; within a level raised, plain, lowered."""
    level = stratum_level(stratum)
    suffix = stratum[len(level):]
    return RISK_ORDER.index(level), {RAISED: 0, "": 1, LOWERED: 2}.get(suffix, 1)


def stratum_counts(strata: Mapping[str, int], ratios: Mapping[str, Decimal],
                   min_count: int = 0) -> dict[str, int]:
    """How many objects to draw per stratum (RULES.md §3 "Draw"): ceil(ratio % × size), in
    exact Decimal arithmetic; a non-empty stratum with a ratio above 0 gets at least one.
    When the total is below `min_count`, the remainder comes from the highest-risk strata
    first (RISK_ORDER), each up to its size. Never more than a stratum holds."""
    counts = {}
    for stratum, size in strata.items():
        ratio = Decimal(ratios.get(stratum, 0))
        wanted = math.ceil(ratio * size / HUNDRED) if size and ratio > 0 else 0
        counts[stratum] = min(size, wanted)
    missing = min_count - sum(counts.values())
    for stratum in sorted(strata, key=risk_key):
        if missing <= 0:
            break
        extra = min(missing, strata[stratum] - counts[stratum])
        counts[stratum] += extra
        missing -= extra
    return counts


def adjust_ratio(base: Decimal | str | int, raised: bool, lowered: bool) -> Decimal:
    """A level's ratio (%) for an agency under credit measures: ×RAISED_RATIO_FACTOR when
    raise_inspection_ratio applies, ×LOWERED_RATIO_FACTOR when lower_inspection_ratio does;
    the result stays within 0–100 %."""
    ratio = Decimal(base)
    if raised:
        ratio *= RAISED_RATIO_FACTOR
    if lowered:
        ratio *= LOWERED_RATIO_FACTOR
    return max(Decimal(0), min(HUNDRED, ratio))


def stratum_label(level: str, raised: bool, lowered: bool) -> str:
    """Agencies of one level whose ratio a measure changed form their own stratum ("C+")."""
    if raised == lowered:
        return level
    return level + (RAISED if raised else LOWERED)


def exclude_recent_a(entries: Iterable, already_inspected_this_year: set) -> list:
    """RULES.md §3: a low-risk (A) agency is not drawn again in the same year for the same
    item. `entries` have `.agency_id` and `.level`; the set holds agency ids inspected this
    year for every one of the plan's items."""
    return [e for e in entries
            if not (e.level == "A" and e.agency_id in already_inspected_this_year)]


def select_per_stratum(ranked_keys: list[str], counts: Mapping[str, int]) -> list[str]:
    """The winners: for each stratum its first `counts[stratum]` candidates in the draw's
    one rank order (keys are "<stratum>:<id>"); returned in rank order."""
    taken = dict.fromkeys(counts, 0)
    winners = []
    for key in ranked_keys:
        stratum = key.split(":", 1)[0]
        if taken.get(stratum, 0) < counts.get(stratum, 0):
            taken[stratum] += 1
            winners.append(key)
    return winners


def _least_loaded(obj, pool: list, team: list, conflicts: set, load: dict, rank: dict,
                  department=None):
    """The eligible inspector of `pool` with the fewest tasks, ties by draw rank; counted."""
    eligible = [k for k in pool if k in rank and k not in team and (k, obj) not in conflicts]
    if not eligible:
        raise TeamUnavailable(obj, department)
    chosen = min(eligible, key=lambda k: (load[k], rank[k]))
    load[chosen] += 1
    return chosen


def assign_teams(objects: list[Hashable], inspectors_by_department: Mapping[Hashable, list],
                 conflicts: set[tuple], team_size: int, draw_order: list,
                 current_load: Mapping | None = None) -> dict[Hashable, list]:
    """A team per object (RULES.md §3): first one inspector from each department (in the
    mapping's order: lead first), then members from any department up to `team_size`; never
    an inspector with a declared conflict `(inspector, object)`; each time the least-loaded
    eligible inspector, ties broken by the team draw's rank order (`draw_order`). Load counts
    `current_load` (open tasks) plus the teams assigned here. Raises TeamUnavailable."""
    rank = {key: i for i, key in enumerate(draw_order)}
    load = {key: (current_load or {}).get(key, 0) for key in rank}
    everyone = [key for members in inspectors_by_department.values() for key in members]
    teams = {}
    for obj in objects:
        team: list = []
        for department, members in inspectors_by_department.items():
            team.append(_least_loaded(obj, members, team, conflicts, load, rank, department))
        while len(team) < team_size:
            team.append(_least_loaded(obj, everyone, team, conflicts, load, rank))
        teams[obj] = team
    return teams


# --- I1: plans (validation, schedule, transitions) -----------------------------------------

PLAN_TRANSITIONS = {  # (status, action) → new status; RULES.md §3 "Plan"
    ("draft", "approve"): "approved",
    ("approved", "publish"): "published",
    ("published", "close"): "closed",
    ("draft", "delete"): None,  # a draft may be thrown away; nothing else is deleted
}
EDITABLE_STATUSES = ("draft",)
PERIODS_AHEAD = 4  # a cron plan keeps this many future periods committed (seed hash public)
MAX_DRAW_RETRY_MINUTES = 60
DRAW_HOUR = 9  # a fixed-date period draws at 09:00 Beijing time


def draw_retry_delay(attempts: int) -> timedelta:
    """How long a due period that could not be drawn waits before the next try: 1, 2, 4 …
    minutes, at most an hour, so a fixed cause (inspectors added) is picked up soon without
    retrying a lasting one every minute."""
    if attempts <= 0:
        return timedelta(0)
    return timedelta(minutes=min(MAX_DRAW_RETRY_MINUTES, 2 ** min(attempts - 1, 10)))


def plan_transition(status: str, action: str) -> str | None:
    """The status after `action`; KeyError when the table does not allow it."""
    return PLAN_TRANSITIONS[(str(status), action)]


def ratio_problems(ratios: Mapping) -> list[str]:
    """Ratios are percentages per level A–D, each within 0–100 (RULES.md §3 "Plan")."""
    problems = []
    if set(ratios) != set(LEVELS):
        problems.append("ratios must be given for levels A, B, C and D exactly")
    for level in LEVELS:
        try:
            value = Decimal(str(ratios.get(level)))
        except (ArithmeticError, ValueError):
            problems.append(f"ratio of {level} is not a number")
            continue
        if not value.is_finite() or not 0 <= value <= HUNDRED:
            problems.append(f"ratio of {level} must lie within 0–100")
    return problems


def check_ratios(value) -> None:
    """Settings check for `inspection.default_ratios`."""
    if not isinstance(value, Mapping):
        raise ValueError('ratios must be an object like {"A": 2, "B": 5, "C": 20, "D": 100}')
    if problems := ratio_problems(value):
        raise ValueError("; ".join(problems))


def team_size_problem(team_size: int, department_count: int) -> str | None:
    """A team has at least 2 inspectors and one from each department (RULES.md §3)."""
    if team_size < 2:
        return "team size must be at least 2"
    if team_size < department_count:
        return "team size must be at least the number of departments"
    return None


def parse_dates(text: str) -> list:
    """Fixed draw dates from comma- or newline-separated ISO dates, sorted, without repeats.
    ValueError names the first entry that is not a date."""
    from datetime import date

    days = set()
    for part in text.replace("，", ",").replace("\n", ",").split(","):
        if part := part.strip():
            try:
                days.add(date.fromisoformat(part))
            except ValueError:
                raise ValueError(part) from None
    return sorted(days)


def period_key(due_local) -> str:
    """The unique key of a period: its due time in Beijing time, to the minute."""
    return due_local.strftime("%Y-%m-%dT%H:%M")


def cron_trigger(expression: str):
    """The crontab expression as an APScheduler trigger in Beijing time; ValueError if bad."""
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger.from_crontab(expression.strip(), timezone="Asia/Shanghai")


def next_cron_times(expression: str, after, count: int) -> list:
    """The next `count` fire times strictly after `after` (aware), in Beijing time."""
    trigger, times, previous = cron_trigger(expression), [], None
    moment = after
    while len(times) < count:
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        if fire > after:
            times.append(fire)
        previous, moment = fire, fire
    return times
