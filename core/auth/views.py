"""Sign in, sign out, change password."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core import notifications as notifications_module
from core.auth import operations
from core.auth.forms import ChangePasswordForm, LoginForm
from core.auth.models import User
from core.auth.passwords import verify_password
from core.extensions import db, login_manager

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str:
    """Only follow same-site relative redirects after login."""
    if target and not urlsplit(target).netloc and target.startswith("/") \
            and not target.startswith("//"):
        return target
    return url_for("home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home"))
    form = LoginForm()
    if form.validate_on_submit():
        user, problem = operations.authenticate(form.username.data.strip(), form.password.data)
        db.session.commit()  # failure counts and lockouts persist too
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        messages = {
            "invalid": _("Wrong username or password."),
            "locked": _("Too many failed attempts: this account is locked for a while. "
                        "Try again later or ask the administrator."),
            "inactive": _("This account has been disabled."),
        }
        form.password.errors.append(messages[problem])
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            operations.set_password(current_user, form.password.data)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home"))
    return render_template("auth/change_password.html", form=form)


@bp.get("/account/notifications")
@login_required
def notifications():
    return render_template("auth/notifications.html",
                           items=notifications_module.inbox(current_user))


@bp.post("/account/notifications/<int:notification_id>/read")
@login_required
def notification_read(notification_id: int):
    if not notifications_module.mark_read(current_user, notification_id):
        abort(404)
    db.session.commit()
    note = db.session.get(notifications_module.Notification, notification_id)
    return redirect(_safe_next(note.link) if note.link else url_for("auth.notifications"))
