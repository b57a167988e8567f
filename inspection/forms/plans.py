"""The plan form: input shape only. Team size against departments, items against
departments, the schedule and the ratios are checked by inspection/operations/plans.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from inspection import rules
from inspection.models import ScheduleKind


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def schedule_labels() -> dict[ScheduleKind, str]:
    return {ScheduleKind.DATES: _l("Fixed dates"), ScheduleKind.CRON: _l("Cron expression")}


def _ratio(label):
    return DecimalField(label, places=None,
                        validators=[InputRequired(_l("Enter a percentage.")),
                                    NumberRange(min=0, max=100,
                                                message=_l("Between 0 and 100 per cent."))])


class PlanForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    joint_department_ids = SelectMultipleField(
        _l("Joint departments"), coerce=int, render_kw={"size": 6},
        description=_l("Each sends one inspector to every team (跨部门联合抽查)."))
    item_ids = SelectMultipleField(_l("Inspection items"), coerce=int, render_kw={"size": 8},
                                   validators=[DataRequired(_l("Choose at least one item."))],
                                   description=_l("From the lead or the joint departments' "
                                                  "lists."))
    service_item_id = SelectField(_l("Scope: service item"), coerce=int)
    region_code = SelectField(_l("Scope: region"))
    ratio_a = _ratio(_l("Ratio for level A (%)"))
    ratio_b = _ratio(_l("Ratio for level B (%)"))
    ratio_c = _ratio(_l("Ratio for level C (%)"))
    ratio_d = _ratio(_l("Ratio for level D (%)"))
    min_count = IntegerField(_l("Minimum number of objects"), default=1,
                             validators=[InputRequired(), NumberRange(min=1)])
    team_size = IntegerField(_l("Team size"), default=2,
                             validators=[InputRequired(), NumberRange(min=2)])
    schedule_kind = SelectField(_l("Schedule"), validators=[DataRequired()])
    cron = StringField(_l("Cron expression"), filters=[_strip], validators=[Length(max=60)],
                       description=_l("minute hour day month weekday, Beijing time; e.g. "
                                      "\"0 9 1 */3 *\" draws at 09:00 on the first day of "
                                      "every quarter."))
    dates = TextAreaField(_l("Draw dates"), filters=[_strip], render_kw={"rows": 3},
                          description=_l("YYYY-MM-DD, separated by commas or new lines; each "
                                         "draws at 09:00 Beijing time."))
    window_working_days = IntegerField(_l("Inspection window (working days)"), default=20,
                                       validators=[InputRequired(), NumberRange(min=1)])
    publish_drawn_list = BooleanField(_l("Publish the list of drawn agencies"), default=True)

    def __init__(self, *args, departments=(), items=(), service_items=(), regions=(),
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.joint_department_ids.choices = [(d.id, d.name) for d in departments]
        self.item_ids.choices = [(i.id, f"{i.department.name} · {i.name}（{i.code}）")
                                 for i in items]
        self.service_item_id.choices = [(0, _l("— any —"))] + [
            (s.id, f"{s.name}（{s.code}）") for s in service_items]
        self.region_code.choices = [("", _l("— any —"))] + [(r.code, r.name) for r in regions]
        self.schedule_kind.choices = [(k.value, label) for k, label in schedule_labels().items()]

    def validate_cron(self, field):
        if self.schedule_kind.data == ScheduleKind.CRON and not field.data:
            raise ValidationError(_l("Enter a cron expression."))

    def validate_dates(self, field):
        if self.schedule_kind.data != ScheduleKind.DATES:
            return
        try:
            days = rules.parse_dates(field.data or "")
        except ValueError as error:
            raise ValidationError(_l("%(text)s is not a date (YYYY-MM-DD).",
                                     text=str(error))) from None
        if not days:
            raise ValidationError(_l("Enter at least one draw date."))

    def parsed_dates(self):
        if self.schedule_kind.data != ScheduleKind.DATES:
            return []
        return rules.parse_dates(self.dates.data or "")

    def ratios(self) -> dict:
        return {"A": self.ratio_a.data, "B": self.ratio_b.data, "C": self.ratio_c.data,
                "D": self.ratio_d.data}

