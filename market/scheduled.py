"""Market sweepers: find what is due, move it on. Each is guarded by status, so running it
twice, or on two schedulers, changes nothing the second time (ARCHITECTURE.md)."""

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from core.db import utcnow
from core.extensions import db
from core.scheduler import sweeper
from market import rules
from market.models import Job, JobStatus
from market.operations import agencies, selection

log = logging.getLogger(__name__)


@sweeper("market.expire_qualifications", trigger="interval", hours=1)
def expire_qualifications() -> int:
    """Certificates past their expiry day (Asia/Shanghai) stop counting for eligibility."""
    return agencies.expire_qualifications(rules.local_today())



# --- Selection, publicity, award, contract deadline (RULES.md §1) -----------------------------

def _move_each(name: str, due, move: Callable[[Job, datetime], bool]) -> int:
    """Move every due job on, each in its own savepoint: one job that fails (logged) does not
    hold up the others. Returns how many moved; a second run finds none due."""
    now = utcnow()
    moved = 0
    for job in db.session.scalars(select(Job).where(*due(now)).order_by(Job.id)).all():
        try:
            with db.session.begin_nested():
                moved += bool(move(job, now))
        except Exception:
            log.exception("sweeper %s: job %s could not be moved on", name, job.id)
    return moved


@sweeper("market.close_bidding", trigger="interval", minutes=1)
def close_bidding() -> int:
    """At the deadline: close bidding, then fail the job or run the selection."""
    return _move_each("market.close_bidding",
                      lambda now: (Job.status == JobStatus.PUBLISHED, Job.deadline <= now),
                      selection.close_bidding)


@sweeper("market.end_publicity", trigger="interval", minutes=10)
def end_publicity() -> int:
    """Publicity over with no objection open: the award is final, the contract due."""
    return _move_each("market.end_publicity",
                      lambda now: (Job.status == JobStatus.PUBLICITY,
                                   Job.publicity_ends_at <= now),
                      selection.end_publicity)


@sweeper("market.contract_deadline", trigger="interval", minutes=10)
def contract_deadline() -> int:
    """Contract not filed in time: commitment broken, the next-ranked bidder selected."""
    return _move_each("market.contract_deadline",
                      lambda now: (Job.status == JobStatus.AWARDED,
                                   Job.contract_due_at <= now),
                      selection.contract_deadline_missed)


import market.scheduled_service  # noqa: E402, F401
