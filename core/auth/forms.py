"""Sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from core.auth.passwords import strength_problem


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this computer"))


def strong_password(form, field):
    """Minimum strength; the password may not contain the account's own username."""
    if "username" in form:
        username = form.username.data or ""
    else:
        username = current_user.username if current_user.is_authenticated else ""
    if problem := strength_problem(field.data or "", username):
        raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"),
                             validators=[DataRequired(), Length(max=200), strong_password])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(),
                                        EqualTo("password", _l("The passwords do not match."))])
