"""Repair sweeper: flag applications the department has not decided within 5 working days
(RULES.md §2 "Disclosure and repair"). Idempotent: each application is flagged once."""

from core.scheduler import sweeper
from credit.operations import repair as operations


@sweeper("credit.repair_overdue", trigger="interval", minutes=30)
def flag_overdue_repairs() -> int:
    return operations.flag_overdue()
