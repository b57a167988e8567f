"""Inspection sweepers, registered with core.scheduler on import."""

import logging
from datetime import datetime

from sqlalchemy import select

from core.db import utcnow
from core.extensions import db
from core.scheduler import sweeper
from inspection import queries
from inspection.models import PeriodStatus, Plan, PlanPeriod, PlanStatus
from inspection.operations import plans
from inspection.operations.draws import draw_period

log = logging.getLogger(__name__)


@sweeper("inspection.draw_due_periods", trigger="interval", minutes=1)
def draw_due_periods(now: datetime | None = None) -> int:
    """Top up each published plan's committed periods, then draw every due one, each in
    its own savepoint so a period that cannot be drawn (say, no eligible inspector) is
    logged and retried next run without holding up the others. Idempotent: a drawn period
    is never drawn again (RULES.md §3 "Each scheduled period draws exactly once")."""
    now = now or utcnow()
    for plan in queries.published_plans_to_top_up():
        plans.ensure_periods(plan, now)
    drawn = 0
    for period_id in _due_period_ids(now):
        try:
            with db.session.begin_nested():
                drawn += bool(draw_period(db.session.get(PlanPeriod, period_id), now))
        except Exception:
            log.exception("inspection period %s could not be drawn", period_id)
    return drawn


def _due_period_ids(now: datetime) -> list[int]:
    """Committed periods of published plans whose time has come (a closed plan's
    committed periods stay undrawn, inspection/operations/plans.py `close`)."""
    return list(db.session.scalars(
        select(PlanPeriod.id).join(Plan, PlanPeriod.plan_id == Plan.id)
        .where(PlanPeriod.status == PeriodStatus.COMMITTED, PlanPeriod.due_at <= now,
               Plan.status == PlanStatus.PUBLISHED)
        .order_by(PlanPeriod.due_at, PlanPeriod.id)))


import inspection.scheduled_publication  # noqa: E402, F401
