"""Forms of the inspection catalogues: input shape only. Uniqueness, departments and who
may act are checked by inspection/operations/catalogue.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from inspection.models import ItemKind

CODE_PATTERN = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      message=_l("Use letters, digits, dots, hyphens and underscores only."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def kind_labels() -> dict[ItemKind, str]:
    return {ItemKind.GENERAL: _l("General item"), ItemKind.KEY: _l("Key item")}


class ItemForm(FlaskForm):
    code = StringField(_l("Code"), filters=[_strip],
                       validators=[DataRequired(), Length(max=30), CODE_PATTERN],
                       description=_l("Unique, e.g. CC-ZRZY-001."))
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    legal_basis = TextAreaField(_l("Legal basis"), filters=[_strip],
                                validators=[DataRequired()], render_kw={"rows": 2})
    department_id = SelectField(_l("Department"), coerce=int,
                                validators=[DataRequired(_l("Choose the department."))])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    method = StringField(_l("Inspection method"), filters=[_strip],
                         validators=[DataRequired(), Length(max=200)],
                         description=_l("e.g. 书面检查、实地核查、网络监测"))
    service_item_id = SelectField(_l("Service item"), coerce=int,
                                  description=_l("The catalogued service the item checks, "
                                                 "if any."))

    def __init__(self, *args, departments=(), service_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id.choices = [(d.id, d.name) for d in departments]
        self.kind.choices = [(k.value, label) for k, label in kind_labels().items()]
        self.service_item_id.choices = [(0, _l("— none —"))] + [
            (s.id, f"{s.name}（{s.code}）") for s in service_items]


class InspectorProfileForm(FlaskForm):
    user_id = SelectField(_l("Inspector account"), coerce=int,
                          validators=[DataRequired(_l("Choose the inspector."))])
    certificate_no = StringField(_l("Enforcement certificate number"), filters=[_strip],
                                 validators=[DataRequired(), Length(max=40)],
                                 description=_l("e.g. 皖执法34150012345"))
    expertise = StringField(_l("Expertise"), filters=[_strip], validators=[Length(max=200)])
    available = BooleanField(_l("Available for draws"), default=True)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id.choices = [(u.id, f"{u.display_name}（{u.username}）") for u in users]


class AvailabilityForm(FlaskForm):
    available = BooleanField(_l("Available for draws"))


class ConflictForm(FlaskForm):
    agency_uscc = StringField(_l("Agency's unified social credit code"), filters=[_strip],
                              validators=[DataRequired(), Length(min=18, max=18)])
    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[DataRequired()],
                           render_kw={"rows": 3},
                           description=_l("e.g. a relative works there; a former employer "
                                          "within three years."))
