"""Credit repair forms: input validation only; credit.operations.repair checks the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from core.uploads import UploadRejected, read_checked
from credit.operations.repair import EVIDENCE_KINDS, RepairRequest

TEXT_MAX = 4000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _evidence_content(form, field) -> None:
    """Checked by content, not by name (core.uploads), so the message shows on the field."""
    if field.data:
        try:
            read_checked(field.data, EVIDENCE_KINDS)
        except UploadRejected as error:
            raise ValidationError(str(error)) from error


class RepairForm(FlaskForm):
    obligations_statement = TextAreaField(
        _l("How the obligations were met"), [DataRequired(), Length(max=TEXT_MAX)],
        filters=[_strip],
        description=_l("For example: the fine was paid on …, the rectification ordered was "
                       "completed on …"))
    evidence = TextAreaField(
        _l("Evidence"), [DataRequired(), Length(max=TEXT_MAX)], filters=[_strip],
        description=_l("Receipt numbers, acceptance documents and the like."))
    evidence_file = FileField(_l("Evidence file (PDF, JPG or PNG, optional)"),
                              [_evidence_content])
    accept_commitment = BooleanField(
        _l("I sign the credit commitment above, which will be made public."),
        [DataRequired(_l("A repair needs a new public credit commitment: accept it to "
                         "apply."))])

    def repair_request(self, commitment_text: str) -> RepairRequest:
        return RepairRequest(obligations_statement=self.obligations_statement.data,
                             evidence=self.evidence.data, commitment_text=commitment_text,
                             commitment_accepted=self.accept_commitment.data,
                             evidence_file=self.evidence_file.data or None)


APPROVE, REFUSE = "approve", "refuse"


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), [DataRequired()],
                          choices=[SelectChoice(APPROVE, _l("Approve the repair")),
                                   SelectChoice(REFUSE, _l("Refuse the repair"))])
    note = TextAreaField(_l("Note (a refusal needs the reason)"), [Length(max=TEXT_MAX)],
                         filters=[_strip])

    def validate_note(self, field) -> None:
        if self.decision.data == REFUSE and not field.data:
            raise ValidationError(_l("A refusal needs a reason the subject can act on."))
