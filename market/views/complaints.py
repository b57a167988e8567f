"""Complaints (投诉举报, RULES.md §1 "Complaints"): anyone complains about a listed agency, no
sign-in needed; regulators (org admins and staff of any department) see the queue and rule.
Who complained, and the evidence, are shown to regulators only."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.uploads import send_upload
from market import job_queries, queries
from market.forms.complaints import ComplaintForm, RulingForm
from market.models import ComplaintStatus
from market.operations import complaints as operations
from market.views import bp
from market.views.contracts import attempt

regulator = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.DEPARTMENT)


def _complained_job(form: ComplaintForm, agency):
    """The job named on the form, if it is one the agency won; None when none is named."""
    number = (form.job_number.data or "").strip()
    if not number:
        return None, True
    job = job_queries.job_by_number(number)
    winner = job_queries.winner_agency(job) if job else None
    if winner is None or winner.id != agency.id:
        form.job_number.errors = [*form.job_number.errors,
                                  _("No job with this number was awarded to this agency.")]
        return None, False
    return job, True


@bp.route("/agencies/<int:agency_id>/complain", methods=["GET", "POST"])
def complaint_new(agency_id: int):
    agency = queries.public_agency(agency_id)
    form = ComplaintForm()
    if form.validate_on_submit():
        job, job_ok = _complained_job(form, agency)
        user = current_user if current_user.is_authenticated else None
        made = []

        def submit():
            made.append(operations.submit_complaint(
                agency, form.name.data, form.contact.data, form.content.data,
                form.evidence.data or None, user=user, job=job))

        if job_ok and attempt(form, submit):
            flash(_("Your complaint no. %(id)d has been received; the competent department "
                    "will rule on it.", id=made[0].id), "success")
            return redirect(url_for("market.agency_profile", agency_id=agency.id))
    status = 400 if request.method == "POST" else 200
    return render_template("market/complaint_new.html", agency=agency, form=form), status


@bp.get("/complaints")
@regulator
def complaint_queue():
    status = request.args.get("status", ComplaintStatus.SUBMITTED.value)
    return render_template("market/complaint_queue.html", status=status,
                           complaints=job_queries.complaints(status),
                           statuses=list(ComplaintStatus))


def _complaint(complaint_id: int):
    complaint = job_queries.complaint(complaint_id)
    if complaint is None:
        abort(404)
    return complaint


def _detail(complaint, form: RulingForm | None = None, status: int = 200):
    if complaint.status == ComplaintStatus.SUBMITTED:
        form = form or RulingForm(formdata=None)
    return render_template("market/complaint_detail.html", complaint=complaint, form=form,
                           department=job_queries.complaint_department(complaint)), status


@bp.get("/complaints/<int:complaint_id>")
@regulator
def complaint_detail(complaint_id: int):
    return _detail(_complaint(complaint_id))


@bp.post("/complaints/<int:complaint_id>/rule")
@regulator
def complaint_rule(complaint_id: int):
    complaint = _complaint(complaint_id)
    form = RulingForm()
    if form.validate_on_submit() and attempt(form, lambda: operations.rule_complaint(
            complaint, current_user.organisation, form.outcome.data == "substantiated",
            form.ruling.data)):
        flash(_("The ruling has been recorded and the agency told."), "success")
        return redirect(url_for("market.complaint_detail", complaint_id=complaint.id))
    return _detail(complaint, form, 400)


@bp.get("/complaints/<int:complaint_id>/evidence")
@regulator
def complaint_evidence(complaint_id: int):
    complaint = _complaint(complaint_id)
    if not complaint.evidence_file:
        abort(404)
    return send_upload(complaint.evidence_file)
