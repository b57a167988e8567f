"""Each (plan, period) draws exactly once, even with two schedulers (RULES.md §3, issue 5:
"two scheduler runs for the same period produce one draw"), on the committed ops database.

- Two `intermart scheduler` processes: the lease lets one run the draw sweeper.
- Two sweeps in two threads, each in its own app context and session, the lease bypassed
  (`run_sweeper`, what the scheduler calls once it holds the lease). On PostgreSQL both
  threads are held at the guard (`_claim` in inspection/operations/draws.py) until both
  have read the period as committed and due, so only the guarded UPDATE decides. SQLite
  takes the write lock at BEGIN (BEGIN IMMEDIATE, core/db.py): the second sweep waits for
  the first to commit and then finds nothing due, so there the test shows the writers
  serialise into one draw, and the guard is never reached twice.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import audit, randomness
from core.audit import AuditEntry
from core.db import utcnow
from core.extensions import db
from core.randomness import Draw
from core.scheduler import SWEEPERS, run_sweeper
from credit.operations.subjects import register_subject
from credit.queries.subjects import subject_for
from inspection import scheduled
from inspection.models import PeriodStatus, PlanPeriod, Task
from inspection.operations import draws
from tests.factories import make_agency, make_service_item
from tests.inspection.test_draws_support import make_inspectors, make_period, make_published_plan
from tests.ops.conftest import SQLITE_WRITERS, on_sqlite, run_two_schedulers

pytestmark = pytest.mark.ops

SWEEPER = "inspection.draw_due_periods"
POOL = {"D": 3, "C": 5}  # D drawn at 100 %, C at 20 %: ceil(0.2 × 5) = 1
EXPECTED_TASKS = 3 + 1
DRAW_ACTION = "inspection.period.draw"


@dataclass
class RaceWorld:
    plan_id: int
    period_id: int
    object_draw_id: int
    agency_ids: set[int]


def build(app) -> RaceWorld:
    """A published plan scoped to a service item of its own (so the pool holds only this
    world's agencies, whatever else the ops database holds), its agencies at levels D and
    C, four inspectors of its department, and one committed period due a minute ago. Names,
    USCCs and usernames come from the factories' process-wide counters, as in world.py; the
    ops database is new for every session (tests/ops/conftest.py `ops_url`)."""
    with app.app_context():
        plan, (lead, _joint) = make_published_plan()
        item = make_service_item(lead)
        plan.service_item_id = item.id
        agency_ids = set()
        for level, size in POOL.items():
            for _ in range(size):
                agency = make_agency(with_user=False, items=[item])
                subject = subject_for(agency.uscc) or register_subject(agency.uscc, agency.name)
                subject.level = level
                agency_ids.add(agency.id)
        make_inspectors(lead, 4)
        period = make_period(plan, utcnow() - timedelta(minutes=1))
        db.session.commit()
        world = RaceWorld(plan.id, period.id, period.object_draw_id, agency_ids)
        db.session.remove()
        return world


@dataclass
class DrawOutcome:
    status: str
    draw_entries: int  # `inspection.period.draw` audit entries about the period
    object_draw_made: int  # `draw.made` audit entries about the period's object draw
    object_draw_ok: bool
    team_draws: int  # team Draw rows made for the period
    tasks: list[tuple[int, int]]  # (task id, agency id)
    snapshot_count: int  # objects the period's pool snapshot says were drawn
    chain_ok: bool
    chain_reason: str


def outcome(app, world: RaceWorld) -> DrawOutcome:
    """What the database holds about the period, read in a fresh session."""
    with app.app_context():
        period = db.session.get(PlanPeriod, world.period_id)

        def entries(action: str, entity_type: str, entity_id: int) -> int:
            return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.entity_type == entity_type,
                AuditEntry.entity_id == str(entity_id)))

        object_draw = db.session.get(Draw, world.object_draw_id)
        team_draws = db.session.scalar(select(func.count()).select_from(Draw).where(
            Draw.purpose == draws.TEAMS_PURPOSE,
            Draw.reference == f"plan:{period.plan.number}:{period.period_key}"))
        tasks = db.session.execute(select(Task.id, Task.agency_id)
                                   .where(Task.period_id == world.period_id)
                                   .order_by(Task.id)).all()
        report = audit.verify()
        result = DrawOutcome(
            str(period.status), entries(DRAW_ACTION, "inspection_period", world.period_id),
            entries("draw.made", "draw", world.object_draw_id),
            object_draw.drawn_at is not None and randomness.verify(object_draw).ok,
            team_draws, [tuple(row) for row in tasks],
            sum(stratum["count"] for stratum in period.pool_snapshot or []),
            report.ok, report.reason)
        db.session.remove()
        return result


def assert_one_draw(result: DrawOutcome, world: RaceWorld) -> None:
    assert result.status == PeriodStatus.DRAWN
    assert result.draw_entries == 1
    assert result.object_draw_made == 1 and result.object_draw_ok
    assert result.team_draws == 1
    agencies = [agency_id for _task, agency_id in result.tasks]
    assert len(agencies) == EXPECTED_TASKS == result.snapshot_count
    assert len(set(agencies)) == len(agencies), "an agency was drawn twice in the period"
    assert set(agencies) <= world.agency_ids
    assert result.chain_ok, result.chain_reason


def period_status(app, period_id: int) -> str:
    with app.app_context():
        status = db.session.scalar(select(PlanPeriod.status).where(PlanPeriod.id == period_id))
        db.session.remove()
        return str(status)


def test_two_schedulers_draw_a_period_once(ops_app, ops_url, ops_env, ops_home):
    if on_sqlite(ops_url):
        pytest.skip(SQLITE_WRITERS)
    world = build(ops_app)
    paths = [ops_home / f"draw-scheduler{n}.log" for n in (1, 2)]
    run_two_schedulers(ops_env, paths,
                       lambda: period_status(ops_app, world.period_id) == PeriodStatus.DRAWN,
                       "drew the period")
    assert_one_draw(outcome(ops_app, world), world)
    for path in paths:
        assert "could not be drawn" not in path.read_text(), path.name


def test_two_concurrent_sweeps_draw_a_period_once(ops_app, ops_url, monkeypatch, caplog):
    assert SWEEPERS[SWEEPER].func is scheduled.draw_due_periods
    world = build(ops_app)
    held_at_guard = not on_sqlite(ops_url)
    real_claim = draws._claim
    at_guard = threading.Barrier(2, timeout=20)
    claims: list[bool] = []

    def claim(period, now):
        if period.id != world.period_id:
            return real_claim(period, now)
        if held_at_guard:
            at_guard.wait()  # both sweeps have read the period as committed and due
        won = real_claim(period, now)
        claims.append(won)
        return won

    monkeypatch.setattr(draws, "_claim", claim)
    start = threading.Barrier(2, timeout=20)
    drawn: dict[int, int] = {}
    errors: list[BaseException] = []

    def sweep(n: int) -> None:
        try:
            with ops_app.app_context():
                start.wait()
                drawn[n] = run_sweeper(SWEEPER)  # commits, or rolls back and raises
        except BaseException as error:  # noqa: BLE001  (reported by the main thread)
            errors.append(error)

    threads = [threading.Thread(target=sweep, args=(n,), name=f"sweep{n}") for n in (1, 2)]
    with caplog.at_level(logging.ERROR):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a sweep hung"
    assert not errors, errors
    # On PostgreSQL both sweeps reached the guard and exactly one won it; on SQLite only
    # the first got that far.
    assert sorted(claims) == ([False, True] if held_at_guard else [True])
    failures = [f"{r.getMessage()}: {r.exc_info[1] if r.exc_info else ''}"
                for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, failures  # the loser lost at the guard, not on a later check
    assert sorted(drawn.values()) == [0, 1]
    assert_one_draw(outcome(ops_app, world), world)
