"""Automatic scheduling (inspection/scheduled.py, RULES.md §3): the sweeper tops up cron
periods and draws each due period exactly once, however often it runs."""

import logging
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.auth.models import Role
from core.notifications import Notification
from core.randomness import Draw
from core.scheduler import SWEEPERS, run_sweeper
from inspection import rules
from inspection.models import PeriodStatus, PlanPeriod, ScheduleKind, Task
from tests.clients import english_client
from tests.factories import make_user
from tests.inspection.test_draws_support import (
    NOW,
    make_inspectors,
    make_period,
    make_pool,
    make_published_plan,
)

SWEEPER = "inspection.draw_due_periods"


def run() -> int:
    return SWEEPERS[SWEEPER].func()


def state(db_session) -> tuple:
    db_session.expire_all()
    periods = db_session.execute(select(PlanPeriod.id, PlanPeriod.status, PlanPeriod.drawn_at,
                                        PlanPeriod.team_draw_id).order_by(PlanPeriod.id)).all()
    counts = [db_session.scalar(select(func.count()).select_from(model).where(*where))
              for model, where in ((Task, ()), (AuditEntry, ()),
                                   (Draw, (Draw.drawn_at.is_not(None),)))]
    return periods, counts


def test_two_sweeper_runs_draw_a_period_once(db_session):
    make_pool({"C": 5, "D": 2})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 3)
    due = make_period(plan, NOW)
    later = make_period(plan, NOW + timedelta(days=30))
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert run() == 1
        after_first = state(db_session)
        assert run() == 0
        assert state(db_session) == after_first
    assert db_session.get(PlanPeriod, due.id).status == PeriodStatus.DRAWN
    assert db_session.get(PlanPeriod, later.id).status == PeriodStatus.COMMITTED
    assert db_session.scalar(select(func.count()).select_from(Task)) == 3


def test_run_sweeper_commits_one_draw(db_session):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    period = make_period(plan, NOW)
    period_id = period.id
    with time_machine.travel(NOW, tick=False):
        assert run_sweeper(SWEEPER) == 1
        assert run_sweeper(SWEEPER) == 0
    assert db_session.scalar(select(func.count()).select_from(Task)
                             .where(Task.period_id == period_id)) == 1


def test_a_failing_period_does_not_block_the_others(db_session, caplog):
    make_pool({"D": 2})
    stuck, _departments = make_published_plan()  # no inspector at all
    fine, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    stuck_period, fine_period = make_period(stuck, NOW), make_period(fine, NOW)
    with caplog.at_level(logging.WARNING), time_machine.travel(NOW, tick=False):
        assert run() == 1
    assert f"inspection period {stuck_period.id} could not be drawn" in caplog.text
    assert db_session.get(PlanPeriod, stuck_period.id).status == PeriodStatus.COMMITTED
    assert db_session.get(Draw, stuck_period.object_draw_id).drawn_at is None
    assert db_session.get(PlanPeriod, fine_period.id).status == PeriodStatus.DRAWN


def test_an_undrawable_period_is_recorded_told_once_and_retried_with_backoff(db_session):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()  # its department has no inspector yet
    period = make_period(plan, NOW)
    with time_machine.travel(NOW, tick=False):
        assert run() == 0
    db_session.expire_all()
    assert period.status == PeriodStatus.COMMITTED and period.draw_attempts == 1
    assert period.draw_attempted_at == NOW and "执法检查人员" in period.draw_error  # zh
    told = db_session.scalars(select(Notification).where(
        Notification.organisation_id == lead.id)).all()
    assert len(told) == 1 and plan.number in told[0].title
    assert told[0].link == f"/inspection/plans/{plan.number}"
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        run()  # too soon: waits a minute before the second try
    db_session.expire_all()
    assert period.draw_attempts == 1
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        run()
    db_session.expire_all()
    assert period.draw_attempts == 2  # the same reason is not told again
    assert db_session.scalar(select(func.count()).select_from(Notification).where(
        Notification.organisation_id == lead.id)) == 1
    make_inspectors(lead, 2)  # the department fixes the cause
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        assert run() == 0  # the retry waits 2 minutes after the second attempt
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        assert run() == 1
    db_session.expire_all()
    assert period.status == PeriodStatus.DRAWN


def test_retry_delays_grow_to_an_hour():
    assert [rules.draw_retry_delay(n) for n in (0, 1, 2, 3, 7, 50)] == [
        timedelta(0), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
        timedelta(hours=1), timedelta(hours=1)]


def test_the_sweeper_tops_up_cron_periods_and_draws_the_due_one(db_session):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    plan.schedule_kind, plan.cron, plan.dates = ScheduleKind.CRON, "0 9 * * *", None
    make_inspectors(lead, 2)
    db_session.flush()
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        assert run() == 0  # periods committed, none due
    periods = db_session.scalars(select(PlanPeriod).where(PlanPeriod.plan_id == plan.id)
                                 .order_by(PlanPeriod.due_at)).all()
    assert periods and all(p.status == PeriodStatus.COMMITTED for p in periods)
    first = periods[0]
    with time_machine.travel(first.due_at + timedelta(minutes=1), tick=False):
        assert run() == 1
        assert run() == 0
    db_session.expire_all()
    statuses = [p.status for p in db_session.scalars(
        select(PlanPeriod).where(PlanPeriod.plan_id == plan.id).order_by(PlanPeriod.due_at))]
    assert statuses[0] == PeriodStatus.DRAWN
    assert statuses.count(PeriodStatus.DRAWN) == 1


def test_periods_of_a_closed_plan_are_not_drawn(db_session):
    from inspection.models import PlanStatus

    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    make_inspectors(lead, 2)
    period = make_period(plan, NOW)
    plan.status = PlanStatus.CLOSED
    db_session.flush()
    with time_machine.travel(NOW, tick=False):
        assert run() == 0
    assert db_session.get(PlanPeriod, period.id).status == PeriodStatus.COMMITTED


def test_the_plan_page_shows_the_department_why_a_period_is_not_drawn(app, db_session):
    make_pool({"D": 1})
    plan, (lead, _joint) = make_published_plan()
    period = make_period(plan, NOW)
    with time_machine.travel(NOW, tick=False):
        run()
    db_session.expire_all()
    staff = english_client(app, make_user(Role.STAFF, lead))
    page = staff.get(f"/inspection/plans/{plan.number}").get_data(as_text=True)
    assert 'data-testid="draw-error"' in page and period.draw_error in page
    public = english_client(app).get(f"/inspection/plans/{plan.number}").get_data(as_text=True)
    assert 'data-testid="draw-error"' not in public
