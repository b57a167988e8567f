"""Zero-barrier registration of agencies and owners. (stub)"""

from market.views import bp


@bp.route("/register/agency", methods=["GET", "POST"])
def register_agency():
    return "stub"


@bp.route("/register/owner", methods=["GET", "POST"])
def register_owner():
    return "stub"
