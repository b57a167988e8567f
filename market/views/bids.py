"""The agency's side of a job: bid or sign up, replace, confirm again, withdraw; the open
jobs for its items and its own bids (RULES.md §1 "Eligibility to bid", sealed bids).

Before the deadline a price is shown only to the agency that placed it (job_queries.
visible_price). A bid barred by a joint punishment measure is refused, and the measure's
execution is committed on its own so the refusal is on record (RULES.md §2).
"""

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.errors import DomainError, NotAllowed, NotFound
from core.extensions import db
from core.uploads import send_upload
from market import job_queries
from market.forms.agencies import show_error
from market.forms.bids import BidForm, ConfirmBidForm, WithdrawBidForm
from market.models import Agency, Job
from market.operations import bids as operations
from market.views import bp
from market.views.jobs import labels

agency_user = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.AGENCY)


def _own_agency() -> Agency:
    agency = job_queries.agency_of(current_user)
    if agency is None:
        abort(404)
    return agency


def _bid_page(job: Job, agency: Agency, form: BidForm | None = None,
              confirm_form: ConfirmBidForm | None = None, status: int = 200):
    bid = job_queries.bid_of(job, agency)
    if form is None:
        form = BidForm(formdata=None, price=job_queries.visible_price(bid, current_user)
                       if bid else None, proposal=bid.proposal if bid else None)
    return render_template(
        "market/bids_form.html", job=job, agency=agency, bid=bid, form=form,
        confirm_form=confirm_form or ConfirmBidForm(formdata=None),
        withdraw_form=WithdrawBidForm(), reasons=job_queries.eligibility(job, agency),
        bidding_open=job_queries.bidding_open(job), time_left=job_queries.time_left(job),
        confirmed=job_queries.bid_confirmed(bid) if bid else True,
        my_price=job_queries.visible_price(bid, current_user) if bid else None,
        commitment=operations.commitment_text(job, agency), **labels()), status


def _submit(job: Job, agency: Agency, form, change: Callable[[], object]) -> bool:
    """Run one bid operation. A credit bar is refused with its execution committed; a
    closed job (409) or an ineligible agency (403) is an error page; anything else the
    rules refuse goes on the form."""
    try:
        change()
    except operations.BiddingBarred as barred:
        db.session.rollback()
        operations.record_refusal(job, agency, barred.restriction)
        db.session.commit()
        raise
    except (operations.BiddingClosed, NotAllowed, NotFound):
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return False
    db.session.commit()
    return True


@bp.route("/jobs/<number>/bid", methods=["GET", "POST"])
@agency_user
def bid_on_job(number: str):
    job = job_queries.public_job(number)
    agency = _own_agency()
    form = BidForm()
    if form.is_submitted():
        if form.validate() and _submit(job, agency, form, lambda: operations.place_bid(
                job, agency, form.bid_input())):
            flash(_("Your bid on job %(number)s has been recorded. It stays sealed until the "
                    "deadline.", number=job.number), "success")
            return redirect(url_for("market.bid_on_job", number=job.number))
        return _bid_page(job, agency, form=form)
    return _bid_page(job, agency)


@bp.post("/jobs/<number>/bid/confirm")
@agency_user
def confirm_bid(number: str):
    job = job_queries.public_job(number)
    agency = _own_agency()
    bid = job_queries.bid_of(job, agency)
    if bid is None:
        abort(404)
    form = ConfirmBidForm()
    if form.validate_on_submit() and _submit(job, agency, form, lambda: operations.confirm_bid(
            bid, bool(form.commitment_accepted.data))):
        flash(_("Your bid now stands for the changed terms."), "success")
        return redirect(url_for("market.bid_on_job", number=job.number))
    return _bid_page(job, agency, confirm_form=form)


@bp.post("/jobs/<number>/bid/withdraw")
@agency_user
def withdraw_bid(number: str):
    job = job_queries.public_job(number)
    agency = _own_agency()
    bid = job_queries.bid_of(job, agency)
    if bid is None or not WithdrawBidForm().validate_on_submit():
        abort(404 if bid is None else 400)
    operations.withdraw_bid(bid)
    db.session.commit()
    flash(_("Your bid has been withdrawn. You may bid again before the deadline."), "success")
    return redirect(url_for("market.bid_on_job", number=job.number))


@bp.get("/my/bids")
@agency_user
def my_bids():
    agency = _own_agency()
    return render_template(
        "market/bids_mine.html", agency=agency, bids=job_queries.agency_bids(agency),
        price_of=lambda bid: job_queries.visible_price(bid, current_user),
        confirmed=job_queries.bid_confirmed, open=job_queries.bidding_open, **labels())


@bp.get("/my/open-jobs")
@agency_user
def open_jobs():
    agency = _own_agency()
    return render_template("market/bids_open_jobs.html", agency=agency,
                           rows=job_queries.open_jobs_for(agency),
                           my_bids={b.job_id: b for b in job_queries.agency_bids(agency)},
                           **labels())


@bp.get("/bids/<int:bid_id>/proposal")
@login_required
def proposal_file(bid_id: int):
    bid = job_queries.bid(bid_id)
    if bid is None or not bid.proposal_file:
        abort(404)
    if not job_queries.may_see_proposal_file(bid, current_user):
        abort(403)
    return send_upload(bid.proposal_file)
