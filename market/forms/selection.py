"""Forms of the selection pages: the owner's proposal scores and credit-best choice, and
objections (raise, answer, decide). Input validation only; market.operations.selection and
objections check the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DecimalField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from core.uploads import UploadRejected, read_checked
from market.models import Bid

TEXT_MAX = 5000


def score_field_name(bid: Bid) -> str:
    return f"score_{bid.id}"


def proposal_scores_form(bids: list[Bid], formdata=None) -> FlaskForm:
    """One technical score (0–100) per valid proposal, labelled with the agency."""

    class ProposalScoresForm(FlaskForm):
        def scores(self) -> dict:
            return {bid.id: self[score_field_name(bid)].data for bid in bids}

    for bid in bids:
        setattr(ProposalScoresForm, score_field_name(bid), DecimalField(
            bid.agency.name, [InputRequired(), NumberRange(0, 100)], places=2))
    return ProposalScoresForm() if formdata is None else ProposalScoresForm(formdata=formdata)


class CreditBestPickForm(FlaskForm):
    bid_id = RadioField(_l("Agency"), coerce=int, validators=[InputRequired()])

    def load(self, bids: list[Bid]) -> "CreditBestPickForm":
        self.bid_id.choices = [SelectChoice(bid.id, bid.agency.name) for bid in bids]
        return self


def evidence_check(form, field) -> None:
    """The evidence file is checked by content here too, so a bad file is a form message."""
    if field.data and getattr(field.data, "filename", ""):
        try:
            read_checked(field.data)
        except UploadRejected as error:
            raise ValidationError(str(error)) from error


class ObjectionForm(FlaskForm):
    reasons = TextAreaField(_l("Reasons of the objection"),
                            [DataRequired(), Length(max=TEXT_MAX)])
    evidence = FileField(_l("Evidence (PDF, JPG or PNG)"), [evidence_check],
                         description=_l("A file supporting your objection."))


class ObjectionAnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), [DataRequired(), Length(max=TEXT_MAX)])


class ObjectionDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("uphold", _l("Uphold: exclude the selected agency and select again")),
        SelectChoice("reject", _l("Reject: the result stands"))], validators=[InputRequired()])
    note = TextAreaField(_l("Reasons of the decision"), [DataRequired(), Length(max=TEXT_MAX)])
