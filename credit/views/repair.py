"""Credit repair pages (信用修复, RULES.md §2 "Disclosure and repair").

The subject (users of the organisation with the subject's USCC) sees what it may repair and
applies; regulators of the deciding department work through the queue and decide. Evidence
files are served only to the subject's users and to regulators.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.auth.decorators import roles_required
from core.auth.models import OrgKind
from core.errors import DomainError, NotAllowed, NotFound, render_error
from core.extensions import db
from core.uploads import send_upload
from credit.forms.repair import APPROVE, DecisionForm, RepairForm
from credit.forms.subjects import record_kind_labels, severity_labels
from credit.models import (
    CreditRecord,
    CreditSubject,
    RepairApplication,
    RepairStatus,
    SevereListing,
)
from credit.operations import repair as operations
from credit.queries import repair as queries
from credit.views import bp

QUEUE_PAGE_SIZE = 30
regulator_required = roles_required(*queries.DECIDING_ROLES, org_kind=OrgKind.DEPARTMENT)

STATUS_LABELS = {
    RepairStatus.SUBMITTED: _l("Awaiting decision"),
    RepairStatus.APPROVED: _l("Approved"),
    RepairStatus.REFUSED: _l("Refused"),
}


@bp.app_template_global("repair_status_label")
def repair_status_label(status: RepairStatus) -> str:
    return str(STATUS_LABELS[RepairStatus(status)])


@bp.app_template_global("repair_panel")
def repair_panel(subject: CreditSubject, is_self: bool, is_regulator: bool) -> dict:
    """What templates/credit/_subject_repair.html shows on the subject's credit page.
    Repair applications are not public: nothing for other visitors."""
    if not (is_self or is_regulator):
        return {"visible": False}
    today = queries.local_today()
    panel = {"visible": True, "applications": queries.applications_of(subject),
             "is_self": is_self, "kind_labels": record_kind_labels(),
             "severity_labels": severity_labels()}
    if is_self:
        panel.update(records=queries.repairable_records(subject, today),
                     listings=queries.repairable_listings(subject, today),
                     pending=queries.pending_records(subject, today))
    return panel


# --- The subject ----------------------------------------------------------------------------

def _own_subject(subject_id: int) -> CreditSubject:
    """The subject whose record or listing is asked for, if the user acts for it; else 403."""
    subject = db.session.get(CreditSubject, subject_id)
    if subject is None:
        abort(404)
    if not queries.is_subject_user(current_user, subject):
        abort(403)
    return subject


@bp.get("/repair")
@login_required
def repair_mine():
    subject = queries.subject_of(current_user)
    if subject is None:
        abort(404, _("Your organisation has no credit file on the platform."))
    return render_template("credit/repair_mine.html", subject=subject, is_self=True,
                           is_regulator=False)


def _apply(subject: CreditSubject, refusal: str | None, action: str, target_label: str,
           **target):
    """The application form for one record or listing: GET shows it, POST submits it."""
    if refusal is None and queries.open_application_for(**target) is not None:
        refusal = _("A repair application for this is already open; wait for its decision.")
    if refusal:
        # RULES.md §2: e.g. no repair before the minimum display period; say from when.
        return render_error(409, refusal)
    form = RepairForm()
    text = operations.commitment_text(subject.name)
    status = 200
    if form.validate_on_submit():
        try:
            application = operations.submit_application(subject, form.repair_request(text),
                                                        **target)
        except (NotAllowed, NotFound):
            raise
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Your repair application has been submitted. The department decides by "
                    "%(moment)s.", moment=format_datetime(application.decide_by,
                                                          "yyyy-MM-dd HH:mm")), "success")
            return redirect(url_for("credit.repair_detail", application_id=application.id))
    return render_template("credit/repair_apply.html", form=form, subject=subject,
                           commitment_text=text, target_label=target_label, action=action,
                           **target), status


def _show_error(form, error: Exception) -> None:
    """An operation's refusal on the field it names, else above the form."""
    name = getattr(error, "field", None)
    if name and name in form:
        form[name].errors = [*form[name].errors, str(error)]
    else:
        form.form_errors = [*form.form_errors, str(error)]


@bp.route("/repair/records/<int:record_id>/apply", methods=["GET", "POST"])
@login_required
def repair_apply_record(record_id: int):
    record = db.session.get(CreditRecord, record_id)
    if record is None:
        abort(404)
    subject = _own_subject(record.subject_id)
    return _apply(subject, queries.record_refusal(record, queries.local_today()),
                  url_for("credit.repair_apply_record", record_id=record.id), record.title,
                  record=record)


@bp.route("/repair/listings/<int:listing_id>/apply", methods=["GET", "POST"])
@login_required
def repair_apply_listing(listing_id: int):
    listing = db.session.get(SevereListing, listing_id)
    if listing is None:
        abort(404)
    subject = _own_subject(listing.subject_id)
    return _apply(subject, queries.listing_refusal(listing, queries.local_today()),
                  url_for("credit.repair_apply_listing", listing_id=listing.id),
                  _("Early removal from the severe dishonesty list"), listing=listing)


# --- One application: subject and regulators -----------------------------------------------

def _visible_application(application_id: int) -> RepairApplication:
    application = db.session.get(RepairApplication, application_id)
    if application is None:
        abort(404)
    if not queries.may_view(current_user, application):
        abort(403)
    return application


def _detail_page(application: RepairApplication, form: DecisionForm | None = None,
                 status: int = 200, error: str | None = None):
    may_decide = (application.status in queries.OPEN_STATUSES
                  and queries.may_decide(current_user, application))
    if may_decide and form is None:
        form = DecisionForm(formdata=None)
    return render_template(
        "credit/repair_detail.html", application=application,
        listing=queries.listing_of(application),
        commitment=queries.commitment_of(application),
        overdue=queries.is_overdue(application), form=form if may_decide else None,
        error=error, is_self=queries.is_subject_user(current_user, application.subject)), status


@bp.get("/repair/<int:application_id>")
@login_required
def repair_detail(application_id: int):
    return _detail_page(_visible_application(application_id))


@bp.get("/repair/<int:application_id>/evidence")
@login_required
def repair_evidence(application_id: int):
    application = _visible_application(application_id)
    if not application.evidence_file:
        abort(404)
    return send_upload(application.evidence_file)


@bp.post("/repair/<int:application_id>/decide")
@regulator_required
def repair_decide(application_id: int):
    application = _visible_application(application_id)
    if not queries.may_decide(current_user, application):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _detail_page(application, form)
    try:
        if form.decision.data == APPROVE:
            operations.approve(application, current_user, form.note.data)
        else:
            operations.refuse(application, current_user, form.note.data)
    except NotAllowed:
        raise
    except DomainError as error:
        db.session.rollback()
        if getattr(error, "field", None):
            _show_error(form, error)
            return _detail_page(application, form, error.status)
        return _detail_page(application, status=error.status, error=str(error))
    db.session.commit()
    flash(_("The repair application has been approved.") if form.decision.data == APPROVE
          else _("The repair application has been refused."), "success")
    return redirect(url_for("credit.repair_queue"))


@bp.get("/repair/queue")
@regulator_required
def repair_queue():
    page = db.paginate(queries.queue_query(current_user), per_page=QUEUE_PAGE_SIZE,
                       error_out=False)
    return render_template("credit/repair_queue.html", page=page,
                           is_overdue=queries.is_overdue)
