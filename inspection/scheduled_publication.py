"""Publication sweeper (RULES.md §3 "One public"): results not public within 20 working days
of the inspection's end are flagged to the lead department, once each (idempotent)."""

from core.scheduler import sweeper
from inspection.operations import tasks as operations


@sweeper("inspection.flag_unpublished_results", trigger="interval", minutes=30)
def flag_unpublished_results() -> int:
    return operations.flag_unpublished_results()
