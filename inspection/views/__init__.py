"""The inspection blueprint (mounted at /inspection); routes live in the modules below."""

from flask import Blueprint

bp = Blueprint("inspection", __name__)

import inspection.verification  # noqa: E402, F401  (registers the draw checks with core)
from inspection.views import catalogue, dashboard, plans, public, tasks  # noqa: E402, F401
