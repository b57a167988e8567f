"""Platform administration. (stub)"""

from flask import Blueprint

from core.auth.decorators import admin_required

bp = Blueprint("admin", __name__)


@bp.get("/")
@admin_required
def index():
    return "stub"
