"""Nightly score sweep (RULES.md §2 "Score": recomputed on every record and nightly).

Scores move with the date alone: records decay by age and penalties leave public display
when their window closes. Run at 01:00 Asia/Shanghai, just after the date the rules count
in has changed. Idempotent: a second run finds nothing changed and appends no snapshot.
"""

from core.scheduler import sweeper
from credit.operations import subjects


@sweeper("credit.recompute_scores", trigger="cron", hour=1, timezone="Asia/Shanghai")
def recompute_scores() -> int:
    """How many subjects changed score or level."""
    return subjects.recompute_all()
