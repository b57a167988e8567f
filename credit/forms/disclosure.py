"""Forms of the 双公示: a licence and a penalty in the national field set, the CSV upload
and the "import the valid rows" confirmation.

The entry forms are built from the column definitions of credit/disclosure_csv.py, and they
validate with its `check_row`, so a form and an imported CSV row are held to the same rules
and report the same reasons. Field names are the national field codes (xk_xdr_mc …).
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Regexp

from credit.disclosure_csv import COLUMNS, Column, DisclosureKind, ParsedRow, check_row
from credit.queries.disclosure import local_today

TOKEN_PATTERN = r"^[0-9a-f]{32}$"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class _MarkRequired:
    """Marks a field required (asterisk, `required` attribute); check_row says why it fails."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


def _choice_labels() -> dict[str, dict[str, str]]:
    return {
        "xk_zt": {"1": _l("1 — valid"), "2": _l("2 — invalid")},
        "severity": {"轻微": _l("Minor (public up to 3 months)"),
                     "一般": _l("General (public 3 months to 1 year)"),
                     "严重": _l("Serious (public 1 to 3 years)")},
    }


def _hints() -> dict[str, str]:
    return {
        "cf_cflb": _l("Several separated by ；, e.g. 警告；罚款."),
        "cf_nr_fk": _l("In 万元, at most 6 decimals; required for 罚款."),
        "cf_nr_wfff": _l("In 万元, at most 6 decimals; required for a confiscation."),
        "cf_gsjzq": _l("Leave blank for the end of the display window of the severity."),
        "xk_yxqzi": _l("2099-12-31 for no end (长期)."),
        "xk_frdb": _l("Required unless the party is a natural person."),
        "cf_frdb": _l("Required unless the party is a natural person."),
    }


def _make_field(col: Column):
    hint = _hints().get(col.code)
    options = {"label": col.label, "filters": [_strip],
               "validators": [_MarkRequired()] if col.required else [],
               "description": f"{col.code} · {col.name}" + (f" — {hint}" if hint else ""),
               "render_kw": {"maxlength": col.max_length} if col.max_length else {}}
    if col.choices:
        labels = _choice_labels().get(col.code, {})
        choices = [SelectChoice("", _l("— choose —")),
                   *(SelectChoice(c, labels.get(c, c)) for c in col.choices)]
        return SelectField(choices=choices, validate_choice=False, **options)
    if col.widget == "textarea":
        options["render_kw"]["rows"] = 3
        return TextAreaField(**options)
    if col.widget == "date":
        options["render_kw"]["type"] = "date"
    return StringField(**options)


class _DisclosureForm(FlaskForm):
    kind: DisclosureKind
    row: ParsedRow | None = None

    def columns(self) -> tuple[Column, ...]:
        return COLUMNS[self.kind]

    def validate(self, extra_validators=None) -> bool:
        """The shared checks of credit/disclosure_csv.py; the checked row is kept in `row`
        for the operation. A field that already has an error gets no second one."""
        valid = super().validate(extra_validators)
        raw = {col.code: self[col.code].data or "" for col in self.columns()}
        self.row = check_row(self.kind, raw, local_today())
        for error in self.row.errors:
            field = self[error.code]
            if not field.errors:
                field.errors.append(error.reason)
        return valid and self.row.ok


def _form_class(kind: DisclosureKind, name: str) -> type[_DisclosureForm]:
    attributes = {"kind": kind, **{col.code: _make_field(col) for col in COLUMNS[kind]}}
    return type(name, (_DisclosureForm,), attributes)


LicenceForm = _form_class(DisclosureKind.LICENCE, "LicenceForm")
PenaltyForm = _form_class(DisclosureKind.PENALTY, "PenaltyForm")
FORMS = {DisclosureKind.LICENCE: LicenceForm, DisclosureKind.PENALTY: PenaltyForm}


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), [FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"},
                     description=_l("UTF-8 (with or without BOM) or GBK; the first line holds "
                                    "the field codes or the Chinese column names."))


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN_PATTERN)])
    import_valid = BooleanField(_l("Import the valid rows and leave out the rows with errors"))
