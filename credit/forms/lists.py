"""Forms of the severe dishonesty list, the honour list, exits and the joint measures
catalogue, with the labels their pages show for codes. Input shape only:
credit.operations.lists checks the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from core.admin_forms import normalise_uscc, strip, valid_uscc
from credit.models import ApplicationMethod, Effect, ExitReason, ListingStatus, MeasureTrigger
from credit.operations.lists import TRIGGER_LEVELS

# --- labels ---------------------------------------------------------------------------------


def listing_status_labels() -> dict[str, str]:
    return {ListingStatus.NOTIFIED: _l("Notified, objection window open"),
            ListingStatus.OBJECTED: _l("Objection awaiting decision"),
            ListingStatus.LISTED: _l("Listed"),
            ListingStatus.DISMISSED: _l("Dismissed"),
            ListingStatus.REMOVED: _l("Removed from the list")}


def exit_reason_labels() -> dict[str, str]:
    return {ExitReason.SEVERE_LIST: _l("On the severe dishonesty list"),
            ExitReason.COMPLAINTS: _l("Three substantiated complaints within 12 months"),
            ExitReason.FRAUDULENT_REGISTRATION: _l("Fraudulent registration")}


def effect_labels() -> dict[str, str]:
    return {Effect.BAR_BIDDING: _l("Barred from bidding"),
            Effect.BAR_SELECTION: _l("Barred from being selected"),
            Effect.RAISE_INSPECTION_RATIO: _l("Raised inspection ratio"),
            Effect.DIRECTORY_DEMOTION: _l("Lower in the directory"),
            Effect.NO_TOLERANCE_ACCEPTANCE: _l("No tolerance acceptance (容缺受理)"),
            Effect.PUBLIC_DISCLOSURE: _l("Public disclosure"),
            Effect.DIRECTORY_PRIORITY: _l("Top of the directory"),
            Effect.LOWER_INSPECTION_RATIO: _l("Lowered inspection ratio"),
            Effect.FAST_TRACK: _l("Fast track (绿色通道)")}


def trigger_labels() -> dict[str, str]:
    return {MeasureTrigger.LEVEL: _l("Credit level"),
            MeasureTrigger.SEVERE_LIST: _l("Severe dishonesty list"),
            MeasureTrigger.HONOUR_LIST: _l("Honour list"),
            MeasureTrigger.DELISTED: _l("Delisted (exit)")}


def method_labels() -> dict[str, str]:
    return {ApplicationMethod.AUTOMATIC_BLOCK: _l("Applied automatically"),
            ApplicationMethod.FLAG_FOR_REVIEW: _l("Flagged for review"),
            ApplicationMethod.REFERENCE_ONLY: _l("For reference only")}


def _choices(labels: dict) -> list[tuple[str, str]]:
    return [(str(code), label) for code, label in labels.items()]


# --- severe dishonesty list -------------------------------------------------------------------

USCC_FIELD = dict(filters=[normalise_uscc], validators=[DataRequired(), valid_uscc])


class StartListingForm(FlaskForm):
    uscc = StringField(_l("Unified social credit code"), **USCC_FIELD)
    reason = TextAreaField(_l("Reason (the dishonest conduct found)"), filters=[strip],
                           validators=[DataRequired(), Length(max=4000)],
                           render_kw={"rows": 4})
    legal_basis = TextAreaField(_l("Legal basis"), filters=[strip],
                                validators=[DataRequired(), Length(max=2000)],
                                render_kw={"rows": 2},
                                description=_l("The provision that makes this conduct a "
                                               "ground for the severe dishonesty list."))


class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("Your objection"), filters=[strip],
                         validators=[DataRequired(), Length(max=8000)], render_kw={"rows": 6},
                         description=_l("Your reasons and evidence; say here if you ask for "
                                        "a hearing."))


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Grounds of the decision"), filters=[strip],
                         validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 3})


# --- honour list and exit ---------------------------------------------------------------------

class HonourForm(FlaskForm):
    uscc = StringField(_l("Unified social credit code"), **USCC_FIELD)
    reason = TextAreaField(_l("Reason"), filters=[strip],
                           validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 3})
    term_years = IntegerField(_l("Term (years)"), default=1,
                              validators=[InputRequired(), NumberRange(min=1, max=5)])


class DelistForm(FlaskForm):
    """A regulator delists for fraudulent registration; the other exits are automatic."""

    uscc = StringField(_l("Unified social credit code"), **USCC_FIELD)
    detail = TextAreaField(_l("What was found"), filters=[strip],
                           validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 4},
                           description=_l("The false declaration and how it was established."))
    term_years = IntegerField(_l("Term (years)"), default=3,
                              validators=[InputRequired(), NumberRange(min=1, max=10)])


# --- measures catalogue -----------------------------------------------------------------------

class MeasureForm(FlaskForm):
    code = StringField(_l("Code"), filters=[strip],
                       validators=[DataRequired(), Length(max=30),
                                   Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", message=_l(
                                       "Use letters, digits, dots, hyphens and underscores "
                                       "only."))],
                       description=_l("Unique, e.g. LA-SXCJ-010."))
    content = TextAreaField(_l("Content"), filters=[strip], validators=[DataRequired()],
                            render_kw={"rows": 3})
    legal_basis = TextAreaField(_l("Legal basis"), filters=[strip], validators=[DataRequired()],
                                render_kw={"rows": 2})
    initiating_department = StringField(_l("Initiating department"), filters=[strip],
                                        validators=[DataRequired(), Length(max=200)])
    implementing_department = StringField(_l("Implementing department"), filters=[strip],
                                          validators=[DataRequired(), Length(max=200)])
    trigger = SelectField(_l("Trigger"), validators=[DataRequired()])
    trigger_value = SelectField(_l("Level (for a level trigger)"),
                                description=_l("Only for a level trigger; \"new\" subjects "
                                               "count as level B."))
    effect = SelectField(_l("System effect"), validators=[DataRequired()],
                         description=_l("Rewards and punishments follow from the effect."))
    method = SelectField(_l("Application method"), validators=[DataRequired()])
    public_funds_only = BooleanField(_l("Only for work paid with public money"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trigger.choices = _choices(trigger_labels())
        self.trigger_value.choices = [("", _l("— none —"))] + [(v, v) for v in TRIGGER_LEVELS]
        self.effect.choices = _choices(effect_labels())
        self.method.choices = _choices(method_labels())
