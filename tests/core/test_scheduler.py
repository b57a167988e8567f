"""The scheduler lease (one scheduler at a time) and the sweeper transaction."""

from datetime import date, datetime, timedelta

import pytest
import time_machine

from core import calendar as work_calendar
from core import scheduler
from core.db import utcnow


def test_a_second_holder_waits_until_the_lease_expires(db_session):
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        assert scheduler.acquire_lease("first", 60)
        assert not scheduler.acquire_lease("second", 60)
        clock.shift(timedelta(seconds=30))
        assert scheduler.acquire_lease("first", 60)  # renewal: now valid until start + 90 s
        clock.shift(timedelta(seconds=59))
        assert not scheduler.acquire_lease("second", 60)
        clock.shift(timedelta(seconds=2))  # the first holder stopped renewing
        assert scheduler.acquire_lease("second", 60)
        assert not scheduler.acquire_lease("first", 60)
    lease = db_session.get(scheduler.SchedulerLease, scheduler.LEASE_NAME)
    assert lease.holder == "second"
    assert lease.expires_at == start + timedelta(seconds=151)


def _override_exists(day: date) -> bool:
    return work_calendar.override_for(day) is not None


def test_run_sweeper_commits_its_work(monkeypatch, db_session):
    day = date(2031, 1, 6)
    monkeypatch.setitem(scheduler.SWEEPERS, "test_ok", scheduler.Sweeper(
        "test_ok", lambda: work_calendar.add_override(day, False, "sweeper") and "done"))
    assert scheduler.run_sweeper("test_ok") == "done"
    # run_sweeper closed its session: only committed work survives that.
    assert _override_exists(day)


def test_run_sweeper_rolls_back_on_error(monkeypatch, db_session):
    day = date(2031, 1, 7)

    def half_done():
        work_calendar.add_override(day, False, "flushed, then fails")
        raise RuntimeError("boom")

    monkeypatch.setitem(scheduler.SWEEPERS, "test_fail", scheduler.Sweeper("test_fail",
                                                                           half_done))
    with pytest.raises(RuntimeError):
        scheduler.run_sweeper("test_fail")
    assert not _override_exists(day)


def test_sweeper_decorator_registers_with_its_trigger(monkeypatch):
    monkeypatch.setattr(scheduler, "SWEEPERS", {})

    @scheduler.sweeper("nightly", trigger="cron", hour=2)
    def nightly():
        return datetime.now()

    assert scheduler.SWEEPERS["nightly"].func is nightly
    assert scheduler.SWEEPERS["nightly"].trigger == {"trigger": "cron", "hour": 2}


def test_the_scheduler_renews_its_lease_on_a_heartbeat_inside_the_lease(
        app, db_session, monkeypatch):
    """Renewal must not wait for a sweeper to fire: a quiet minute would hand the lease to
    a standby scheduler while this one is alive."""
    from apscheduler.schedulers.background import BackgroundScheduler

    monkeypatch.setattr(scheduler, "SWEEPERS", {})
    monkeypatch.setattr(BackgroundScheduler, "start", lambda self, *a, **k: None)
    monkeypatch.setitem(app.config, "SCHEDULER_LEASE_SECONDS", 60)
    started = scheduler.start(app)
    heartbeat = started.get_job("lease-heartbeat")
    assert heartbeat.trigger.interval == timedelta(seconds=20)
    heartbeat.func()
    lease = db_session.get(scheduler.SchedulerLease, scheduler.LEASE_NAME)
    assert lease is not None and lease.expires_at > utcnow() + timedelta(seconds=50)
    assert not scheduler.acquire_lease("standby", 60)


def test_a_released_lease_passes_to_the_next_scheduler_at_once(db_session):
    assert scheduler.acquire_lease("first", 60)
    scheduler.release_lease("second")  # only the holder's own release counts
    assert not scheduler.acquire_lease("second", 60)
    scheduler.release_lease("first")
    assert scheduler.acquire_lease("second", 60)
