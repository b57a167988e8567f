"""The commendation form and the labels the credit pages and report show for codes.

Input validation only; credit.operations.subjects checks the rules again.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from core.admin_forms import normalise_uscc, strip, valid_uscc
from credit.rules import ContributionCode, InspectionOutcome, Level, Part, RecordKind, Severity


class CommendationForm(FlaskForm):
    """A regulator's commendation (表彰) of a subject: +2 while displayed (RULES.md §2)."""

    uscc = StringField(_l("Unified social credit code"), filters=[normalise_uscc],
                       validators=[DataRequired(), valid_uscc])
    title = StringField(_l("Commendation"), filters=[strip],
                        validators=[DataRequired(), Length(max=200)])
    legal_basis = TextAreaField(_l("Basis"), filters=[strip],
                                validators=[DataRequired(), Length(max=2000)])
    evidence = TextAreaField(_l("Evidence"), filters=[strip], validators=[Length(max=4000)],
                             description=_l("Decision document, award notice or other proof."))
    occurred_on = DateField(_l("Date of the commendation"), validators=[DataRequired()])


# --- Labels for codes --------------------------------------------------------------------------

def record_kind_labels() -> dict[str, str]:
    return {
        RecordKind.EVALUATION_OWNER: _l("Owner evaluation"),
        RecordKind.EVALUATION_REGULATOR: _l("Regulator evaluation"),
        RecordKind.INSPECTION: _l("Inspection result"),
        RecordKind.LATE_DELIVERY: _l("Late delivery"),
        RecordKind.COMMITMENT_BROKEN: _l("Credit commitment broken"),
        RecordKind.COMMITMENT_KEPT: _l("Credit commitment kept"),
        RecordKind.COMPLAINT_SUBSTANTIATED: _l("Substantiated complaint"),
        RecordKind.OBJECTION_UPHELD: _l("Objection upheld against it"),
        RecordKind.PENALTY: _l("Administrative penalty"),
        RecordKind.COMMENDATION: _l("Commendation"),
        RecordKind.LICENCE: _l("Administrative licence"),
    }


def severity_labels() -> dict[str, str]:
    return {Severity.MINOR: _l("Minor"), Severity.GENERAL: _l("General"),
            Severity.SERIOUS: _l("Serious")}


def outcome_labels() -> dict[str, str]:
    return {
        InspectionOutcome.NO_PROBLEM: _l("No problem found"),
        InspectionOutcome.CORRECTED: _l("Corrected on order"),
        InspectionOutcome.PENDING: _l("Pending follow-up"),
        InspectionOutcome.FALSE_OR_UNCOOPERATIVE: _l("False information or non-cooperation"),
    }


def level_labels() -> dict[str, str]:
    return {Level.A: "A", Level.B: "B", Level.C: "C", Level.D: "D",
            Level.NEW: _l("New (treated as B)")}


def part_labels() -> dict[str, str]:
    return {Part.OWNER: _l("Owner evaluations"), Part.REGULATOR: _l("Regulator evaluations "
                                                                    "and inspections"),
            Part.BEHAVIOUR: _l("Behaviour"), Part.ADJUSTMENTS: _l("Penalties and commendations")}


def baseline_labels() -> dict[str, str]:
    return {Part.OWNER: _l("Starting value: no owner rating yet"),
            Part.REGULATOR: _l("Starting value: no regulator rating or inspection yet"),
            Part.BEHAVIOUR: _l("Starting value: full marks"),
            Part.ADJUSTMENTS: _l("Starting value")}


def contribution_labels() -> dict[str, str]:
    return {
        ContributionCode.OWNER_RATING: _l("Owner rating"),
        ContributionCode.REGULATOR_RATING: _l("Regulator rating"),
        ContributionCode.INSPECTION: _l("Inspection result"),
        ContributionCode.LATE_DELIVERY: _l("Late delivery"),
        ContributionCode.COMMITMENT_BROKEN: _l("Broken commitment"),
        ContributionCode.COMPLAINT_SUBSTANTIATED: _l("Substantiated complaint"),
        ContributionCode.OBJECTION_UPHELD: _l("Upheld objection"),
        ContributionCode.PENALTY: _l("Penalty publicly displayed"),
        ContributionCode.COMMENDATION: _l("Commendation publicly displayed"),
        ContributionCode.COMMENDATION_OVER_CAP: _l("Commendation beyond the five that count"),
        ContributionCode.NOT_DISPLAYED: _l("No longer publicly displayed: no effect"),
        ContributionCode.EXPIRED: _l("Older than the decay period: no effect"),
        ContributionCode.NOT_SCORED: _l("Recorded, not part of the score"),
        ContributionCode.BEHAVIOUR_FLOOR: _l("Behaviour part floored at 0"),
        ContributionCode.CLAMP: _l("Score kept within 0–100"),
    }
