"""Sweepers of the severe dishonesty list and of exits (RULES.md §2). Each step is a
status- or date-guarded UPDATE, so running twice, or in two schedulers, changes nothing."""

from core.db import utcnow
from core.scheduler import sweeper
from credit.operations import lists as ops
from credit.queries.subjects import local_today


@sweeper("credit.severe_list", trigger="interval", minutes=30)
def sweep_severe_list() -> dict[str, int]:
    """List the notices whose objection window passed; take off the list those whose term
    ended."""
    now = utcnow()
    return {"listed": ops.list_after_objection_window(now),
            "removed": ops.end_listing_terms(local_today(now))}


@sweeper("credit.delisting", trigger="interval", minutes=30)
def sweep_delistings() -> dict[str, int]:
    """End the exits whose term passed: the agency may re-enter."""
    return {"ended": ops.end_delisting_terms(local_today())}
