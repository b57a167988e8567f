"""The inspection blueprint (mounted at /inspection); routes live in the modules below."""

from flask import Blueprint

bp = Blueprint("inspection", __name__)

from inspection.views import catalogue, dashboard, plans, public, tasks  # noqa: E402, F401
