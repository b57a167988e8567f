"""Bid and sign-up forms: input shape only. What a bid must carry for the job's selection
method, and whether the agency may bid at all, is checked by market/operations/bids.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DecimalField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from core.uploads import UploadRejected, read_checked
from market.forms.jobs import yuan
from market.models import BidStatus
from market.operations.bids import BidInput


def bid_status_labels() -> dict[BidStatus, str]:
    return {BidStatus.ACTIVE: _l("active"), BidStatus.WITHDRAWN: _l("withdrawn"),
            BidStatus.EXCLUDED: _l("excluded")}


def proposal_file_kind(form, field):
    if field.data and getattr(field.data, "filename", None):
        try:
            read_checked(field.data)
        except UploadRejected as error:
            raise ValidationError(str(error)) from error


class BidForm(FlaskForm):
    price = DecimalField(_l("Your price (yuan)"), places=2, validators=[Optional(), yuan])
    proposal = TextAreaField(_l("Your proposal"), validators=[Optional(), Length(max=20_000)],
                             render_kw={"rows": 8})
    proposal_file = FileField(_l("Proposal document (PDF, JPG or PNG, optional)"),
                              validators=[proposal_file_kind])
    commitment_accepted = BooleanField(_l("I have read the credit commitment above and sign "
                                          "it for this bid."))

    def bid_input(self) -> BidInput:
        upload = self.proposal_file.data
        return BidInput(commitment_accepted=bool(self.commitment_accepted.data),
                        price=self.price.data, proposal=self.proposal.data,
                        proposal_file=upload if upload and upload.filename else None)


class ConfirmBidForm(FlaskForm):
    commitment_accepted = BooleanField(_l("I confirm my bid for the changed terms and sign "
                                          "the credit commitment again."))


class WithdrawBidForm(FlaskForm):
    """Only the CSRF token."""
