"""Data on the ops database, built through the operations (tests/market/job_builders.py) and
committed, and the counts the tests assert, read back in a fresh session."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from core import audit
from core.audit import AuditEntry
from core.db import utcnow
from core.extensions import db
from core.randomness import Draw
from market.models import Bid, Job, SelectionMethod
from tests.factories import PASSWORD
from tests.market.job_builders import SelectionWorld, agency_user, place_bid


@dataclass
class World:
    job_id: int
    number: str
    agency_ids: list[int]
    usernames: list[str]
    password: str = PASSWORD


def build(app, bidders: int, bids: int = 0, deadline_in: float | None = None) -> World:
    """A published lowest-price job (private funding) and `bidders` eligible agencies, the
    first `bids` of them having bid (distinct prices); the deadline moved to `deadline_in`
    seconds from now when given."""
    with app.app_context():
        world = SelectionWorld(bidders=bidders)
        job = world.job(SelectionMethod.LOWEST_PRICE)
        for i, agency in enumerate(world.agencies[:bids]):
            place_bid(job, agency, f"{60000 + i}.00")
        if deadline_in is not None:
            job.deadline = utcnow() + timedelta(seconds=deadline_in)
        db.session.commit()
        result = World(job.id, job.number, [a.id for a in world.agencies],
                       [agency_user(a).username for a in world.agencies])
        db.session.remove()
        return result


def set_deadline(app, job_id: int, at: datetime) -> None:
    with app.app_context():
        db.session.get(Job, job_id).deadline = at
        db.session.commit()
        db.session.remove()


@dataclass
class Outcome:
    status: str
    winner_bid_id: int | None
    bids: list[Bid]
    actions: dict[str, int]  # audit action -> entries about this job (job or its bids)
    draw: Draw | None
    chain_ok: bool
    chain_reason: str
    deadline: datetime


def outcome(app, job_id: int) -> Outcome:
    with app.app_context():
        job = db.session.get(Job, job_id)
        bids = list(db.session.scalars(select(Bid).where(Bid.job_id == job_id)
                                       .order_by(Bid.id)))
        bid_ids = [str(b.id) for b in bids]
        rows = db.session.execute(
            select(AuditEntry.action, func.count()).where(
                ((AuditEntry.entity_type == "job") & (AuditEntry.entity_id == str(job_id)))
                | ((AuditEntry.entity_type == "bid") & AuditEntry.entity_id.in_(bid_ids)))
            .group_by(AuditEntry.action)).all()
        draw = db.session.get(Draw, job.draw_id) if job.draw_id else None
        report = audit.verify()
        result = Outcome(str(job.status.value if hasattr(job.status, "value") else job.status),
                         job.winner_bid_id, bids, dict(rows), draw, report.ok, report.reason,
                         job.deadline)
        db.session.expunge_all()
        db.session.remove()
        return result
