"""Selection pages (RULES.md §1 "Selection methods", "Publicity, objection, award"): the
owner's decisions (proposal scores, the credit-best choice), objections for bidders, owners
and regulators, the result section of the public job page, and the two PDFs.

Form → operation → commit → flash → redirect; a refusal is shown on the form, a permission
refusal is a 403/404. Prices only through job_queries.visible_price (sealed bids).
"""

from dataclasses import dataclass

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.db import utcnow
from core.pdf import document_number
from core.uploads import send_upload
from market import job_queries, pdf
from market.forms.bids import bid_status_labels
from market.forms.jobs import funding_labels, method_labels
from market.forms.selection import (
    CreditBestPickForm,
    ObjectionAnswerForm,
    ObjectionDecisionForm,
    ObjectionForm,
    proposal_scores_form,
)
from market.models import Bid, BidStatus, Job, JobStatus, Objection, ObjectionStatus
from market.operations import objections as objection_ops
from market.operations import selection as operations
from market.views import bp
from market.views.contracts import attempt

owner_user = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.OWNER)
agency_user = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.AGENCY)
signed_in = roles_required(Role.ORG_ADMIN, Role.STAFF)


@bp.app_template_global()
def objection_state(objection: Objection) -> str:
    """An objection's state in words; one closed by the system (its result was replaced
    after another objection was upheld) is not shown as rejected."""
    if objection.status == ObjectionStatus.REJECTED and objection.decided_by_id is None:
        return _("closed: the result it challenged was replaced")
    return {ObjectionStatus.RAISED: _("raised, waiting for the owner's answer"),
            ObjectionStatus.ANSWERED: _("answered, waiting for the regulator"),
            ObjectionStatus.UPHELD: _("upheld"),
            ObjectionStatus.REJECTED: _("rejected")}[objection.status]


def _labels() -> dict:
    return {"method_labels": method_labels(), "funding_labels": funding_labels(),
            "bid_status_labels": bid_status_labels()}


# --- The result section of the public job page ------------------------------------------------

@dataclass(frozen=True)
class ResultSection:
    """market/selection_result.html: the result and what the viewer may do about it."""

    result: job_queries.SelectionResult
    my_bid: Bid | None  # the viewer's agency's bid
    can_object: bool
    owner_action: str | None  # endpoint of the owner's pending decision
    can_get_selection_notice: bool


def _viewer_bid(job: Job) -> Bid | None:
    agency = job_queries.agency_of(current_user)
    return job_queries.bid_of(job, agency) if agency else None


def _may_object(job: Job, bid: Bid | None) -> bool:
    return bool(bid is not None and bid.status != BidStatus.WITHDRAWN
                and bid.id != job.winner_bid_id and job.status == JobStatus.PUBLICITY
                and job.publicity_ends_at and utcnow() < job.publicity_ends_at
                and objection_ops.open_objection_of(bid) is None)


def _owner_action(job: Job) -> str | None:
    if job.status != JobStatus.CLOSED or not job_queries.is_owner_user(job, current_user):
        return None
    return {"proposal": "market.selection_scores",
            "credit_best": "market.selection_pick"}.get(job.method)


def _may_get_selection_notice(job: Job) -> bool:
    if job.status not in job_queries.AFTER_AWARD:
        return False
    return job_queries.job_side(job, current_user) in (job_queries.OWNER_SIDE,
                                                       job_queries.AGENCY_SIDE)


@bp.app_template_global()
def selection_section(job: Job) -> ResultSection:
    my_bid = _viewer_bid(job)
    return ResultSection(job_queries.selection_result(job, current_user), my_bid,
                         _may_object(job, my_bid), _owner_action(job),
                         _may_get_selection_notice(job))


# --- The owner's decisions --------------------------------------------------------------------

def _own_closed_job(job_id: int, method: str) -> Job:
    job = job_queries.job(job_id)
    if job is None or job.method != method:
        abort(404)
    if not job_queries.is_owner_user(job, current_user):
        abort(403)
    return job


def _to_job(message: str, job: Job):
    flash(message, "success")
    return redirect(url_for("market.job_detail", number=job.number, _anchor="selection"))


@bp.route("/my/jobs/<int:job_id>/proposal-scores", methods=["GET", "POST"])
@owner_user
def selection_scores(job_id: int):
    job = _own_closed_job(job_id, "proposal")
    bids = job_queries.valid_bids(job) if job.status == JobStatus.CLOSED else []
    form = proposal_scores_form(bids)
    if bids and form.validate_on_submit() and attempt(
            form, lambda: operations.score_proposals(job, form.scores(), utcnow())):
        return _to_job(_("The totals have been computed and the result published."), job)
    rows = [(bid, form[f"score_{bid.id}"], job_queries.visible_proposal(bid, current_user))
            for bid in bids]
    return render_template("market/selection_scores.html", job=job, form=form, rows=rows,
                           **_labels())


@bp.route("/my/jobs/<int:job_id>/credit-best", methods=["GET", "POST"])
@owner_user
def selection_pick(job_id: int):
    job = _own_closed_job(job_id, "credit_best")
    lists = job_queries.credit_best_lists(job)
    by_key = {bid.agency.uscc: bid for bid in job_queries.valid_bids(job)}
    small = [by_key[key] for key in lists.small_list] if lists else []
    big = [by_key[key] for key in lists.big_list] if lists else []
    form = CreditBestPickForm().load(small)
    if small and form.validate_on_submit():  # the choice is one of `small` once validated
        chosen = next(bid for bid in small if bid.id == form.bid_id.data)
        if attempt(form, lambda: operations.pick_credit_best(job, chosen, utcnow())):
            return _to_job(_("Your choice has been recorded and the result published."), job)
    return render_template("market/selection_pick.html", job=job, form=form, small=small,
                           big=big, draw=job_queries.draw_of(job), **_labels())


# --- PDFs -------------------------------------------------------------------------------------

def _notice_data(job: Job, prefix: str) -> pdf.NoticeJob:
    sequence = job_queries.notice_sequence(job)
    winner = job_queries.winner_bid(job)
    if sequence is None or winner is None:
        abort(404)
    opened = [bid for bid in job_queries.opened_bids(job) if bid.status != BidStatus.WITHDRAWN]
    statuses = bid_status_labels()
    bids = tuple(pdf.NoticeBid(bid.rank, bid.agency.name, bid.agency.uscc,
                               job_queries.visible_price(bid, current_user),
                               str(statuses[bid.status])) for bid in opened)
    return pdf.NoticeJob(
        number=document_number(prefix, *sequence),
        verify_url=url_for("market.job_detail", number=job.number, _external=True),
        job_number=job.number, title=job.title, owner=job.owner.name,
        service_item=job.service_item.name, method=str(method_labels()[job.method]),
        funding=str(funding_labels()[job.funding]), winner=winner.agency.name,
        winner_uscc=winner.agency.uscc,
        winner_price=job_queries.visible_price(winner, current_user) or job.fixed_price,
        result_at=job.result_at, publicity_ends_at=job.publicity_ends_at,
        reference_price=job.reference_price, coefficient=job.coefficient,
        result_note=job.result_note or "", awarded_at=job.awarded_at,
        contract_due_at=job.contract_due_at, service_days=job.service_days, bids=bids)


def _pdf_response(data: bytes, number: str):
    response = make_response(data)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{number}.pdf"'
    return response


@bp.get("/jobs/<number>/result-notice.pdf")
def result_notice(number: str):
    """中选结果公告: public while the result stands (publicity and after)."""
    job = job_queries.public_job(number)
    if not job_queries.has_result(job):
        abort(404)
    data = _notice_data(job, pdf.RESULT_NOTICE_PREFIX)
    return _pdf_response(pdf.result_notice_pdf(data), data.number)


@bp.get("/jobs/<number>/selection-notice.pdf")
@signed_in
def selection_notice(number: str):
    """中选通知书: to the winner (and the owner) once the award is final."""
    job = job_queries.public_job(number)
    if job.status not in job_queries.AFTER_AWARD:
        abort(404)
    if not _may_get_selection_notice(job):
        abort(403)
    data = _notice_data(job, pdf.SELECTION_NOTICE_PREFIX)
    return _pdf_response(pdf.selection_notice_pdf(data), data.number)


# --- Objections -------------------------------------------------------------------------------

def _objection(objection_id: int) -> Objection:
    objection = job_queries.objection(objection_id)
    if objection is None:
        abort(404)
    return objection


def _role_on(objection: Objection) -> str | None:
    """'bidder', 'owner' or 'regulator': who the viewer is for this objection."""
    job = objection.job
    if job_queries.is_bidder(objection.bid, current_user):
        return "bidder"
    if job_queries.is_owner_user(job, current_user):
        return "owner"
    if objection_ops.is_regulator_of(job, current_user):
        return "regulator"
    return None


@bp.route("/jobs/<number>/objections/new", methods=["GET", "POST"])
@agency_user
def objection_new(number: str):
    job = job_queries.public_job(number)
    bid = _viewer_bid(job)
    if bid is None:
        abort(403)
    form = ObjectionForm()
    if form.validate_on_submit():
        created = []
        if attempt(form, lambda: created.append(objection_ops.raise_objection(
                job, bid, form.reasons.data, form.evidence.data, utcnow()))):
            flash(_("Your objection has been raised; the owner answers within 3 working "
                    "days."), "success")
            return redirect(url_for("market.objection_detail", objection_id=created[0].id))
    return render_template("market/objection_form.html", job=job, form=form,
                           winner=job_queries.winner_bid(job))


def _detail_page(objection: Objection, answer_form=None, decision_form=None):
    role = _role_on(objection)
    if role is None:
        abort(403)
    open_ = objection.status in job_queries.OPEN_OBJECTIONS
    context = {"objection": objection, "job": objection.job, "role": role, **_labels()}
    if role == "owner" and objection.status == ObjectionStatus.RAISED:
        context["answer_form"] = answer_form or ObjectionAnswerForm(formdata=None)
    if role == "regulator" and open_:
        context["decision_form"] = decision_form or ObjectionDecisionForm(formdata=None)
        context["may_decide_now"] = objection.status == ObjectionStatus.ANSWERED \
            or utcnow() >= objection.answer_due_at
    return render_template("market/objection_detail.html", **context)


@bp.get("/objections/<int:objection_id>")
@signed_in
def objection_detail(objection_id: int):
    return _detail_page(_objection(objection_id))


@bp.post("/objections/<int:objection_id>/answer")
@owner_user
def objection_answer(objection_id: int):
    objection = _objection(objection_id)
    if not job_queries.is_owner_user(objection.job, current_user):
        abort(403)
    form = ObjectionAnswerForm()
    if form.validate_on_submit() and attempt(form, lambda: objection_ops.answer_objection(
            objection, current_user.organisation_id, form.answer.data, utcnow())):
        flash(_("Your answer has been sent to the bidder and the regulator."), "success")
        return redirect(url_for("market.objection_detail", objection_id=objection.id))
    return _detail_page(objection, answer_form=form)


@bp.post("/objections/<int:objection_id>/decide")
@signed_in
def objection_decide(objection_id: int):
    objection = _objection(objection_id)
    if not objection_ops.is_regulator_of(objection.job, current_user):
        abort(403)
    form = ObjectionDecisionForm()
    if form.validate_on_submit() and attempt(form, lambda: objection_ops.decide_objection(
            objection, current_user, form.decision.data == "uphold", form.note.data,
            utcnow())):
        flash(_("The decision has been recorded."), "success")
        return redirect(url_for("market.objection_detail", objection_id=objection.id))
    return _detail_page(objection, decision_form=form)


@bp.get("/objections/<int:objection_id>/evidence")
@signed_in
def objection_evidence(objection_id: int):
    objection = _objection(objection_id)
    if _role_on(objection) is None:
        abort(403)
    if not objection.evidence_file:
        abort(404)
    return send_upload(objection.evidence_file)


@bp.get("/objections")
@signed_in
def objections():
    return render_template("market/objection_list.html",
                           objections=job_queries.objections_for(current_user), **_labels())
