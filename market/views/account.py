"""An agency's or owner's own profile maintenance. (stub)"""

from market.views import bp


@bp.get("/my/agency")
def my_agency():
    return "stub"


@bp.get("/my/owner")
def my_owner():
    return "stub"
