"""The inspection catalogues (RULES.md §3): the public inspection item list; for departments
their items, the object pool with its credit strata, the inspector pool and declared
conflicts of interest (回避).

Form → operation → commit → redirect; a refusal shows on the form and nothing is committed.
"""

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role, User
from core.errors import DomainError
from core.extensions import db
from inspection import queries
from inspection.forms.catalogue import (
    AvailabilityForm,
    ConflictForm,
    InspectorProfileForm,
    ItemForm,
    kind_labels,
)
from inspection.models import ItemKind
from inspection.operations import catalogue as ops
from inspection.views import bp
from market import queries as market_queries

department_required = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.DEPARTMENT)
department_admin_required = roles_required(Role.ORG_ADMIN, org_kind=OrgKind.DEPARTMENT)
inspector_required = roles_required(Role.INSPECTOR, org_kind=OrgKind.DEPARTMENT)
any_department_user_required = roles_required(Role.ORG_ADMIN, Role.STAFF, Role.INSPECTOR,
                                              org_kind=OrgKind.DEPARTMENT)


def item_managers_required(view):
    """Department org admins and staff (their own items) and platform admins (all)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != Role.PLATFORM_ADMIN and not queries.is_department_user(
                current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _refused(form, error: DomainError, field=None) -> None:
    db.session.rollback()
    (field.errors if field is not None else form.form_errors).append(str(error))


def _int_arg(name: str) -> int | None:
    return request.args.get(name, type=int) or None


# --- The public inspection item list (抽查事项清单) ----------------------------------------------

@bp.get("/items")
def items():
    department_id = _int_arg("department")
    kind = request.args.get("kind", "")
    kind = kind if kind in {k.value for k in ItemKind} else ""
    return render_template("inspection/catalogue_items.html",
                           items=queries.items(department_id, kind or None),
                           departments=queries.item_departments(), department_id=department_id,
                           kind=kind, kind_labels=kind_labels())


# --- Managing items -------------------------------------------------------------------------

def _managed_departments():
    if current_user.role == Role.PLATFORM_ADMIN:
        return queries.departments()
    return [current_user.organisation]


@bp.get("/items/manage")
@item_managers_required
def items_manage():
    department_id = None if current_user.role == Role.PLATFORM_ADMIN \
        else current_user.organisation_id
    return render_template("inspection/catalogue_manage.html",
                           items=queries.items(department_id, active_only=False),
                           kind_labels=kind_labels())


def _item_form(**kwargs) -> ItemForm:
    return ItemForm(departments=_managed_departments(),
                    service_items=market_queries.active_service_items(), **kwargs)


def _item_input(form: ItemForm) -> ops.ItemInput:
    return ops.ItemInput(code=form.code.data, name=form.name.data,
                         legal_basis=form.legal_basis.data, department_id=form.department_id.data,
                         kind=form.kind.data, method=form.method.data,
                         service_item_id=form.service_item_id.data or None)


def _save_item(form: ItemForm, save, title: str):
    if form.validate_on_submit():
        try:
            item = save(_item_input(form))
        except DomainError as error:
            _refused(form, error, form.code if isinstance(error, ops.DuplicateCode) else None)
            if error.status == 403:
                abort(403)
        else:
            db.session.commit()
            flash(_("Inspection item %(code)s saved.", code=item.code), "success")
            return redirect(url_for("inspection.items_manage"))
    return render_template("inspection/catalogue_form.html", form=form, title=title,
                           back=url_for("inspection.items_manage"))


@bp.route("/items/new", methods=["GET", "POST"])
@item_managers_required
def item_new():
    return _save_item(_item_form(), lambda data: ops.create_item(current_user, data),
                      _("New inspection item"))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@item_managers_required
def item_edit(item_id: int):
    item = queries.item(item_id) or abort(404)
    if not queries.may_manage_department(current_user, item.department_id):
        abort(403)
    form = _item_form(obj=item)
    if request.method == "GET":
        form.kind.data = item.kind.value
        form.service_item_id.data = item.service_item_id or 0
    return _save_item(form, lambda data: ops.update_item(current_user, item, data),
                      _("Edit inspection item %(code)s", code=item.code))


@bp.post("/items/<int:item_id>/active")
@item_managers_required
def item_set_active(item_id: int):
    item = queries.item(item_id) or abort(404)
    active = request.form.get("active") == "1"
    ops.set_item_active(current_user, item, active)  # NotAllowed → 403 page
    db.session.commit()
    flash(_("Inspection item %(code)s is listed again.", code=item.code) if active else
          _("Inspection item %(code)s is withdrawn from the list.", code=item.code), "success")
    return redirect(url_for("inspection.items_manage"))


# --- Object pool (检查对象名录库) ---------------------------------------------------------

@bp.get("/pool")
@any_department_user_required
def pool():
    filters = queries.PoolFilters(service_item_id=_int_arg("service_item"),
                                  region_code=request.args.get("region", ""),
                                  level=request.args.get("level", ""))
    everyone = queries.object_pool(queries.PoolFilters(filters.service_item_id,
                                                       filters.region_code))
    shown = [e for e in everyone if not filters.level or e.level == filters.level]
    return render_template("inspection/catalogue_pool.html", entries=shown,
                           strata=queries.strata_counts(everyone), filters=filters,
                           levels=queries.STRATA,
                           service_items=market_queries.active_service_items(),
                           regions=market_queries.regions())


# --- Inspector pool (执法检查人员名录库) ---------------------------------------------------

@bp.get("/inspectors")
@any_department_user_required
def inspectors():
    department_id = request.args.get("department", type=int)
    available = {"1": True, "0": False}.get(request.args.get("available", ""))
    text = request.args.get("q", "")
    return render_template(
        "inspection/catalogue_inspectors.html",
        profiles=queries.inspector_profiles(department_id, available, text),
        departments=queries.departments(), department_id=department_id,
        available=request.args.get("available", ""), q=text,
        without_profile=queries.inspector_users_without_profile(current_user.organisation_id)
        if current_user.role == Role.ORG_ADMIN else [])


def _save_profile(form: InspectorProfileForm, title: str):
    if form.validate_on_submit():
        inspector = db.session.get(User, form.user_id.data) or abort(404)
        try:
            ops.save_inspector_profile(current_user, inspector, form.certificate_no.data,
                                       form.expertise.data or "", form.available.data)
        except DomainError as error:
            certificate = isinstance(error, ops.DuplicateCertificate)
            _refused(form, error, form.certificate_no if certificate else None)
            if error.status == 403:
                abort(403)
        else:
            db.session.commit()
            flash(_("Inspector %(name)s saved.", name=inspector.display_name), "success")
            return redirect(url_for("inspection.inspectors"))
    return render_template("inspection/catalogue_form.html", form=form, title=title,
                           back=url_for("inspection.inspectors"))


@bp.route("/inspectors/new", methods=["GET", "POST"])
@department_admin_required
def inspector_new():
    users = queries.inspector_users_without_profile(current_user.organisation_id)
    form = InspectorProfileForm(users=users)
    if request.method == "GET" and request.args.get("user", type=int):
        form.user_id.data = request.args.get("user", type=int)
    return _save_profile(form, _("Add an inspector to the pool"))


@bp.route("/inspectors/<int:profile_id>/edit", methods=["GET", "POST"])
@department_admin_required
def inspector_edit(profile_id: int):
    profile = queries.inspector_profile(profile_id) or abort(404)
    if profile.user.organisation_id != current_user.organisation_id:
        abort(403)
    form = InspectorProfileForm(obj=profile, users=[profile.user])
    return _save_profile(form, _("Edit inspector %(name)s", name=profile.user.display_name))


# --- The inspector's own record: availability and conflicts (回避) ------------------------------

@bp.route("/inspectors/me", methods=["GET", "POST"])
@inspector_required
def inspector_me():
    profile = queries.profile_of_user(current_user.id)
    availability = AvailabilityForm(prefix="availability",
                                    data={"available": profile.available} if profile else None)
    conflict_form = ConflictForm(prefix="conflict")
    if profile is not None and request.method == "POST":
        if "availability-submit" in request.form and availability.validate_on_submit():
            ops.set_availability(current_user, profile, availability.available.data)
            db.session.commit()
            flash(_("Your availability is saved."), "success")
            return redirect(url_for("inspection.inspector_me"))
        declared = "conflict-submit" in request.form and conflict_form.validate_on_submit() \
            and _declare(profile, conflict_form)
        if declared:
            return declared
    return render_template("inspection/catalogue_me.html", profile=profile,
                           availability=availability, conflict_form=conflict_form,
                           conflicts=queries.conflicts(inspector_id=profile.id)
                           if profile else [])


def _declare(profile, form: ConflictForm):
    agency = queries.agency_by_uscc(form.agency_uscc.data)
    if agency is None:
        form.agency_uscc.errors.append(_("No agency has this unified social credit code."))
        return None
    try:
        ops.declare_conflict(profile, agency, form.reason.data)
    except DomainError as error:
        _refused(form, error)
        return None
    db.session.commit()
    flash(_("Conflict with %(agency)s declared: you will not be drawn to inspect it.",
            agency=agency.name), "success")
    return redirect(url_for("inspection.inspector_me"))


@bp.get("/conflicts")
@department_required
def conflicts():
    return render_template("inspection/catalogue_conflicts.html",
                           conflicts=queries.conflicts(current_user.organisation_id))
