"""Platform admin: the service item, qualification type and region catalogues.

Form → operation → commit → redirect. A refused write (duplicate code, unknown reference)
is shown on the form and nothing is committed.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.admin_views import register_admin_link
from core.auth.decorators import admin_required
from core.errors import DomainError
from core.extensions import db
from market import queries
from market.forms.catalogue import (
    QualificationTypeForm,
    RegionForm,
    RegionRenameForm,
    ServiceItemForm,
    pricing_labels,
)
from market.operations import catalogue as ops
from market.views import bp

register_admin_link("market.catalogue_items", _l("Service item catalogue"))
register_admin_link("market.catalogue_qualification_types", _l("Qualification types"))
register_admin_link("market.catalogue_regions", _l("Regions"))


def _refused(form, error: DomainError) -> None:
    """Put an operation's refusal on the form: a duplicate code on the code field."""
    target = form.code.errors if isinstance(error, ops.DuplicateCode) else form.form_errors
    target.append(str(error))


# --- Service items --------------------------------------------------------------------------

@bp.get("/admin/catalogue/items")
@admin_required
def catalogue_items():
    return render_template("market/catalogue_items.html", items=queries.all_service_items(),
                           pricing_labels=pricing_labels())


def _item_form(**kwargs) -> ServiceItemForm:
    return ServiceItemForm(departments=queries.departments(),
                           qualification_types=queries.qualification_types(), **kwargs)


def _item_input(form: ServiceItemForm) -> ops.ServiceItemInput:
    return ops.ServiceItemInput(
        code=form.code.data, name=form.name.data, category=form.category.data,
        legal_basis=form.legal_basis.data, department_id=form.department_id.data,
        statutory_days=form.statutory_days.data, pricing=form.pricing.data,
        fee_basis=form.fee_basis.data, fee_standard=form.fee_standard.data,
        required_qualification_type_ids=form.required_qualification_ids.data or [])


@bp.route("/admin/catalogue/items/new", methods=["GET", "POST"])
@admin_required
def catalogue_item_new():
    form = _item_form()
    if form.validate_on_submit():
        try:
            item = ops.create_service_item(_item_input(form))
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Service item %(code)s created.", code=item.code), "success")
            return redirect(url_for("market.catalogue_items"))
    return render_template("market/catalogue_form.html", form=form,
                           title=_("New service item"), back=url_for("market.catalogue_items"))


@bp.route("/admin/catalogue/items/<int:item_id>/edit", methods=["GET", "POST"])
@admin_required
def catalogue_item_edit(item_id: int):
    item = queries.service_item(item_id) or abort(404)
    form = _item_form(obj=item)
    if request.method == "GET":
        form.required_qualification_ids.data = [q.id for q in item.required_qualifications]
        form.pricing.data = item.pricing.value
    if form.validate_on_submit():
        try:
            ops.update_service_item(item, _item_input(form))
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Service item %(code)s saved.", code=item.code), "success")
            return redirect(url_for("market.catalogue_items"))
    return render_template("market/catalogue_form.html", form=form,
                           title=_("Edit service item %(code)s", code=item.code),
                           back=url_for("market.catalogue_items"))


@bp.post("/admin/catalogue/items/<int:item_id>/active")
@admin_required
def catalogue_item_set_active(item_id: int):
    item = queries.service_item(item_id) or abort(404)
    active = request.form.get("active") == "1"
    ops.set_service_item_active(item, active)
    db.session.commit()
    message = _("Service item %(code)s is listed again.", code=item.code) if active else \
        _("Service item %(code)s is withdrawn from the public lists.", code=item.code)
    flash(message, "success")
    return redirect(url_for("market.catalogue_items"))


# --- Qualification types --------------------------------------------------------------------

@bp.route("/admin/catalogue/qualification-types", methods=["GET", "POST"])
@admin_required
def catalogue_qualification_types():
    form = QualificationTypeForm()
    if form.validate_on_submit():
        try:
            qt = ops.create_qualification_type(form.code.data, form.name.data)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Qualification type %(code)s created.", code=qt.code), "success")
            return redirect(url_for("market.catalogue_qualification_types"))
    return render_template("market/catalogue_qualification_types.html", form=form,
                           types=queries.qualification_types())


@bp.route("/admin/catalogue/qualification-types/<int:type_id>/edit", methods=["GET", "POST"])
@admin_required
def catalogue_qualification_type_edit(type_id: int):
    qt = queries.qualification_type(type_id) or abort(404)
    form = QualificationTypeForm(obj=qt)
    if form.validate_on_submit():
        try:
            ops.update_qualification_type(qt, form.code.data, form.name.data)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Qualification type %(code)s saved.", code=qt.code), "success")
            return redirect(url_for("market.catalogue_qualification_types"))
    return render_template("market/catalogue_form.html", form=form,
                           title=_("Edit qualification type %(code)s", code=qt.code),
                           back=url_for("market.catalogue_qualification_types"))


# --- Regions --------------------------------------------------------------------------------

@bp.route("/admin/catalogue/regions", methods=["GET", "POST"])
@admin_required
def catalogue_regions():
    form = RegionForm()
    if form.validate_on_submit():
        try:
            region = ops.create_region(form.code.data, form.name.data)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Region %(name)s created.", name=region.name), "success")
            return redirect(url_for("market.catalogue_regions"))
    return render_template("market/catalogue_regions.html", form=form,
                           regions=queries.regions())


@bp.route("/admin/catalogue/regions/<code>/edit", methods=["GET", "POST"])
@admin_required
def catalogue_region_edit(code: str):
    region = queries.region(code) or abort(404)
    form = RegionRenameForm(obj=region)
    if form.validate_on_submit():
        ops.rename_region(region, form.name.data)
        db.session.commit()
        flash(_("Region %(code)s saved.", code=region.code), "success")
        return redirect(url_for("market.catalogue_regions"))
    return render_template("market/catalogue_form.html", form=form,
                           title=_("Rename region %(code)s", code=region.code),
                           back=url_for("market.catalogue_regions"))
