"""Catalogue admin forms: input shape only. Uniqueness and references are checked by
market/operations/catalogue.py, whose messages the views put on the fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from market.models import Pricing

CODE_PATTERN = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      message=_l("Use letters, digits, dots, hyphens and underscores only."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def pricing_labels() -> dict[Pricing, str]:
    return {Pricing.GOVERNMENT_GUIDED: _l("Government-guided price"),
            Pricing.MARKET: _l("Market-regulated price")}


class ServiceItemForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_strip],
                       validators=[DataRequired(), Length(max=30), CODE_PATTERN],
                       description=_l("Unique, e.g. ZJ-ZRZY-001."))
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    category = StringField(_l("Category"), filters=[_strip],
                           validators=[DataRequired(), Length(max=40)])
    legal_basis = TextAreaField(_l("Legal basis"), filters=[_strip],
                                validators=[DataRequired()], render_kw={"rows": 2})
    department_id = SelectField(_l("Competent department"), coerce=int,
                                validators=[DataRequired(_l("Choose the competent department."))])
    statutory_days = IntegerField(
        _l("Statutory time limit (working days)"),
        validators=[InputRequired(_l("Enter a whole number of working days.")),
                    NumberRange(min=1, max=365)])
    required_qualification_ids = SelectMultipleField(
        _l("Required qualification types"), coerce=int,
        description=_l("Hold Ctrl (⌘ on a Mac) to choose several; none means no requirement."),
        render_kw={"size": 8})
    pricing = SelectField(_l("Pricing"), validators=[DataRequired()])
    fee_basis = TextAreaField(_l("Fee basis"), filters=[_strip], validators=[DataRequired()],
                              render_kw={"rows": 2})
    fee_standard = TextAreaField(_l("Fee standard"), filters=[_strip],
                                 validators=[DataRequired()], render_kw={"rows": 2})

    def __init__(self, *args, departments=(), qualification_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id.choices = [(0, _l("— choose —"))] + [(d.id, d.name)
                                                               for d in departments]
        self.required_qualification_ids.choices = [(q.id, f"{q.name}（{q.code}）")
                                                   for q in qualification_types]
        self.pricing.choices = [(p.value, label) for p, label in pricing_labels().items()]


class QualificationTypeForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_strip],
                       validators=[DataRequired(), Length(max=30), CODE_PATTERN])
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=100)])


class RegionForm(FlaskForm):
    code = StringField(_l("Division code"), filters=[_strip],
                       validators=[DataRequired(), Regexp(r"^\d{6}$", message=_l(
                           "A region code has six digits (GB/T 2260)."))],
                       description=_l("Six digits, e.g. 341502."))
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=60)])


class RegionRenameForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=60)])
