"""Task forms (RULES.md §3 "Task"): input validation only; inspection.operations.tasks
checks the rules again (result code, rectification, dates, who may act)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core.uploads import UploadRejected, read_checked
from inspection.result_codes import choices
from market.operations.contracts import DELIVERABLE_KINDS

TEXT_MAX = 4000


def _files_checked(form, field):
    """Each attachment is a PDF, JPG or PNG by content, within the size limit."""
    for upload in field.data or []:
        if not upload or not upload.filename:
            continue
        try:
            read_checked(upload, DELIVERABLE_KINDS)
        except UploadRejected as error:
            raise ValidationError(f"{upload.filename}: {error}") from error


class ResultForm(FlaskForm):
    result_code = SelectField(_l("Inspection result"), [DataRequired(_l("Choose a result code."))])
    findings = TextAreaField(_l("Findings"), [DataRequired(), Length(max=TEXT_MAX)])
    inspected_on = DateField(_l("Inspection ended on"), [InputRequired()])
    rectification_order = TextAreaField(
        _l("Rectification order"), [Optional(), Length(max=TEXT_MAX)],
        description=_l("Required when a problem was found."))
    rectification_due_on = DateField(_l("Rectify by"), [Optional()])
    attachments = MultipleFileField(_l("Attachments (PDF, JPG or PNG, optional)"),
                                    [_files_checked])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result_code.choices = [("", _("Choose…"))] + choices()


class FollowUpForm(FlaskForm):
    follow_up = TextAreaField(_l("Rectification follow-up"),
                              [DataRequired(), Length(max=TEXT_MAX)])


class ConflictForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the conflict of interest"),
                           [DataRequired(), Length(max=TEXT_MAX)])


class PublishForm(FlaskForm):
    """CSRF only: publishing takes no input."""
