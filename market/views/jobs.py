"""Job notices: the public list and detail pages (no login), and the owner's pages to post,
edit, publish, cancel and republish jobs (RULES.md §1 "Job and its life").

Every read goes through market/job_queries.py; bid prices only through its `visible_price`
(sealed bids). Each change is one operation; the view commits.
"""

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.draw_views import register_reference_link
from core.errors import DomainError, NotAllowed, NotFound
from core.extensions import db
from core.uploads import send_upload
from market import job_queries, queries
from market.forms.agencies import show_error
from market.forms.bids import bid_status_labels
from market.forms.jobs import (
    ActionForm,
    CancelForm,
    JobForm,
    funding_labels,
    method_labels,
    qualification_mode_labels,
    status_labels,
)
from market.models import Job, JobStatus
from market.operations import jobs as operations
from market.views import bp

owner_user = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.OWNER)


def labels() -> dict:
    """The label dictionaries every job template uses."""
    return {"status_labels": status_labels(), "method_labels": method_labels(),
            "funding_labels": funding_labels(), "mode_labels": qualification_mode_labels(),
            "bid_status_labels": bid_status_labels()}


# --- Public job notices ----------------------------------------------------------------------

@bp.get("/jobs")
def jobs():
    filters = job_queries.JobFilters(
        q=request.args.get("q", ""), service_item_id=request.args.get("item", type=int),
        region_code=request.args.get("region", ""), status=request.args.get("status", ""),
        method=request.args.get("method", ""), funding=request.args.get("funding", ""))
    page = job_queries.public_jobs_page(
        filters, page=request.args.get("page", 1, type=int),
        per_page=current_app.config.get("DIRECTORY_PAGE_SIZE", 20))
    return render_template("market/jobs_list.html", page=page, filters=filters,
                           items=queries.active_service_items(), regions=queries.regions(),
                           **labels())


@bp.get("/jobs/<number>")
def job_detail(number: str):
    job = job_queries.public_job(number)
    agency = job_queries.agency_of(current_user)
    return render_template(
        "market/jobs_detail.html", job=job, draw=job_queries.draw_of(job),
        time_left=job_queries.time_left(job), bidding_open=job_queries.bidding_open(job),
        bids_opened=job_queries.bids_opened(job), bid_count=job_queries.bid_count(job),
        opened_bids=job_queries.opened_bids(job),
        price_of=lambda bid: job_queries.visible_price(bid, current_user),
        attachments=job_queries.attachments(job), direct_agency=job_queries.direct_agency(job),
        previous_round=job_queries.previous_round(job), next_round=_public_next_round(job),
        my_bid=job_queries.bid_of(job, agency) if agency else None,
        my_reasons=job_queries.eligibility(job, agency) if agency else None,
        is_owner=job_queries.is_owner_user(job, current_user), **labels())


def _job_page_of_draw(job_id: str) -> str | None:
    """The public page a job's draw (reference "job:<id>") links back to."""
    job = job_queries.job(int(job_id)) if job_id.isdigit() else None
    return url_for("market.job_detail", number=job.number) \
        if job is not None and job.published_at else None


register_reference_link("job", _job_page_of_draw)


def _public_next_round(job: Job) -> Job | None:
    later = job_queries.next_round(job)
    return later if later is not None and later.published_at is not None else None


@bp.get("/jobs/attachments/<int:attachment_id>")
def job_attachment(attachment_id: int):
    """Attachments are public with the job; a draft's only to its owner."""
    attachment = job_queries.attachment(attachment_id)
    job = job_queries.job(attachment.job_id) if attachment else None
    if job is None:
        abort(404)
    if job.published_at is None and not job_queries.is_owner_user(job, current_user):
        abort(404)
    return send_upload(attachment.stored_name)


# --- The owner's jobs ------------------------------------------------------------------------

def _own_owner():
    owner = job_queries.owner_of(current_user)
    if owner is None:
        abort(404)
    return owner


def _own_job(job_id: int) -> Job:
    job = job_queries.job(job_id)
    if job is None:
        abort(404)
    if not job_queries.is_owner_user(job, current_user):
        abort(403)
    return job


def _show_refusal(form: JobForm, error: DomainError) -> None:
    problems = getattr(error, "problems", None)
    if problems is None:
        show_error(form, error)
        return
    for name, message in problems:
        show_error(form, operations.FieldConflict(message, name))


def _attempt(form: JobForm, change: Callable[[], object]) -> bool:
    """Run one operation: commit on success; on a refusal roll back and show it on `form`.
    Permission refusals stay errors (403/404)."""
    try:
        change()
    except (NotAllowed, NotFound, operations.JobClosed):
        raise
    except DomainError as error:
        db.session.rollback()
        _show_refusal(form, error)
        return False
    db.session.commit()
    return True


@bp.get("/my/jobs")
@owner_user
def my_jobs():
    owner = _own_owner()
    status = request.args.get("status", "")
    return render_template("market/jobs_mine.html", owner=owner, status=status,
                           jobs=job_queries.owner_jobs(owner, status),
                           counts=job_queries.owner_status_counts(owner),
                           statuses=list(JobStatus), action_form=ActionForm(), **labels())


@bp.route("/my/jobs/new", methods=["GET", "POST"])
@owner_user
def new_job():
    owner = _own_owner()
    form = JobForm().load_choices()
    if form.validate_on_submit():
        created = []
        if _attempt(form, lambda: created.append(
                operations.create_draft(owner, form.terms(), form.uploads()))):
            flash(_("The draft has been saved. Publish it when it is complete."), "success")
            return redirect(url_for("market.manage_job", job_id=created[0].id))
    return render_template("market/jobs_form.html", form=form, job=None,
                           min_days=operations.min_bidding_days(), **labels())


def _manage_page(job: Job, form: JobForm | None = None, cancel_form: CancelForm | None = None):
    editable = job.status == JobStatus.DRAFT or job_queries.bidding_open(job)
    form = form or (JobForm.for_job(job) if editable else None)
    return render_template(
        "market/jobs_form.html", job=job, form=form, editable=editable,
        problems=operations.terms_problems(job) if job.status == JobStatus.DRAFT else [],
        attachments=job_queries.attachments(job), action_form=ActionForm(),
        cancel_form=cancel_form or CancelForm(formdata=None),
        cancellable=job.status == JobStatus.DRAFT or job_queries.bidding_open(job),
        next_round=job_queries.next_round(job), previous_round=job_queries.previous_round(job),
        bid_count=job_queries.bid_count(job), min_days=operations.min_bidding_days(),
        **labels())


@bp.route("/my/jobs/<int:job_id>", methods=["GET", "POST"])
@owner_user
def manage_job(job_id: int):
    """A draft's or open job's form, with its actions; a read-only summary otherwise."""
    job = _own_job(job_id)
    if request.method == "GET":
        return _manage_page(job)
    form = JobForm().load_choices()
    if form.validate_on_submit():
        published = job.status == JobStatus.PUBLISHED
        changed = []
        if _attempt(form, lambda: changed.append(
                operations.update_job(job, form.terms(), form.uploads()))):
            if not changed[0]:
                flash(_("Nothing was changed."), "info")
            elif published:
                flash(_("The terms have been changed; the bidders have been asked to confirm "
                        "their bids again."), "success")
            else:
                flash(_("The draft has been saved."), "success")
            return redirect(url_for("market.manage_job", job_id=job.id))
    return _manage_page(job, form=form)


@bp.post("/my/jobs/<int:job_id>/publish")
@owner_user
def publish_job(job_id: int):
    job = _own_job(job_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        operations.publish(job)
    except operations.TermsRefused as refused:
        db.session.rollback()
        form = JobForm.for_job(job)
        _show_refusal(form, refused)
        flash(_("The job cannot be published yet: correct what is marked below."), "danger")
        return _manage_page(job, form=form)
    db.session.commit()
    flash(_("Job %(number)s has been published.", number=job.number), "success")
    return redirect(url_for("market.job_detail", number=job.number))


@bp.post("/my/jobs/<int:job_id>/cancel")
@owner_user
def cancel_job(job_id: int):
    job = _own_job(job_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            operations.cancel(job, form.reason.data)
        except operations.FieldConflict as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The job has been cancelled."), "success")
            return redirect(url_for("market.my_jobs"))
    flash(_("Give the reason for cancelling."), "danger")
    return _manage_page(job, cancel_form=form)


@bp.post("/my/jobs/<int:job_id>/republish")
@owner_user
def republish_job(job_id: int):
    job = _own_job(job_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    new = operations.republish(job)
    db.session.commit()
    flash(_("Round %(n)d has been drafted from the failed job: set a new deadline and "
            "publish it.", n=new.round), "success")
    return redirect(url_for("market.manage_job", job_id=new.id))


@bp.post("/my/jobs/<int:job_id>/attachments/<int:attachment_id>/remove")
@owner_user
def remove_job_attachment(job_id: int, attachment_id: int):
    job = _own_job(job_id)
    attachment = job_queries.attachment(attachment_id)
    if attachment is None or attachment.job_id != job.id or not ActionForm().validate_on_submit():
        abort(404)
    operations.remove_attachment(job, attachment)
    db.session.commit()
    flash(_("The attachment has been removed."), "success")
    return redirect(url_for("market.manage_job", job_id=job.id))
