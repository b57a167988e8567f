"""An organisation's own pages: the agency's or owner's profile, offered items with fee
schedules, qualifications and staff accounts; and the protected qualification scans.

Every user of the organisation may look; only its org admin may change anything (403 for
others). Each change is one operation (flush + audit); the view commits.
"""

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role, User
from core.errors import DomainError, NotAllowed, NotFound
from core.extensions import db
from core.uploads import send_upload
from market import rules
from market.forms.agencies import (
    AgencyProfileForm,
    OwnerProfileForm,
    QualificationForm,
    RenewQualificationForm,
    ServicesForm,
    StaffForm,
    offerable_items,
    owner_type_choices,
    qualification_type_choices,
    show_error,
)
from market.models import Agency, Owner, Qualification
from market.operations import agencies as operations
from market.views import bp

agency_user = roles_required(org_kind=OrgKind.AGENCY)
agency_admin = roles_required(Role.ORG_ADMIN, org_kind=OrgKind.AGENCY)
owner_user = roles_required(org_kind=OrgKind.OWNER)
owner_admin = roles_required(Role.ORG_ADMIN, org_kind=OrgKind.OWNER)


def _attempt(form, change: Callable[[], object]) -> bool:
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


# --- Agency ---------------------------------------------------------------------------------

def _own_agency() -> Agency:
    agency = db.session.scalar(
        select(Agency).where(Agency.organisation_id == current_user.organisation_id))
    if agency is None:
        abort(404)
    return agency


def _own_qualification(agency: Agency, qualification_id: int) -> Qualification:
    qualification = db.session.get(Qualification, qualification_id)
    if qualification is None:
        abort(404)
    if qualification.agency_id != agency.id:
        abort(403)
    return qualification


def _services_form(agency: Agency, form: ServicesForm | None = None) -> ServicesForm:
    form = form or ServicesForm(formdata=None, services={
        s.service_item_id: s.fee_schedule for s in agency.services})
    form.services.set_items(offerable_items([s.service_item for s in agency.services]))
    return form


def _qualification_form(form: QualificationForm | None = None) -> QualificationForm:
    form = form or QualificationForm(formdata=None)
    form.load_types(qualification_type_choices())
    return form


def _profile_form(agency: Agency, form: AgencyProfileForm | None = None) -> AgencyProfileForm:
    form = form or AgencyProfileForm(formdata=None, obj=agency)
    form.load_choices()
    return form


def _renew_form(qualification_id: int, submitted: bool = False) -> RenewQualificationForm:
    prefix = f"renew-{qualification_id}"  # one renewal form per certificate on the page
    if submitted:
        return RenewQualificationForm(prefix=prefix)
    return RenewQualificationForm(formdata=None, prefix=prefix)


def _staff(organisation) -> list[User]:
    return sorted(organisation.users, key=lambda u: (u.role != Role.ORG_ADMIN, u.username))


def _agency_page(agency: Agency, **forms):
    """The agency's own page; `forms` replaces the blank forms with one that failed."""
    today = rules.local_today()
    context = dict(agency=agency, today=today, staff=_staff(agency.organisation),
                   editable=current_user.role == Role.ORG_ADMIN,
                   qualifications=[(q, rules.qualification_state(q.expires_on, today))
                                   for q in agency.qualifications])
    if context["editable"]:
        renewing_id, renewing_form = forms.get("renewing", (None, None))
        context.update(
            profile_form=_profile_form(agency, forms.get("profile_form")),
            services_form=_services_form(agency, forms.get("services_form")),
            qualification_form=_qualification_form(forms.get("qualification_form")),
            staff_form=forms.get("staff_form") or StaffForm(formdata=None),
            renew_forms={q.id: renewing_form if q.id == renewing_id else _renew_form(q.id)
                         for q in agency.qualifications})
    return render_template("market/my_agency.html", **context)


@bp.get("/my/agency")
@agency_user
def my_agency():
    return _agency_page(_own_agency())


def _back_to_agency(message: str, anchor: str):
    flash(message, "success")
    return redirect(url_for("market.my_agency", _anchor=anchor))


@bp.post("/my/agency/profile")
@agency_admin
def update_agency_profile():
    agency = _own_agency()
    form = _profile_form(agency, AgencyProfileForm())
    if form.validate_on_submit() and _attempt(
            form, lambda: operations.update_agency_profile(agency, form.profile())):
        return _back_to_agency(_("The profile has been saved."), "profile")
    return _agency_page(agency, profile_form=form)


@bp.post("/my/agency/services")
@agency_admin
def update_agency_services():
    agency = _own_agency()
    form = _services_form(agency, ServicesForm())
    if form.validate_on_submit() and _attempt(
            form, lambda: operations.set_services(agency, form.services.offers())):
        return _back_to_agency(_("Your service items and fee schedules have been saved."),
                               "services")
    return _agency_page(agency, services_form=form)


@bp.post("/my/agency/qualifications")
@agency_admin
def add_qualification():
    agency = _own_agency()
    form = _qualification_form(QualificationForm())
    if form.validate_on_submit() and _attempt(
            form, lambda: operations.add_qualification(agency, form.qualification_input())):
        return _back_to_agency(_("The qualification has been added."), "qualifications")
    return _agency_page(agency, qualification_form=form)


@bp.post("/my/agency/qualifications/<int:qualification_id>/renew")
@agency_admin
def renew_qualification(qualification_id: int):
    agency = _own_agency()
    qualification = _own_qualification(agency, qualification_id)
    form = _renew_form(qualification_id, submitted=True)
    if form.validate_on_submit() and _attempt(form, lambda: operations.renew_qualification(
            qualification, form.expires_on.data, form.scan.data or None)):
        return _back_to_agency(_("The qualification has been renewed."), "qualifications")
    return _agency_page(agency, renewing=(qualification_id, form))


@bp.post("/my/agency/qualifications/<int:qualification_id>/remove")
@agency_admin
def remove_qualification(qualification_id: int):
    agency = _own_agency()
    qualification = _own_qualification(agency, qualification_id)
    operations.remove_qualification(qualification)
    db.session.commit()
    return _back_to_agency(_("The qualification has been removed."), "qualifications")


@bp.get("/qualifications/<int:qualification_id>/scan")
@login_required
def qualification_scan(qualification_id: int):
    """The scan of a certificate: for the agency's own users, departments (who check
    declarations afterwards, RULES.md §1) and platform admins."""
    qualification = db.session.get(Qualification, qualification_id)
    if qualification is None or not qualification.scan_file:
        abort(404)
    allowed = (current_user.role == Role.PLATFORM_ADMIN
               or current_user.org_kind == OrgKind.DEPARTMENT
               or current_user.organisation_id == qualification.agency.organisation_id)
    if not allowed:
        abort(403)
    return send_upload(qualification.scan_file)


# --- Owner ----------------------------------------------------------------------------------

def _own_owner() -> Owner:
    owner = db.session.scalar(
        select(Owner).where(Owner.organisation_id == current_user.organisation_id))
    if owner is None:
        abort(404)
    return owner


def _owner_page(owner: Owner, **forms):
    context = dict(owner=owner, staff=_staff(owner.organisation),
                   owner_types=dict(owner_type_choices()),
                   editable=current_user.role == Role.ORG_ADMIN)
    if context["editable"]:
        profile_form = forms.get("profile_form") or OwnerProfileForm(formdata=None, obj=owner)
        profile_form.load_choices()
        context.update(profile_form=profile_form,
                       staff_form=forms.get("staff_form") or StaffForm(formdata=None))
    return render_template("market/my_owner.html", **context)


@bp.get("/my/owner")
@owner_user
def my_owner():
    return _owner_page(_own_owner())


@bp.post("/my/owner/profile")
@owner_admin
def update_owner_profile():
    owner = _own_owner()
    form = OwnerProfileForm()
    form.load_choices()
    if form.validate_on_submit() and _attempt(
            form, lambda: operations.update_owner_profile(owner, form.profile())):
        flash(_("The profile has been saved."), "success")
        return redirect(url_for("market.my_owner", _anchor="profile"))
    return _owner_page(owner, profile_form=form)


# --- Staff accounts (agencies and owners alike) ---------------------------------------------

def _require_org_admin() -> None:
    """Agency and owner org admins manage their own staff here; departments elsewhere."""
    if current_user.role != Role.ORG_ADMIN or \
            current_user.org_kind not in (OrgKind.AGENCY, OrgKind.OWNER):
        abort(403)


def _own_page(**forms):
    if current_user.org_kind == OrgKind.AGENCY:
        return _agency_page(_own_agency(), **forms)
    return _owner_page(_own_owner(), **forms)


def _own_page_url() -> str:
    endpoint = "market.my_agency" if current_user.org_kind == OrgKind.AGENCY else "market.my_owner"
    return url_for(endpoint, _anchor="staff")


@bp.post("/my/staff")
@login_required
def add_staff():
    _require_org_admin()
    form = StaffForm()
    if form.validate_on_submit() and _attempt(
            form, lambda: operations.add_staff(current_user.organisation, form.account())):
        flash(_("The staff account %(name)s has been created.", name=form.username.data),
              "success")
        return redirect(_own_page_url())
    return _own_page(staff_form=form)


def _set_staff_active(user_id: int, active: bool, message: str):
    _require_org_admin()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.organisation_id != current_user.organisation_id:
        abort(403)
    try:
        operations.set_staff_active(current_user.organisation, user, active)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(_own_page_url())
    db.session.commit()
    flash(message, "success")
    return redirect(_own_page_url())


@bp.post("/my/staff/<int:user_id>/disable")
@login_required
def disable_staff(user_id: int):
    return _set_staff_active(user_id, False, _("The account has been disabled."))


@bp.post("/my/staff/<int:user_id>/enable")
@login_required
def enable_staff(user_id: int):
    return _set_staff_active(user_id, True, _("The account has been enabled again."))
