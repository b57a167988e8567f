"""Inspection sweepers, registered with core.scheduler on import."""

import logging
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core.db import utcnow
from core.errors import DomainError
from core.extensions import db
from core.scheduler import sweeper
from credit.operations.lists import PLATFORM_LOCALE
from inspection import queries, rules
from inspection.models import PeriodStatus, Plan, PlanPeriod, PlanStatus
from inspection.operations import plans
from inspection.operations.draws import draw_period, record_draw_failure

log = logging.getLogger(__name__)


@sweeper("inspection.draw_due_periods", trigger="interval", minutes=1)
def draw_due_periods(now: datetime | None = None) -> int:
    """Top up each published plan's committed periods, then draw every due one, each in
    its own savepoint so a period that cannot be drawn (say, no eligible inspector) holds
    up none of the others: its reason is recorded and the lead department told
    (`record_draw_failure`), and it is retried after a growing delay. Idempotent: a drawn
    period is never drawn again (RULES.md §3 "Each scheduled period draws exactly once")."""
    now = now or utcnow()
    for plan in queries.published_plans_to_top_up():
        plans.ensure_periods(plan, now)
    return sum(draw_or_record_failure(period_id, now) for period_id in _due_period_ids(now))


def draw_or_record_failure(period_id: int, now: datetime) -> bool:
    """Draw one due period in its own savepoint; on failure keep why (`record_draw_failure`)."""
    try:
        with db.session.begin_nested(), force_locale(PLATFORM_LOCALE):
            return bool(draw_period(db.session.get(PlanPeriod, period_id), now))
    except DomainError as error:  # a cause the department can fix
        log.warning("inspection period %s could not be drawn: %s", period_id, error)
        _record_failure(period_id, str(error), now)
    except Exception:
        log.exception("inspection period %s could not be drawn", period_id)
        _record_failure(period_id, None, now)
    return False


def _record_failure(period_id: int, reason: str | None, now: datetime) -> None:
    with db.session.begin_nested(), force_locale(PLATFORM_LOCALE):
        reason = reason or _("An internal error stopped the draw; the scheduler log has the "
                             "details for the platform operators.")
        record_draw_failure(db.session.get(PlanPeriod, period_id), reason, now)


def _due_period_ids(now: datetime) -> list[int]:
    """Committed periods of published plans whose time has come (a closed plan's
    committed periods stay undrawn, inspection/operations/plans.py `close`), less those
    that failed lately and wait for their retry (`rules.draw_retry_delay`)."""
    rows = db.session.execute(
        select(PlanPeriod.id, PlanPeriod.draw_attempts, PlanPeriod.draw_attempted_at)
        .join(Plan, PlanPeriod.plan_id == Plan.id)
        .where(PlanPeriod.status == PeriodStatus.COMMITTED, PlanPeriod.due_at <= now,
               Plan.status == PlanStatus.PUBLISHED)
        .order_by(PlanPeriod.due_at, PlanPeriod.id))
    return [period_id for period_id, attempts, attempted_at in rows
            if attempted_at is None
            or attempted_at + rules.draw_retry_delay(attempts) <= now]


import inspection.scheduled_publication  # noqa: E402, F401
