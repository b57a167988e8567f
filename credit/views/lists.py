"""Pages of the severe dishonesty list, the honour list, exits (清退) and the joint measures
catalogue (RULES.md §2).

Public: the three lists. Regulators (department org admins and staff): start a listing,
decide on objections, grant and revoke honour listings, delist for fraudulent registration.
The subject's users: read the notice and object within the window. Platform admins: the
measures catalogue. Form → operation → commit → redirect; a refusal shows on the form.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.admin_forms import ConfirmForm
from core.admin_views import register_admin_link
from core.auth.decorators import admin_required, roles_required
from core.auth.models import OrgKind, Role
from core.db import utcnow
from core.errors import DomainError
from core.extensions import db
from credit.forms import lists as forms
from credit.models import CreditSubject, ExitReason, ListingStatus, SevereListing
from credit.operations import lists as ops
from credit.queries import lists as queries
from credit.queries.restrictions import restrictions_for
from credit.queries.subjects import is_regulator, is_subject_user, local_today
from credit.views import bp

register_admin_link("credit.measures_index", _l("Joint measures"))

regulator_required = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.DEPARTMENT)


def _labels() -> dict[str, dict]:
    return {"status": forms.listing_status_labels(), "exit": forms.exit_reason_labels(),
            "effect": forms.effect_labels(), "trigger": forms.trigger_labels(),
            "method": forms.method_labels()}


@bp.app_template_global("lists_panel")
def lists_panel(subject: CreditSubject, is_self: bool, is_regulator: bool) -> dict:
    """What templates/credit/_subject_lists.html shows on a subject's credit page. A notice
    not yet listed, and the executions, are for the subject's users and regulators only."""
    state = queries.subject_lists(subject)
    insider = is_self or is_regulator
    severe = state.severe
    if severe is not None and severe.status != ListingStatus.LISTED and not insider:
        severe = None
    return {"severe": severe, "honour": state.honour, "delistings": state.delistings,
            "restrictions": restrictions_for(subject.uscc),
            "executions": state.executions if insider else [], "insider": insider,
            "is_self": is_self, "is_regulator": is_regulator, "labels": _labels()}


def _refused(form, error: DomainError) -> int:
    """Undo what the operation flushed and show its refusal above the form."""
    db.session.rollback()
    form.form_errors.append(str(error))
    return error.status


def _saved(message: str, target: str):
    db.session.commit()
    flash(message, "success")
    return redirect(target)


# --- public lists ----------------------------------------------------------------------------

def _page() -> int:
    return request.args.get("page", 1, type=int)


def _terms() -> dict[str, int]:
    """The admin-set periods of the severe list, for the texts that explain them."""
    return {"days": ops.setting("credit.objection_working_days"),
            "term": ops.setting("credit.severe_term_years"),
            "after": ops.setting("credit.severe_removal_after_years")}


@bp.get("/severe-list")
def severe_list():
    return render_template("credit/lists_severe.html", page=queries.severe_list_page(_page()),
                           **_terms())


@bp.get("/honour-list")
def honour_list():
    return render_template("credit/lists_honour.html", page=queries.honour_list_page(_page()))


@bp.get("/delisted")
def delisted_list():
    return render_template("credit/lists_delisted.html", page=queries.delisted_page(_page()),
                           labels=_labels())


# --- regulators: overview, starting a listing ------------------------------------------------

@bp.get("/lists/manage")
@regulator_required
def lists_manage():
    department = current_user.organisation
    return render_template("credit/lists_manage.html",
                           listings=queries.department_listings(department.id),
                           honours=queries.department_honours(department.id),
                           delistings=queries.recent_delistings(), labels=_labels(),
                           confirm=ConfirmForm())


@bp.route("/lists/severe/new", methods=["GET", "POST"])
@regulator_required
def listing_new():
    form = forms.StartListingForm(data={"uscc": request.args.get("uscc", "")}
                                  if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            listing = ops.start_severe_listing(form.uscc.data, form.reason.data,
                                               form.legal_basis.data, current_user.organisation)
        except DomainError as error:
            status = _refused(form, error)
        else:
            return _saved(_("The subject has been notified; it may object until the window "
                            "closes."), url_for("credit.listing_notice", listing_id=listing.id))
    return render_template("credit/lists_form.html", form=form,
                           title=_("Start a severe dishonesty listing"),
                           intro=_("The subject is told the reason, the legal basis and its "
                                   "rights, and may object within %(days)d working days. "
                                   "Without an upheld objection it is listed for %(term)d "
                                   "years and delisted from the marketplace.", **_terms()),
                           back=url_for("credit.lists_manage")), status


# --- one listing: the notice, the objection, the decision ------------------------------------

def _listing_or_404(listing_id: int) -> SevereListing:
    return queries.listing(listing_id) or abort(404)


def _may_read(listing: SevereListing) -> bool:
    return is_subject_user(current_user, listing.subject) or is_regulator(current_user)


def _notice_page(listing: SevereListing, objection=None, decision=None, status: int = 200):
    is_self = is_subject_user(current_user, listing.subject)
    deciding = (is_regulator(current_user)
                and current_user.organisation_id == listing.department_id)
    can_object = (is_self and listing.status == ListingStatus.NOTIFIED
                  and utcnow() <= listing.objection_deadline)
    window_open = utcnow() <= listing.objection_deadline
    return render_template(
        "credit/lists_listing.html", listing=listing, labels=_labels(),
        objection=objection or (forms.ObjectionForm() if can_object else None),
        decision=decision or (forms.DecisionForm() if deciding else None),
        can_list=deciding and (listing.status == ListingStatus.OBJECTED or (
            listing.status == ListingStatus.NOTIFIED and not window_open)),
        can_dismiss=deciding and listing.status in (ListingStatus.NOTIFIED,
                                                    ListingStatus.OBJECTED)), status


@bp.get("/listings/<int:listing_id>")
@login_required
def listing_notice(listing_id: int):
    listing = _listing_or_404(listing_id)
    if not _may_read(listing):
        abort(403)
    return _notice_page(listing)


@bp.post("/listings/<int:listing_id>/objection")
@login_required
def listing_object(listing_id: int):
    listing = _listing_or_404(listing_id)
    if not is_subject_user(current_user, listing.subject):
        abort(403)  # RULES.md §2: the subject's own right, nobody else's
    form = forms.ObjectionForm()
    if not form.validate_on_submit():
        return _notice_page(listing, objection=form, status=400)
    try:
        ops.object_to_listing(listing, form.text.data, current_user.organisation.uscc)
    except DomainError as error:
        return _notice_page(listing, objection=form, status=_refused(form, error))
    return _saved(_("Your objection has been sent to the department, which decides on it "
                    "before any listing."), url_for("credit.listing_notice", listing_id=listing.id))


@bp.post("/listings/<int:listing_id>/decision")
@regulator_required
def listing_decide(listing_id: int):
    listing = _listing_or_404(listing_id)
    form = forms.DecisionForm()
    action = request.form.get("action")
    if action not in ("list", "dismiss"):
        abort(400)
    if not form.validate_on_submit():
        return _notice_page(listing, decision=form, status=400)
    department = current_user.organisation
    try:
        if action == "list":
            ops.confirm_listing(listing, form.note.data, department)
        else:
            ops.dismiss_listing(listing, form.note.data, department)
    except DomainError as error:
        return _notice_page(listing, decision=form, status=_refused(form, error))
    message = _("The subject is now on the severe dishonesty list.") if action == "list" \
        else _("The listing was dismissed.")
    return _saved(message, url_for("credit.listing_notice", listing_id=listing.id))


# --- honour list ------------------------------------------------------------------------------

@bp.route("/honour-list/new", methods=["GET", "POST"])
@regulator_required
def honour_new():
    form = forms.HonourForm(data={"uscc": request.args.get("uscc", ""), "term_years": 1}
                            if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            ops.add_to_honour_list(form.uscc.data, form.reason.data, current_user.organisation,
                                   form.term_years.data)
        except DomainError as error:
            status = _refused(form, error)
        else:
            return _saved(_("The subject is on the honour list."),
                          url_for("credit.lists_manage"))
    return render_template("credit/lists_form.html", form=form, title=_("Add to the honour list"),
                           intro=_("Subjects on the honour list get the joint rewards of the "
                                   "measures catalogue while their term runs."),
                           back=url_for("credit.lists_manage")), status


@bp.post("/honour-list/<int:honour_id>/revoke")
@regulator_required
def honour_revoke(honour_id: int):
    honour = queries.honour_listing(honour_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ops.revoke_honour_listing(honour, current_user.organisation)  # a refusal: its error page
    return _saved(_("The honour listing was revoked."), url_for("credit.lists_manage"))


# --- exit for fraudulent registration ---------------------------------------------------------

@bp.route("/delisted/new", methods=["GET", "POST"])
@regulator_required
def delist_new():
    form = forms.DelistForm(data={"uscc": request.args.get("uscc", ""),
                                  "term_years": ops.setting("credit.exit_term_years")}
                            if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            ops.delist(form.uscc.data, ExitReason.FRAUDULENT_REGISTRATION, form.detail.data,
                       form.term_years.data, local_today())
        except DomainError as error:
            status = _refused(form, error)
        else:
            return _saved(_("The agency is delisted: it cannot bid and is hidden from the "
                            "directory until the term ends."), url_for("credit.delisted_list"))
    return render_template("credit/lists_form.html", form=form,
                           title=_("Delist for fraudulent registration"),
                           intro=_("An agency found to have registered with false declarations "
                                   "leaves the marketplace for the term; it may register again "
                                   "afterwards."),
                           back=url_for("credit.lists_manage")), status


# --- measures catalogue (platform admin) ------------------------------------------------------

@bp.get("/admin/measures")
@admin_required
def measures_index():
    return render_template("credit/measures_index.html", measures=queries.all_measures(),
                           labels=_labels(), confirm=ConfirmForm())


def _measure_input(form: forms.MeasureForm) -> ops.MeasureInput:
    return ops.MeasureInput(
        code=form.code.data, content=form.content.data, legal_basis=form.legal_basis.data,
        initiating_department=form.initiating_department.data,
        implementing_department=form.implementing_department.data, trigger=form.trigger.data,
        trigger_value=form.trigger_value.data or None, method=form.method.data,
        effect=form.effect.data, public_funds_only=form.public_funds_only.data)


def _measure_refused(form, error: DomainError) -> int:
    db.session.rollback()
    target = form.code.errors if isinstance(error, ops.DuplicateCode) else form.form_errors
    target.append(str(error))
    return error.status


def _measure_form_page(form, title: str, status: int):
    return render_template("credit/measures_form.html", form=form, title=title,
                           back=url_for("credit.measures_index")), status


@bp.route("/admin/measures/new", methods=["GET", "POST"])
@admin_required
def measure_new():
    form = forms.MeasureForm()
    status = 200
    if form.validate_on_submit():
        try:
            measure = ops.create_measure(_measure_input(form))
        except DomainError as error:
            status = _measure_refused(form, error)
        else:
            return _saved(_("Measure %(code)s created.", code=measure.code),
                          url_for("credit.measures_index"))
    return _measure_form_page(form, _("New measure"), status)


@bp.route("/admin/measures/<int:measure_id>/edit", methods=["GET", "POST"])
@admin_required
def measure_edit(measure_id: int):
    measure = queries.measure(measure_id) or abort(404)
    form = forms.MeasureForm(obj=measure)
    if request.method == "GET":
        form.trigger.data, form.effect.data = measure.trigger.value, measure.effect.value
        form.method.data, form.trigger_value.data = measure.method.value, measure.trigger_value
    status = 200
    if form.validate_on_submit():
        try:
            ops.update_measure(measure, _measure_input(form))
        except DomainError as error:
            status = _measure_refused(form, error)
        else:
            return _saved(_("Measure %(code)s saved.", code=measure.code),
                          url_for("credit.measures_index"))
    return _measure_form_page(form, _("Edit measure %(code)s", code=measure.code), status)


@bp.post("/admin/measures/<int:measure_id>/active")
@admin_required
def measure_set_active(measure_id: int):
    measure = queries.measure(measure_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    ops.set_measure_active(measure, active)
    message = _("Measure %(code)s applies again.", code=measure.code) if active else \
        _("Measure %(code)s is suspended.", code=measure.code)
    return _saved(message, url_for("credit.measures_index"))


@bp.post("/admin/measures/<int:measure_id>/delete")
@admin_required
def measure_delete(measure_id: int):
    measure = queries.measure(measure_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    code = measure.code
    ops.delete_measure(measure)  # refused once applied: its error page says why
    return _saved(_("Measure %(code)s deleted.", code=code), url_for("credit.measures_index"))
