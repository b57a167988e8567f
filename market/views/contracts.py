"""A job after its award: contract filing, the service clock, extensions, deliverables,
acceptance and the evaluation (RULES.md §1 "Contract, delivery, acceptance", "Evaluation").

The pages are for the job's sides only: the owner, the selected agency and the competent
regulator (users of the service item's department); anyone else gets 403. Each action is
for one side. Form → operation → commit → flash → redirect; a refusal is shown on the form.
"""

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth.decorators import roles_required
from core.auth.models import Role
from core.errors import DomainError, NotAllowed, NotFound
from core.extensions import db
from core.uploads import send_upload
from market import job_queries
from market.forms.agencies import show_error
from market.forms.contracts import (
    AcceptForm,
    ConfirmForm,
    ContractForm,
    DeliverableForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    OwnerEvaluationForm,
    RegulatorEvaluationForm,
    ReturnForm,
)
from market.job_queries import AGENCY_SIDE, OWNER_SIDE, REGULATOR_SIDE
from market.models import ContractStatus, DeliverableStatus, Job, JobStatus
from market.operations import contracts as operations
from market.operations import evaluations
from market.rules import JOB_STATUS_LABELS
from market.views import bp

signed_in = roles_required(Role.ORG_ADMIN, Role.STAFF)


def attempt(form, change: Callable[[], object]) -> bool:
    """Run one operation: commit on success; on a refusal roll back and show it on `form`.
    Permission refusals stay errors (403/404), not form messages."""
    try:
        change()
    except (NotAllowed, NotFound):
        raise
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return False
    db.session.commit()
    return True


def _job(job_id: int) -> Job:
    job = job_queries.job(job_id)
    if job is None or job.status not in job_queries.AFTER_AWARD:
        abort(404)
    return job


def _side(job: Job, *allowed: str) -> str:
    side = job_queries.job_side(job, current_user)
    if side is None or side not in allowed:
        abort(403)
    return side


ALL_SIDES = (OWNER_SIDE, AGENCY_SIDE, REGULATOR_SIDE)


@bp.app_template_global("agency_ratings")
def agency_ratings(agency_id: int):
    """For templates/market/evaluation_summary.html on the agency profile."""
    return job_queries.agency_ratings(agency_id)


# --- The contract page --------------------------------------------------------------------

def _blank(form_class, **kwargs):
    return form_class(formdata=None, **kwargs)


def _contract_forms(job: Job, side: str, contract, pending, deliverable, forms: dict) -> dict:
    """The forms this side may use now; a failed one (in `forms`) replaces the blank one."""
    mine = current_user.organisation_id
    can_file = side in (OWNER_SIDE, AGENCY_SIDE) and job.status == JobStatus.AWARDED and (
        contract is None or contract.status == ContractStatus.UPLOADED)
    wanted = {
        "contract_form": (ContractForm, can_file),
        "confirm_form": (ConfirmForm, can_file and contract is not None
                         and contract.uploaded_by_org_id != mine),
        "extension_form": (ExtensionRequestForm, side == AGENCY_SIDE
                           and job.status == JobStatus.IN_SERVICE and pending is None),
        "decision_form": (ExtensionDecisionForm, side == OWNER_SIDE and pending is not None),
        "deliverable_form": (DeliverableForm, side == AGENCY_SIDE
                             and job.status == JobStatus.IN_SERVICE),
        "accept_form": (AcceptForm, side == OWNER_SIDE and deliverable is not None),
        "return_form": (ReturnForm, side == OWNER_SIDE and deliverable is not None),
    }
    return {name: forms.get(name) or _blank(form_class)
            for name, (form_class, shown) in wanted.items() if shown or name in forms}


def _contract_page(job: Job, side: str, status: int = 200, **forms):
    contract = job_queries.contract_for(job)
    pending = job_queries.pending_extension(contract)
    deliverables = job_queries.deliverables_of(job)
    waiting = next((d for d in deliverables if d.status == DeliverableStatus.SUBMITTED), None)
    bid = operations.winning_bid(job)
    context = dict(
        job=job, side=side, contract=contract, bid=bid, agency=bid.agency,
        winning_price=operations.winning_price(job, bid),
        extensions=job_queries.extensions_of(contract), pending=pending,
        deliverables=deliverables, waiting=waiting, status_labels=JOB_STATUS_LABELS,
        acceptance_due=operations.acceptance_due_on(waiting) if waiting else None,
        **_contract_forms(job, side, contract, pending, waiting, forms))
    return render_template("market/contract_page.html", **context), status


def _done(job: Job, message: str):
    flash(message, "success")
    return redirect(url_for("market.contract_page", job_id=job.id))


@bp.get("/jobs/<int:job_id>/contract")
@signed_in
def contract_page(job_id: int):
    job = _job(job_id)
    return _contract_page(job, _side(job, *ALL_SIDES))


@bp.post("/jobs/<int:job_id>/contract")
@signed_in
def contract_upload(job_id: int):
    job = _job(job_id)
    side = _side(job, OWNER_SIDE, AGENCY_SIDE)
    form = ContractForm()
    if form.validate_on_submit() and attempt(form, lambda: operations.file_contract(
            job, current_user.organisation, form.amount.data, form.amount_reason.data,
            form.file.data)):
        return _done(job, _("The contract has been filed; the other side is asked to "
                            "confirm it."))
    return _contract_page(job, side, 400, contract_form=form)


@bp.post("/jobs/<int:job_id>/contract/confirm")
@signed_in
def contract_confirm(job_id: int):
    job = _job(job_id)
    side = _side(job, OWNER_SIDE, AGENCY_SIDE)
    contract = job_queries.contract_for(job)
    if contract is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit() and attempt(
            form, lambda: operations.confirm_contract(contract, current_user.organisation)):
        return _done(job, _("The contract is confirmed; the service has started."))
    return _contract_page(job, side, 400, confirm_form=form)


@bp.get("/jobs/<int:job_id>/contract/file")
@signed_in
def contract_file(job_id: int):
    job = _job(job_id)
    _side(job, *ALL_SIDES)
    contract = job_queries.contract_for(job)
    if contract is None:
        abort(404)
    return send_upload(contract.stored_name)


@bp.post("/jobs/<int:job_id>/extensions")
@signed_in
def extension_request(job_id: int):
    job = _job(job_id)
    side = _side(job, AGENCY_SIDE)
    contract = job_queries.contract_for(job)
    if contract is None:
        abort(404)
    form = ExtensionRequestForm()
    if form.validate_on_submit() and attempt(form, lambda: operations.request_extension(
            contract, current_user.organisation, form.working_days.data, form.reason.data)):
        return _done(job, _("The extension request has been sent to the owner."))
    return _contract_page(job, side, 400, extension_form=form)


@bp.post("/jobs/<int:job_id>/extensions/<int:extension_id>")
@signed_in
def extension_decide(job_id: int, extension_id: int):
    job = _job(job_id)
    side = _side(job, OWNER_SIDE)
    extension = job_queries.extension(extension_id)
    contract = job_queries.contract_for(job)
    if extension is None or contract is None or extension.contract_id != contract.id:
        abort(404)
    form = ExtensionDecisionForm()
    approve = bool(form.approve.data)
    if form.validate_on_submit() and attempt(form, lambda: operations.decide_extension(
            extension, current_user.organisation, approve, form.decision_note.data)):
        return _done(job, _("The extension is approved; the due date has moved.") if approve
                     else _("The extension is refused."))
    return _contract_page(job, side, 400, decision_form=form)


@bp.post("/jobs/<int:job_id>/deliverables")
@signed_in
def deliverable_upload(job_id: int):
    job = _job(job_id)
    side = _side(job, AGENCY_SIDE)
    form = DeliverableForm()
    if form.validate_on_submit() and attempt(form, lambda: operations.submit_deliverable(
            job, current_user.organisation, form.file.data, form.note.data)):
        return _done(job, _("The deliverables have been submitted to the owner."))
    return _contract_page(job, side, 400, deliverable_form=form)


def _deliverable(job: Job, deliverable_id: int):
    deliverable = job_queries.deliverable(deliverable_id)
    if deliverable is None or deliverable.job_id != job.id:
        abort(404)
    return deliverable


@bp.get("/jobs/<int:job_id>/deliverables/<int:deliverable_id>/file")
@signed_in
def deliverable_file(job_id: int, deliverable_id: int):
    job = _job(job_id)
    _side(job, *ALL_SIDES)
    return send_upload(_deliverable(job, deliverable_id).stored_name)


@bp.post("/jobs/<int:job_id>/deliverables/<int:deliverable_id>/accept")
@signed_in
def deliverable_accept(job_id: int, deliverable_id: int):
    job = _job(job_id)
    side = _side(job, OWNER_SIDE)
    deliverable = _deliverable(job, deliverable_id)
    form = AcceptForm()
    if form.validate_on_submit() and attempt(form, lambda: operations.accept_deliverable(
            deliverable, current_user.organisation, form.note.data)):
        flash(_("The deliverables are accepted. Please rate the agency."), "success")
        return redirect(url_for("market.evaluation_page", job_id=job.id))
    return _contract_page(job, side, 400, accept_form=form)


@bp.post("/jobs/<int:job_id>/deliverables/<int:deliverable_id>/return")
@signed_in
def deliverable_return(job_id: int, deliverable_id: int):
    job = _job(job_id)
    side = _side(job, OWNER_SIDE)
    deliverable = _deliverable(job, deliverable_id)
    form = ReturnForm()
    if form.validate_on_submit() and attempt(form, lambda: operations.return_deliverable(
            deliverable, current_user.organisation, form.reason.data)):
        return _done(job, _("The deliverables have been returned to the agency."))
    return _contract_page(job, side, 400, return_form=form)


# --- Evaluation (一事一评) -----------------------------------------------------------------

def _evaluation_page(job: Job, side: str, status: int = 200, **forms):
    evaluation = job_queries.evaluation_for(job)
    owner_open = side == OWNER_SIDE and job.status == JobStatus.ACCEPTED
    regulator_open = side == REGULATOR_SIDE and job.status in (
        JobStatus.ACCEPTED, JobStatus.EVALUATED) and (
        evaluation is None or evaluation.regulator_rated_at is None)
    context = dict(job=job, side=side, evaluation=evaluation,
                   agency=operations.winning_bid(job).agency, status_labels=JOB_STATUS_LABELS)
    if owner_open:
        context["owner_form"] = forms.get("owner_form") or _blank(OwnerEvaluationForm)
    if regulator_open:
        context["regulator_form"] = forms.get("regulator_form") \
            or _blank(RegulatorEvaluationForm)
    return render_template("market/evaluation_page.html", **context), status


@bp.get("/jobs/<int:job_id>/evaluation")
@signed_in
def evaluation_page(job_id: int):
    job = _job(job_id)
    return _evaluation_page(job, _side(job, *ALL_SIDES))


@bp.post("/jobs/<int:job_id>/evaluation/owner")
@signed_in
def evaluation_owner(job_id: int):
    job = _job(job_id)
    side = _side(job, OWNER_SIDE)
    form = OwnerEvaluationForm()
    if form.validate_on_submit() and attempt(form, lambda: evaluations.rate_as_owner(
            job, current_user.organisation, evaluations.OwnerRatings(
                form.quality.data, form.timeliness.data, form.attitude.data, form.fees.data,
                form.conduct.data), form.comment.data)):
        flash(_("Thank you: your evaluation is published on the agency's profile."), "success")
        return redirect(url_for("market.evaluation_page", job_id=job.id))
    return _evaluation_page(job, side, 400, owner_form=form)


@bp.post("/jobs/<int:job_id>/evaluation/regulator")
@signed_in
def evaluation_regulator(job_id: int):
    job = _job(job_id)
    side = _side(job, REGULATOR_SIDE)
    form = RegulatorEvaluationForm()
    if form.validate_on_submit() and attempt(form, lambda: evaluations.rate_as_regulator(
            job, current_user.organisation, form.quality.data, form.compliance.data,
            form.comment.data)):
        flash(_("The department's rating has been recorded."), "success")
        return redirect(url_for("market.evaluation_page", job_id=job.id))
    return _evaluation_page(job, side, 400, regulator_form=form)
