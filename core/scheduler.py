"""APScheduler wiring: domains register idempotent sweepers; a lease row in the database
makes sure only one scheduler process runs them at a time.

A sweeper is "find what is due, move it on", guarded by status, so running it twice, or
after a crash, changes nothing the second time (ARCHITECTURE.md "Conventions").
"""

import contextlib
import logging
import signal
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow
from core.extensions import db

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


class SchedulerLease(Base):
    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]


@dataclass
class Sweeper:
    name: str
    func: Callable[[], object]
    trigger: dict = field(default_factory=dict)  # APScheduler trigger keyword arguments


SWEEPERS: dict[str, Sweeper] = {}


def sweeper(name: str, **trigger) -> Callable:
    """Register a function as a sweeper, e.g. @sweeper("x", trigger="interval", minutes=5)."""

    def decorator(func):
        SWEEPERS[name] = Sweeper(name, func, trigger or {"trigger": "interval", "minutes": 5})
        return func

    return decorator


def _renew(holder: str, now: datetime, seconds: int) -> bool:
    """Renew our lease or take an expired one (a guarded UPDATE); commits when it did."""
    renewed = db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME,
               or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now))
        .values(holder=holder, expires_at=now + timedelta(seconds=seconds))
    ).rowcount
    if renewed:
        db.session.commit()
    return bool(renewed)


def acquire_lease(holder: str, seconds: int) -> bool:
    """Take or renew the lease; True when `holder` now holds it. Commits."""
    now = utcnow()
    if _renew(holder, now, seconds):
        return True
    # The row may have been inserted meanwhile, by another process or by another of our own
    # threads (every sweeper starts at once): then the UPDATE again, since it may be ours.
    if db.session.get(SchedulerLease, LEASE_NAME) is None:
        try:
            db.session.add(SchedulerLease(name=LEASE_NAME, holder=holder,
                                          expires_at=now + timedelta(seconds=seconds)))
            db.session.commit()
            return True
        except IntegrityError:
            pass
    db.session.rollback()
    if _renew(holder, now, seconds):
        return True
    db.session.rollback()
    return False


def release_lease(holder: str) -> None:
    """A scheduler that stops cleanly hands the lease on at once: a restarted or standby
    scheduler then runs every sweeper on its first round instead of skipping it (the draw
    sweeper's next round is a minute away). Commits."""
    db.session.execute(update(SchedulerLease)
                       .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
                       .values(expires_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.commit()


def run_sweeper(name: str, retries: int = 1):
    """Run one sweeper in its own transaction: commit on success, roll back on error.

    A database error that a new transaction may not meet again (lost connection, deadlock,
    serialization failure: OperationalError) is retried once, in a fresh session; safe
    because a sweeper is idempotent and its failed transaction was rolled back whole."""
    for attempt in range(retries + 1):
        try:
            result = SWEEPERS[name].func()
            db.session.commit()
            return result
        except OperationalError:
            db.session.rollback()
            if attempt < retries:
                log.warning("sweeper %s: database error, retrying once", name, exc_info=True)
                continue
            log.exception("sweeper %s failed", name)
            raise
        except Exception:
            db.session.rollback()
            log.exception("sweeper %s failed", name)
            raise
        finally:
            db.session.remove()


def start(app, blocking: bool = False):
    """Start the scheduler for `app`: every sweeper on its trigger, run only under the lease."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
    lease_seconds = app.config["SCHEDULER_LEASE_SECONDS"]
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")

    def guarded(name: str):
        with app.app_context():
            if not acquire_lease(holder, lease_seconds):
                log.debug("sweeper %s skipped: another scheduler holds the lease", name)
                return
            with contextlib.suppress(Exception):  # logged in run_sweeper; next run retries
                run_sweeper(name)

    def heartbeat():
        # Renew well inside the lease, so a quiet spell between sweepers or a long sweeper
        # does not let a standby scheduler take over while this one is alive.
        with app.app_context():
            try:
                acquire_lease(holder, lease_seconds)
            finally:
                db.session.remove()

    scheduler.add_job(heartbeat, "interval", seconds=max(1, lease_seconds // 3),
                      id="lease-heartbeat", next_run_time=utcnow(), max_instances=1,
                      coalesce=True)
    for item in SWEEPERS.values():
        scheduler.add_job(guarded, args=[item.name], id=item.name, replace_existing=True,
                          max_instances=1, coalesce=True, next_run_time=utcnow(),
                          **item.trigger)
    log.info("scheduler %s starting with %d sweepers", holder, len(SWEEPERS))
    if not blocking:
        scheduler.start()
        return scheduler
    # SIGTERM (a service stop) ends the blocking loop like Ctrl-C, so the lease is released.
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        with app.app_context():
            release_lease(holder)
        log.info("scheduler %s stopped; lease released", holder)
    return scheduler
