"""(stub: being written)"""

from inspection.views import bp  # noqa: F401
