"""Platform administration. (stub: the core helper fills this in)"""

from flask import Blueprint

from core.auth.decorators import admin_required

bp = Blueprint("admin", __name__)

# Domains add their own admin pages here without core importing them (core ← market).
ADMIN_LINKS: list[tuple[str, object]] = []


def register_admin_link(endpoint: str, label) -> None:
    """Show `label` (a lazy_gettext string) linking to `endpoint` on the admin index."""
    if (endpoint, label) not in ADMIN_LINKS:
        ADMIN_LINKS.append((endpoint, label))


@bp.get("/")
@admin_required
def index():
    return "stub"
