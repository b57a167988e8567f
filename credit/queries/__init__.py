"""Reads of the credit domain for views and for other domains (market, inspection)."""

from credit.queries.restrictions import Restriction, record_execution, restrictions_for  # noqa: F401
from credit.queries.subjects import (  # noqa: F401
    is_regulator,
    is_subject_user,
    level_of,
    levels_for,
    local_today,
    subject_for,
)
