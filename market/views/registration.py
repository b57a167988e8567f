"""Zero-barrier registration of agencies and owners (RULES.md §1 "Principles"): a valid,
unregistered USCC is all it takes; the organisation is listed at once and signed in."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from core.errors import DomainError
from core.extensions import db
from market import rules
from market.forms.agencies import AgencyRegistrationForm, OwnerRegistrationForm, show_error
from market.operations import agencies as operations
from market.views import bp


def _signed_in_already():
    flash(_("You are signed in. Sign out first to register another organisation."), "info")
    return redirect(url_for("home"))


def _sign_in_admin_of(organisation) -> None:
    """Registration ends signed in as the organisation's first (and only) user."""
    login_user(organisation.users[0])


@bp.route("/register/agency", methods=["GET", "POST"])
def register_agency():
    if current_user.is_authenticated:
        return _signed_in_already()
    form = AgencyRegistrationForm()
    form.load_choices()
    if form.validate_on_submit():
        try:
            agency = operations.register_agency(form.registration())
        except DomainError as error:
            db.session.rollback()  # nothing of a refused registration is kept
            show_error(form, error)
        else:
            db.session.commit()
            _sign_in_admin_of(agency.organisation)
            flash(_("Welcome. %(name)s is registered and listed in the agency directory.",
                    name=agency.name), "success")
            return redirect(url_for("market.my_agency"))
    return render_template("market/register_agency.html", form=form,
                           commitment=rules.COMMITMENT_BODY)


@bp.route("/register/owner", methods=["GET", "POST"])
def register_owner():
    if current_user.is_authenticated:
        return _signed_in_already()
    form = OwnerRegistrationForm()
    form.load_choices()
    if form.validate_on_submit():
        try:
            owner = operations.register_owner(form.registration())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            _sign_in_admin_of(owner.organisation)
            flash(_("Welcome. %(name)s is registered; you can now post jobs.",
                    name=owner.name), "success")
            return redirect(url_for("market.my_owner"))
    return render_template("market/register_owner.html", form=form)
