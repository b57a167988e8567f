"""Forms of the platform-admin pages: input validation only (the rules live in operations)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from stdnum.cn import uscc as uscc_std
from stdnum.exceptions import ValidationError as StdnumError
from wtforms import DateField, PasswordField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from core.auth.forms import strong_password
from core.auth.models import Role
from core.auth.operations import department_name_taken, uscc_taken, username_taken
from core.auth.passwords import strength_problem

USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.-]+$",
                       message=_l("Use letters, digits, dot, dash or underscore only."))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def role_label(role: Role) -> str:
    return {Role.ORG_ADMIN: _l("Organisation admin"), Role.STAFF: _l("Staff"),
            Role.INSPECTOR: _l("Inspector"), Role.PLATFORM_ADMIN: _l("Platform admin")}[role]


def role_choices(roles) -> list[tuple[str, str]]:
    return [(role.value, role_label(role)) for role in roles]


def normalise_uscc(value: str | None) -> str | None:
    return uscc_std.compact(value).upper() if value and value.strip() else None


def valid_uscc(form, field):
    """GB 32100-2015 format and check digit (python-stdnum)."""
    try:
        uscc_std.validate(field.data or "")
    except StdnumError as error:
        raise ValidationError(_l("This is not a valid unified social credit code.")) from error


def _unused_username(form, field):
    if username_taken(field.data):
        raise ValidationError(_l("This username is already taken."))


# Field factories: each form lists its fields in the order the page shows them.
def _username():
    return StringField(_l("Username"), filters=[strip], validators=[
        DataRequired(), Length(min=3, max=60), USERNAME_RULE, _unused_username])


def _display_name():
    return StringField(_l("Display name"), filters=[strip],
                       validators=[DataRequired(), Length(max=100)])


def _department_name():
    return StringField(_l("Department name"), filters=[strip],
                       validators=[DataRequired(), Length(max=200)])


def _new_password():
    # strong_password reads the form's `username` field: the password may not contain it.
    return PasswordField(_l("Password"), validators=[
        DataRequired(), Length(max=200), strong_password])


def _confirm():
    return PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", _l("The passwords do not match."))])


def _phone():
    return StringField(_l("Phone"), validators=[Optional(), Length(max=30)])


def _email():
    return StringField(_l("Email"), validators=[Optional(), Email(), Length(max=120)])


class DepartmentForm(FlaskForm):
    name = _department_name()
    uscc = StringField(_l("Unified social credit code"), filters=[normalise_uscc],
                       validators=[Optional(), valid_uscc],
                       description=_l("Optional; 18 characters."))
    username = _username()
    display_name = _display_name()
    password = _new_password()
    confirm = _confirm()

    def validate_name(self, field):
        if department_name_taken(field.data):
            raise ValidationError(_l("A department with this name already exists."))

    def validate_uscc(self, field):
        if field.data and uscc_taken(field.data):
            raise ValidationError(_l("This unified social credit code is already registered."))


class RenameForm(FlaskForm):
    name = _department_name()


class DepartmentUserForm(FlaskForm):
    department = SelectField(_l("Department"), coerce=int)
    role = SelectField(_l("Role"), choices=role_choices(
        (Role.ORG_ADMIN, Role.STAFF, Role.INSPECTOR)))
    username = _username()
    display_name = _display_name()
    phone = _phone()
    email = _email()
    password = _new_password()
    confirm = _confirm()


class UserEditForm(FlaskForm):
    display_name = _display_name()
    role = SelectField(_l("Role"))  # choices: the roles the user's organisation allows
    phone = _phone()
    email = _email()


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", _l("The passwords do not match."))])

    def __init__(self, username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.username_for_rule = username

    def validate_password(self, field):
        # The rule forbids the account's own username, which is not a field of this form.
        if problem := strength_problem(field.data, self.username_for_rule):
            raise ValidationError(problem)


class OverrideForm(FlaskForm):
    # InputRequired, not DataRequired, keeps the "not a valid date" message of a bad date.
    day = DateField(_l("Day"), validators=[InputRequired()])
    is_workday = SelectField(_l("This day is"), coerce=int, choices=[
        (1, _l("a working day")), (0, _l("a day off"))])
    note = StringField(_l("Note"), filters=[strip], validators=[Length(max=200)],
                       description=_l("For example the State Council notice it follows."))


class OverrideEditForm(OverrideForm):
    day = None  # an override's day does not change: delete it and add another


class ConfirmForm(FlaskForm):
    """A bare form for one-button actions (disable, unlock, delete): CSRF only."""


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Search"))
    role = SelectField(_l("Role"), choices=[("", _l("All roles")), *role_choices(Role)])
    org = SelectField(_l("Department"), coerce=str)


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    entity_type = StringField(_l("Entity type"))
    entity_id = StringField(_l("Entity id"))
    action = StringField(_l("Action"), description=_l("Matches the beginning, e.g. user."))
