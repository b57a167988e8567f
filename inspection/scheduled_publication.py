"""Overdue sweepers of the task (RULES.md §3): results not public within 20 working days of
the inspection's end ("One public"), and rectification orders whose deadline passed without a
follow-up ("rectification order with deadline and follow-up"). Each flags a task to its lead
department once (idempotent: a rerun or a second scheduler flags nothing again)."""

from core.scheduler import sweeper
from inspection.operations import tasks as operations


@sweeper("inspection.flag_unpublished_results", trigger="interval", minutes=30)
def flag_unpublished_results() -> int:
    return operations.flag_unpublished_results()


@sweeper("inspection.flag_overdue_rectifications", trigger="interval", minutes=30)
def flag_overdue_rectifications() -> int:
    return operations.flag_overdue_rectifications()
