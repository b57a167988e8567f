"""Contract filing, extensions, deliverables, acceptance and evaluation forms: input
validation only; market.operations.contracts and .evaluations check the rules again."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DecimalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.uploads import UploadRejected, read_checked
from market.operations.contracts import (
    CONTRACT_KINDS,
    DELIVERABLE_KINDS,
    MAX_EXTENSION_DAYS,
)

TEXT_MAX = 2000


def file_of(kinds, required: bool = True):
    """A validator: the upload is one of `kinds` by content, within the size limit."""

    def check(form, field):
        if not field.data:
            if required:
                raise ValidationError(_("Choose a file to upload."))
            return
        try:
            read_checked(field.data, kinds)
        except UploadRejected as error:
            raise ValidationError(str(error)) from error

    return check


class ContractForm(FlaskForm):
    amount = DecimalField(_l("Contract amount (yuan)"), places=2,
                          validators=[InputRequired(), NumberRange(min=0.01)])
    amount_reason = TextAreaField(
        _l("Reason the amount differs from the winning price"),
        [Optional(), Length(max=TEXT_MAX)],
        description=_l("Required only when the amount is not the winning price."))
    file = FileField(_l("Signed contract (PDF)"), [file_of(CONTRACT_KINDS)])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the button confirms."""


class ExtensionRequestForm(FlaskForm):
    working_days = IntegerField(_l("Extra working days"),
                                [InputRequired(), NumberRange(min=1, max=MAX_EXTENSION_DAYS)])
    reason = TextAreaField(_l("Reason"), [DataRequired(), Length(max=TEXT_MAX)])


class ExtensionDecisionForm(FlaskForm):
    decision_note = TextAreaField(_l("Note (required to refuse)"),
                                  [Optional(), Length(max=TEXT_MAX)])
    approve = SubmitField(_l("Approve"))
    refuse = SubmitField(_l("Refuse"))


class DeliverableForm(FlaskForm):
    file = FileField(_l("Deliverables (PDF, JPG or PNG)"), [file_of(DELIVERABLE_KINDS)])
    note = TextAreaField(_l("Note"), [Optional(), Length(max=TEXT_MAX)])


class AcceptForm(FlaskForm):
    note = TextAreaField(_l("Note"), [Optional(), Length(max=TEXT_MAX)])


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("Why the deliverables are returned"),
                           [DataRequired(), Length(max=TEXT_MAX)])


def _rating(label) -> RadioField:
    return RadioField(label, choices=[SelectChoice(n, str(n)) for n in range(1, 6)], coerce=int,
                      validators=[InputRequired()])


class OwnerEvaluationForm(FlaskForm):
    quality = _rating(_l("Quality"))
    timeliness = _rating(_l("Timeliness"))
    attitude = _rating(_l("Service attitude"))
    fees = _rating(_l("Fees"))
    conduct = _rating(_l("Conduct"))
    comment = TextAreaField(_l("Comment (public)"), [DataRequired(), Length(max=TEXT_MAX)])


class RegulatorEvaluationForm(FlaskForm):
    quality = _rating(_l("Quality of the deliverables"))
    compliance = _rating(_l("Legal compliance"))
    comment = TextAreaField(_l("Comment"), [Optional(), Length(max=TEXT_MAX)])
