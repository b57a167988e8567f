"""Sweepers after the award (RULES.md §1 "Contract, delivery, acceptance", "Evaluation"):
late delivery, overdue acceptance, evaluation windows. Each is guarded by status or a
once-only column, so a second run, or a second scheduler, changes nothing."""

from core.db import utcnow
from core.scheduler import sweeper
from market import rules
from market.operations import contracts, evaluations


@sweeper("market.record_late_deliveries", trigger="interval", hours=1)
def record_late_deliveries() -> int:
    """A `late_delivery` credit record, once per contract, when the due day has passed."""
    return contracts.record_late_deliveries(rules.local_today())


@sweeper("market.flag_overdue_acceptances", trigger="interval", hours=1)
def flag_overdue_acceptances() -> int:
    """Deliverables undecided 180 days after delivery: the owner and regulator are told."""
    return contracts.flag_overdue_acceptances(utcnow())


@sweeper("market.close_evaluation_windows", trigger="interval", minutes=15)
def close_evaluation_windows() -> int:
    """Evaluation windows past their deadline close without an owner rating."""
    return evaluations.close_evaluation_windows(utcnow())
