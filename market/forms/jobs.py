"""Job posting forms: input shape only (types, amounts in fen, file kinds). The rules of
RULES.md §1 are checked by market/operations/jobs.py, whose messages the views put on the
fields."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
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
from market import job_queries, queries, rules
from market.models import Funding, Job, QualificationMode, SelectionMethod
from market.operations.jobs import JobTerms

AVOIDANCE_LINE = re.compile(r"^\s*([0-9A-Za-z]{18})[\s,，:：;；]+(.+?)\s*$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


# --- Labels (pages and other forms reuse them) -----------------------------------------------

def funding_labels() -> dict[Funding, str]:
    return {Funding.PUBLIC: _l("Public money (财政资金)"), Funding.PRIVATE: _l("Private money"),
            Funding.MIXED: _l("Mixed (counts as public money)")}


def method_labels() -> dict[SelectionMethod, str]:
    return {method: spec.label for method, spec in rules.METHODS.items()}


def status_labels() -> dict:
    return rules.JOB_STATUS_LABELS


def qualification_mode_labels() -> dict[QualificationMode, str]:
    return {QualificationMode.ANY: _l("Any one of them"), QualificationMode.ALL: _l("All of them")}


# --- Validators ------------------------------------------------------------------------------

def yuan(form, field):
    """Above zero, at most two decimals (fen)."""
    if field.data is not None and (field.data <= 0 or field.data.as_tuple().exponent < -2):
        raise ValidationError(_("Enter an amount in yuan above zero with at most two decimals."))


def file_kinds(form, field):
    """PDF, JPG or PNG by content, within the size limit (core.uploads)."""
    for upload in field.data or []:
        if upload and upload.filename:
            try:
                read_checked(upload)
            except UploadRejected as error:
                raise ValidationError(f"{upload.filename}: {error}") from error


def parse_avoidances(text: str) -> list[tuple[str, str]]:
    """One avoided agency per line: its USCC, a space, the public reason."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = AVOIDANCE_LINE.match(line)
        if match is None:
            raise ValueError(_("Line %(n)d: write the unified social credit code, a space and "
                               "the public reason.", n=number))
        rows.append((rules.normalise_uscc(match[1]), match[2]))
    return rows


def avoidances_text(job: Job) -> str:
    return "\n".join(f"{a.agency.uscc} {a.reason}" for a in job.avoidances)


def avoidance_lines(form, field):
    try:
        parse_avoidances(field.data)
    except ValueError as error:
        raise ValidationError(str(error)) from error


# --- Posting a job ---------------------------------------------------------------------------

def _optional_int(label, **kwargs):
    return IntegerField(label, [Optional(), NumberRange(min=0, max=100_000)], **kwargs)


class JobForm(FlaskForm):
    service_item_id = SelectField(_l("Service item"), coerce=int,
                                  validators=[DataRequired(_l("Choose the service item."))])
    region_code = SelectField(_l("Region"), validators=[DataRequired(_l("Choose the region."))])
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(),
                                                                   Length(max=200)])
    scope = TextAreaField(_l("Scope of the service"), filters=[_strip],
                          validators=[DataRequired()], render_kw={"rows": 4})
    funding = SelectField(_l("Funding"), validators=[DataRequired()])
    budget_ceiling = DecimalField(_l("Budget ceiling (yuan)"), places=2,
                                  validators=[InputRequired(), yuan])
    budget_floor = DecimalField(_l("Budget floor (yuan, optional)"), places=2,
                                validators=[Optional(), yuan])
    service_days = IntegerField(_l("Promised service time (working days)"),
                                validators=[InputRequired(), NumberRange(min=1, max=3650)])
    qualification_type_ids = SelectMultipleField(
        _l("Required qualifications"), coerce=int, render_kw={"size": 6},
        description=_l("None means no requirement; hold Ctrl (⌘ on a Mac) to choose several."))
    qualification_mode = SelectField(_l("Qualifications needed"), default=QualificationMode.ANY)
    method = SelectField(_l("Selection method"), validators=[DataRequired()])
    fixed_price = DecimalField(_l("Fixed price for the random draw (yuan)"), places=2,
                               validators=[Optional(), yuan])
    direct_agency_uscc = StringField(
        _l("Agency selected directly (its unified social credit code)"), filters=[_strip],
        validators=[Optional(), Length(max=30)])
    big_list_size = _optional_int(_l("Credit best: big list N"))
    small_list_size = _optional_int(_l("Credit best: small list M"))
    weight_price = _optional_int(_l("Proposal weight: price"))
    weight_technical = _optional_int(_l("Proposal weight: technical"))
    weight_credit = _optional_int(_l("Proposal weight: credit"))
    deadline_on = DateField(
        _l("Last day of bidding"), validators=[Optional()],
        description=_l("Bidding closes at 23:59:59 Beijing time that day, at least the minimum "
                       "number of working days after publication."))
    avoidances = TextAreaField(
        _l("Avoided agencies (回避)"), validators=[avoidance_lines], render_kw={"rows": 3},
        description=_l("One per line: the agency's unified social credit code, a space, then "
                       "the reason, which is published with the job."))
    attachments = MultipleFileField(_l("Add attachments (PDF, JPG or PNG)"),
                                    validators=[file_kinds])

    def load_choices(self) -> "JobForm":
        self.service_item_id.choices = [(0, _("— choose —"))] + [
            (item.id, f"{item.name}（{item.code}）") for item in queries.active_service_items()]
        self.region_code.choices = [("", _("— choose —"))] + [
            (r.code, f"{r.name} ({r.code})") for r in queries.regions()]
        self.funding.choices = [(f.value, label) for f, label in funding_labels().items()]
        self.method.choices = [(m.value, label) for m, label in method_labels().items()]
        self.qualification_mode.choices = [(m.value, label) for m, label
                                           in qualification_mode_labels().items()]
        self.qualification_type_ids.choices = [(t.id, f"{t.name}（{t.code}）")
                                               for t in queries.qualification_types()]
        return self

    @classmethod
    def for_job(cls, job: Job) -> "JobForm":
        """The form filled from a saved job (every field named here: the model's own
        `avoidances` is a list of rows, not this form's text)."""
        weights = job.weights or {}
        data = {name: getattr(job, name) for name in (
            "service_item_id", "region_code", "title", "scope", "funding", "budget_ceiling",
            "budget_floor", "service_days", "qualification_mode", "method", "fixed_price",
            "big_list_size", "small_list_size")}
        data.update(
            qualification_type_ids=[q.id for q in job.required_qualifications],
            direct_agency_uscc=_direct_uscc(job), avoidances=avoidances_text(job),
            weight_price=weights.get("price"), weight_technical=weights.get("technical"),
            weight_credit=weights.get("credit"),
            deadline_on=job.deadline.astimezone(rules.LOCAL_TZ).date() if job.deadline else None)
        return cls(formdata=None, data=data).load_choices()

    def terms(self) -> JobTerms:
        weights = {"price": self.weight_price.data, "technical": self.weight_technical.data,
                   "credit": self.weight_credit.data}
        return JobTerms(
            service_item_id=self.service_item_id.data, region_code=self.region_code.data,
            title=self.title.data, scope=self.scope.data, funding=Funding(self.funding.data),
            budget_ceiling=self.budget_ceiling.data, budget_floor=self.budget_floor.data,
            service_days=self.service_days.data, method=SelectionMethod(self.method.data),
            fixed_price=self.fixed_price.data,
            qualification_type_ids=list(self.qualification_type_ids.data or []),
            qualification_mode=QualificationMode(self.qualification_mode.data),
            direct_agency_uscc=self.direct_agency_uscc.data or None,
            big_list_size=self.big_list_size.data, small_list_size=self.small_list_size.data,
            weights=weights if any(v is not None for v in weights.values()) else None,
            deadline_on=self.deadline_on.data,
            avoidances=parse_avoidances(self.avoidances.data))

    def uploads(self) -> list:
        return [f for f in (self.attachments.data or []) if f and f.filename]


def _direct_uscc(job: Job) -> str | None:
    agency = job_queries.direct_agency(job)
    return agency.uscc if agency else None


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling (published with the job)"),
                           filters=[_strip], validators=[DataRequired(), Length(max=2000)],
                           render_kw={"rows": 2})


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (publish, republish, remove)."""
