"""Complaint and ruling forms: input validation only (market.operations.complaints checks
again). Anyone may complain without signing in; no CAPTCHA."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from market.forms.contracts import TEXT_MAX, file_of
from market.operations.contracts import DELIVERABLE_KINDS


class ComplaintForm(FlaskForm):
    name = StringField(_l("Your name"), [DataRequired(), Length(max=100)])
    contact = StringField(_l("Phone or email"), [DataRequired(), Length(max=100)],
                          description=_l("Only the regulator sees who complained."))
    job_number = StringField(_l("Job number (optional)"), [Optional(), Length(max=30)],
                             description=_l("If the complaint is about a job the agency "
                                            "carried out."))
    content = TextAreaField(_l("What happened"), [DataRequired(), Length(max=TEXT_MAX)])
    evidence = FileField(_l("Evidence (PDF, JPG or PNG, optional)"),
                         [file_of(DELIVERABLE_KINDS, required=False)])


class RulingForm(FlaskForm):
    outcome = RadioField(_l("Ruling"), choices=[
        SelectChoice("substantiated", _l("Substantiated")),
        SelectChoice("unsubstantiated", _l("Not substantiated"))],
                         validators=[InputRequired()])
    ruling = TextAreaField(_l("Reasons of the ruling"), [DataRequired(),
                                                          Length(max=TEXT_MAX)])
