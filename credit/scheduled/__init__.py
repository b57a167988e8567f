"""Credit sweepers, registered with core.scheduler on import."""

from credit.scheduled import lists, repair, scores  # noqa: F401
