"""Platform administration: departments, users, holiday overrides and the audit log.

Every page is for platform admins only. Writes follow form → operation → commit → redirect;
a domain error (a conflict with things as they are) is shown on the form with its status.
"""

import json
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from core import audit
from core import calendar as work_calendar
from core import settings as app_settings
from core.admin_forms import (
    AuditFilterForm,
    ConfirmForm,
    DepartmentForm,
    DepartmentUserForm,
    OverrideEditForm,
    OverrideForm,
    RenameForm,
    ResetPasswordForm,
    UserEditForm,
    UserFilterForm,
    role_choices,
    role_label,
)
from core.auth import operations as auth_ops
from core.auth.decorators import admin_required
from core.auth.models import Organisation, OrgKind, Role, User
from core.db import utcnow
from core.errors import DomainError
from core.extensions import db

bp = Blueprint("admin", __name__)
PAGE_SIZE = 30

# Domains add their own admin pages here without core importing them (core ← market).
ADMIN_LINKS: list[tuple[str, object]] = []


def register_admin_link(endpoint: str, label) -> None:
    """Show `label` (a lazy_gettext string) linking to `endpoint` on the admin index."""
    if (endpoint, label) not in ADMIN_LINKS:
        ADMIN_LINKS.append((endpoint, label))


@bp.before_request
@admin_required
def _platform_admins_only():
    """Guards every page of this blueprint, including ones added later."""


def _readable_json(value) -> str:
    # Jinja's tojson escapes every Chinese character to \uXXXX; autoescape keeps this safe.
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@bp.context_processor
def _admin_helpers():
    return {"role_label": role_label, "readable_json": _readable_json}


# --- helpers ---------------------------------------------------------------------------


def _render_form(form, title: str, back: str, status: int = 200, **context):
    return render_template("admin/form.html", form=form, title=title, back=back,
                           **context), status


def _saved(message: str, target: str):
    db.session.commit()
    flash(message, "success")
    return redirect(target)


def _refuse(form, error: DomainError) -> int:
    """Undo what the operation flushed, show why on the form; returns the status to answer."""
    db.session.rollback()
    form.form_errors.append(str(error))
    return error.status


def _require_confirm() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _department_or_404(org_id: int) -> Organisation:
    org = db.get_or_404(Organisation, org_id)
    if org.kind != OrgKind.DEPARTMENT:
        abort(404)
    return org


def _departments() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation)
                                   .where(Organisation.kind == OrgKind.DEPARTMENT)
                                   .order_by(Organisation.name)))


# --- dashboard -------------------------------------------------------------------------


@bp.get("/")
def index():
    org_counts = dict(db.session.execute(
        select(Organisation.kind, func.count()).group_by(Organisation.kind)).all())
    user_counts = {
        "total": db.session.scalar(select(func.count()).select_from(User)),
        "disabled": db.session.scalar(
            select(func.count()).select_from(User).where(User.active.is_(False))),
        "locked": db.session.scalar(
            select(func.count()).select_from(User).where(User.locked_until > utcnow())),
    }
    return render_template("admin/index.html", org_counts=org_counts, user_counts=user_counts,
                           kinds=list(OrgKind), links=ADMIN_LINKS)


# --- departments -----------------------------------------------------------------------


@bp.get("/departments")
def departments():
    user_counts = dict(db.session.execute(
        select(User.organisation_id, func.count()).join(User.organisation)
        .where(Organisation.kind == OrgKind.DEPARTMENT).group_by(User.organisation_id)).all())
    return render_template("admin/departments.html", departments=_departments(),
                           user_counts=user_counts)


@bp.route("/departments/new", methods=["GET", "POST"])
def department_new():
    form = DepartmentForm()
    title, back = _("New department"), url_for(".departments")
    if form.validate_on_submit():
        try:
            department, _admin = auth_ops.create_department(
                form.name.data, form.uscc.data, form.username.data, form.password.data,
                form.display_name.data)
        except DomainError as error:
            return _render_form(form, title, back, _refuse(form, error))
        return _saved(_("Department %(name)s created with its administrator %(user)s.",
                        name=department.name, user=form.username.data), back)
    return _render_form(form, title, back,
                        intro=_("The department's first account is its administrator."))


@bp.route("/departments/<int:org_id>/rename", methods=["GET", "POST"])
def department_rename(org_id: int):
    department = _department_or_404(org_id)
    form = RenameForm(obj=department)
    title, back = _("Rename %(name)s", name=department.name), url_for(".departments")
    if form.validate_on_submit():
        try:
            auth_ops.rename_organisation(department, form.name.data)
        except DomainError as error:
            return _render_form(form, title, back, _refuse(form, error))
        return _saved(_("Department renamed."), back)
    return _render_form(form, title, back)


# --- users -----------------------------------------------------------------------------


def _user_query(text: str, role: str | None, org_id: int | None):
    query = select(User).outerjoin(User.organisation).order_by(User.id)
    if role in set(Role):  # a hand-edited role is ignored, not an error
        query = query.where(User.role == Role(role))
    if org_id:
        query = query.where(User.organisation_id == org_id)
    if text := text.strip().lower():
        query = query.where(or_(*(func.lower(column).contains(text, autoescape=True)
                                  for column in (User.username, User.display_name,
                                                 Organisation.name))))
    return query


@bp.get("/users")
def users():
    form = UserFilterForm(request.args)
    form.org.choices = [("", _("All departments"))] + [
        (str(d.id), d.name) for d in _departments()]
    query = _user_query(request.args.get("q", ""), request.args.get("role"),
                        request.args.get("org", type=int))
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/users.html", form=form, page=page,
                           is_locked=auth_ops.is_locked)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = DepartmentUserForm()
    form.department.choices = [(d.id, d.name) for d in _departments()]
    if request.method == "GET":  # "Add user" links from the departments page name it
        form.department.data = request.args.get("department", type=int)
    title, back = _("New department user"), url_for(".users")
    if form.validate_on_submit():
        try:
            user = auth_ops.create_user(
                form.username.data, form.password.data, form.display_name.data,
                Role(form.role.data), _department_or_404(form.department.data),
                phone=form.phone.data or None, email=form.email.data or None)
        except DomainError as error:
            return _render_form(form, title, back, _refuse(form, error))
        return _saved(_("User %(name)s created.", name=user.username),
                      url_for(".user_edit", user_id=user.id))
    return _render_form(form, title, back)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    form.role.choices = role_choices(auth_ops.roles_for(user.organisation))
    if form.validate_on_submit():  # the choices hold only roles the organisation allows
        auth_ops.update_user(user, display_name=form.display_name.data,
                             role=Role(form.role.data), phone=form.phone.data or None,
                             email=form.email.data or None)
        return _saved(_("Changes saved."), url_for(".user_edit", user_id=user.id))
    return render_template("admin/user.html", user=user, form=form, confirm=ConfirmForm(),
                           locked=auth_ops.is_locked(user))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
def user_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm(user.username)
    title = _("New password for %(name)s", name=user.username)
    back = url_for(".user_edit", user_id=user.id)
    if form.validate_on_submit():
        auth_ops.set_password(user, form.password.data)
        return _saved(_("The password has been reset; tell the user in person."), back)
    return _render_form(form, title, back)


def _user_action(user_id: int, action, message: str):
    """A one-button change on a user; a domain error shows as its error page."""
    _require_confirm()
    user = db.get_or_404(User, user_id)
    action(user)
    return _saved(message, url_for(".user_edit", user_id=user.id))


@bp.post("/users/<int:user_id>/disable")
def user_disable(user_id: int):
    return _user_action(user_id, lambda u: auth_ops.set_active(u, False),
                        _("The account is disabled."))


@bp.post("/users/<int:user_id>/enable")
def user_enable(user_id: int):
    return _user_action(user_id, lambda u: auth_ops.set_active(u, True),
                        _("The account is enabled again."))


@bp.post("/users/<int:user_id>/unlock")
def user_unlock(user_id: int):
    return _user_action(user_id, auth_ops.unlock, _("The account is unlocked."))


# --- holiday overrides -----------------------------------------------------------------


def _holiday_language() -> str:
    return "zh_CN" if str(get_locale()).startswith("zh") else "en_US"


@bp.get("/holidays")
def holidays():
    year = request.args.get("year", type=int) or utcnow().astimezone(work_calendar.LOCAL_TZ).year
    if not date.min.year <= year <= date.max.year:
        abort(404)
    overrides = work_calendar.overrides_for_year(year)
    return render_template("admin/holidays.html", year=year, overrides=overrides,
                           known=work_calendar.library_year(year, _holiday_language()),
                           overridden={o.day for o in overrides}, confirm=ConfirmForm())


def _back_to_year(day: date) -> str:
    return url_for(".holidays", year=day.year)


@bp.route("/holidays/new", methods=["GET", "POST"])
def holiday_new():
    form = OverrideForm()
    if request.method == "GET":  # "Override" links from the holidays page name the day
        form.day.data = request.args.get("day", type=date.fromisoformat)
    title, back = _("New holiday override"), url_for(".holidays")
    if form.validate_on_submit():
        try:
            override = work_calendar.add_override(form.day.data, bool(form.is_workday.data),
                                                   form.note.data or "")
        except DomainError as error:
            return _render_form(form, title, back, _refuse(form, error))
        return _saved(_("Override for %(day)s saved.", day=override.day),
                      _back_to_year(override.day))
    return _render_form(form, title, back)


@bp.route("/holidays/<int:override_id>", methods=["GET", "POST"])
def holiday_edit(override_id: int):
    override = db.get_or_404(work_calendar.CalendarOverride, override_id)
    form = OverrideEditForm(obj=override)
    title, back = _("Override for %(day)s", day=override.day), _back_to_year(override.day)
    if form.validate_on_submit():
        work_calendar.update_override(override, bool(form.is_workday.data), form.note.data or "")
        return _saved(_("Override for %(day)s saved.", day=override.day), back)
    return _render_form(form, title, back)


@bp.post("/holidays/<int:override_id>/delete")
def holiday_delete(override_id: int):
    _require_confirm()
    override = db.get_or_404(work_calendar.CalendarOverride, override_id)
    back = _back_to_year(override.day)
    work_calendar.delete_override(override)
    return _saved(_("Override deleted; the day follows the statutory calendar again."), back)


# --- audit log -------------------------------------------------------------------------


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    query = select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc())
    if form.entity_type.data:
        query = query.where(audit.AuditEntry.entity_type == form.entity_type.data.strip())
    if form.entity_id.data:
        query = query.where(audit.AuditEntry.entity_id == form.entity_id.data.strip())
    if form.action.data:
        query = query.where(audit.AuditEntry.action.startswith(form.action.data.strip(),
                                                               autoescape=True))
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/audit.html", form=form, page=page)


@bp.get("/audit/verify")
def audit_verify():
    """Recompute the whole hash chain now (read-only, like `intermart audit verify`)."""
    return render_template("admin/audit_verify.html", report=audit.verify(),
                           checked_at=utcnow())


@bp.get("/settings")
def settings_page():
    rows = [(item, app_settings.get(item.key), db.session.get(app_settings.Setting, item.key))
            for item in sorted(app_settings.DECLARED.values(), key=lambda d: d.key)]
    return render_template("admin/settings.html", rows=rows, form=ConfirmForm(),
                           readable=_readable_json)


@bp.post("/settings/<key>")
def setting_update(key: str):
    if key not in app_settings.DECLARED or not ConfirmForm().validate_on_submit():
        abort(404 if key not in app_settings.DECLARED else 400)
    try:
        if request.form.get("reset"):
            app_settings.reset(key)
        else:
            app_settings.update_from_text(key, request.form.get("value", ""))
    except DomainError as error:
        db.session.rollback()
        flash(_("%(key)s was not changed: %(reason)s", key=key, reason=str(error)), "danger")
        return redirect(url_for("admin.settings_page", _anchor=key))
    db.session.commit()
    flash(_("%(key)s saved.", key=key), "success")
    return redirect(url_for("admin.settings_page", _anchor=key))
