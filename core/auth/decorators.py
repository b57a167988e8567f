"""Permission checks for views: login plus role and organisation kind."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from core.auth.models import OrgKind, Role


def roles_required(*roles: Role, org_kind: OrgKind | None = None) -> Callable:
    """Allow signed-in users holding one of `roles` (any role if none given) and, when
    `org_kind` is set, belonging to an organisation of that kind; else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if roles and current_user.role not in roles:
                abort(403)
            if org_kind is not None and current_user.org_kind != org_kind:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = roles_required(Role.PLATFORM_ADMIN)
