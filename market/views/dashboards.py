"""One /dashboard per kind of user: the owner's jobs by state with the next action, the
agency's bids and won jobs with what is due, the regulator's queue (objections, complaints,
evaluations to rate). Inspectors and platform admins have their own pages (403 here)."""

from flask import abort, render_template
from flask_login import current_user, login_required

from core.auth.models import OrgKind, Role
from market import job_queries
from market.rules import JOB_STATUS_LABELS
from market.views import bp


def _owner():
    owner = job_queries.owner_of(current_user)
    if owner is None:
        abort(404)
    return render_template("market/dashboard_owner.html", owner=owner,
                           groups=job_queries.owner_dashboard(owner),
                           status_labels=JOB_STATUS_LABELS)


def _agency():
    agency = job_queries.agency_of(current_user)
    if agency is None:
        abort(404)
    return render_template("market/dashboard_agency.html", agency=agency,
                           bids=job_queries.agency_bids(agency),
                           work=job_queries.agency_dashboard(agency),
                           complaints=job_queries.agency_complaints(agency),
                           status_labels=JOB_STATUS_LABELS)


def _regulator():
    return render_template("market/dashboard_regulator.html",
                           queue=job_queries.regulator_queue(current_user.organisation_id),
                           status_labels=JOB_STATUS_LABELS)


@bp.get("/dashboard")
@login_required
def dashboard():
    kind = current_user.org_kind
    if kind == OrgKind.OWNER:
        return _owner()
    if kind == OrgKind.AGENCY:
        return _agency()
    if kind == OrgKind.DEPARTMENT and current_user.role in (Role.ORG_ADMIN, Role.STAFF):
        return _regulator()
    abort(403)

