"""Registration and own-profile forms: input validation only. The rules that matter for
integrity are checked again by market.operations.agencies."""

import re
from itertools import groupby
from operator import attrgetter

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc as uscc_std
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.utils import unset_value
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from core.auth.forms import strong_password
from core.uploads import UploadRejected, read_checked
from market import queries, rules
from market.models import OwnerType, ServiceItem
from market.operations.agencies import (
    AgencyProfile,
    AgencyRegistration,
    OwnerProfile,
    OwnerRegistration,
    QualificationInput,
    ServiceOffer,
    StaffAccount,
)

# Mobile (11 digits), landline with area code and optional extension, or a 400/800 number.
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|[48]00-?\d{3}-?\d{4})$")
USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,60}$")
QUALIFICATION_ROWS = 3
FEE_MAX_LENGTH = 500


# --- Filters and validators -----------------------------------------------------------------

def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _no_spaces(value):
    return re.sub(r"\s+", "", value) if isinstance(value, str) else value


def _uscc(value):
    return rules.normalise_uscc(value) if isinstance(value, str) else value


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


def valid_uscc(form, field):
    """GB 32100-2015, with a message that says what exactly is wrong."""
    try:
        uscc_std.validate(field.data or "")
    except stdnum_errors.InvalidLength as error:
        raise ValidationError(_("A unified social credit code has 18 characters.")) from error
    except stdnum_errors.InvalidChecksum as error:
        raise ValidationError(_("The last character (the check character) does not match: "
                                "please copy the code again from the business licence.")) \
            from error
    except stdnum_errors.ValidationError as error:
        raise ValidationError(_("Only digits and capital letters other than I, O, S, V and Z "
                                "are allowed, and the first eight characters are digits.")) \
            from error


def valid_phone(form, field):
    if field.data and not PHONE.match(field.data):
        raise ValidationError(_("Enter an 11-digit mobile number or a landline with its area "
                                "code, e.g. 0564-3371234."))


def future_date(form, field):
    if field.data and field.data <= rules.local_today():
        raise ValidationError(_("The expiry date must be in the future."))


def scan_content(form, field):
    """PDF, JPG or PNG by content, within the size limit (core.uploads)."""
    if field.data:
        try:
            read_checked(field.data)
        except UploadRejected as error:
            raise ValidationError(str(error)) from error


# --- Choices ---------------------------------------------------------------------------------

def _placeholder() -> tuple[str, str]:
    return "", _("— choose —")


def region_choices() -> list[tuple[str, str]]:
    return [_placeholder()] + [(r.code, f"{r.name} ({r.code})") for r in queries.regions()]


def qualification_type_choices() -> list[tuple[str, str]]:
    return [_placeholder()] + [(str(t.id), t.name) for t in queries.qualification_types()]


def offerable_items(already_offered: list[ServiceItem] = ()) -> list[ServiceItem]:
    """Active catalogue items, plus withdrawn ones an agency still offers (so it can drop
    them), grouped by category in the form."""
    items = {item.id: item for item in queries.active_service_items()}
    items.update({item.id: item for item in already_offered})
    return sorted(items.values(), key=attrgetter("category", "code"))


# --- Service items with fee schedules -------------------------------------------------------

class ServiceOffersField(Field):
    """A checkbox (name `services`, value the item id, id `item-<id>`) and a fee schedule
    text (name and id `fee-<id>`) per catalogue item. `data` is {item id: fee schedule} of
    the chosen items; fees typed for unchosen items are kept only to redisplay them.
    Rendered by templates/market/_account_services.html."""

    def __init__(self, label=None, validators=None, min_chosen: int = 1, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.min_chosen = min_chosen
        self.groups: list[tuple[str, list[ServiceItem]]] = []
        self.fees: dict[int, str] = {}
        self.item_errors: dict[int, str] = {}

    def set_items(self, items: list[ServiceItem]) -> None:
        self.groups = [(category, list(group))
                       for category, group in groupby(items, key=attrgetter("category"))]

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if formdata is not None:
            chosen = [int(v) for v in formdata.getlist(self.name) if v.isdigit()]
            self.fees = {int(key[4:]): value.strip() for key, value in formdata.items()
                         if key.startswith("fee-") and key[4:].isdigit()}
            self.data = {item_id: self.fees.get(item_id, "") for item_id in chosen}
        else:
            self.data = dict(data) if isinstance(data, dict) else {}
            self.fees = dict(self.data)

    def pre_validate(self, form):
        known = {item.id for _category, items in self.groups for item in items}
        if set(self.data) - known:
            raise ValidationError(_("Choose service items from the list."))
        for item_id, fee in self.data.items():
            if not fee:
                self.item_errors[item_id] = _("Enter your fee schedule for this item.")
            elif len(fee) > FEE_MAX_LENGTH:
                self.item_errors[item_id] = _("At most %(n)d characters.", n=FEE_MAX_LENGTH)
        if self.item_errors:
            raise ValidationError(_("Each service item you choose needs your fee schedule."))
        if len(self.data) < self.min_chosen:
            raise ValidationError(_("Choose at least one service item you offer."))

    def is_chosen(self, item_id: int) -> bool:
        return item_id in self.data

    def offers(self) -> list[ServiceOffer]:
        return [ServiceOffer(item_id, fee) for item_id, fee in self.data.items()]


# --- Field groups shared by several forms ---------------------------------------------------

class AccountFields:
    username = StringField(_l("Username"), [
        DataRequired(), Regexp(USERNAME, message=_l(
            "3 to 60 letters, digits, dots, dashes or underscores."))], filters=[_strip])
    password = PasswordField(_l("Password"),
                             [DataRequired(), Length(max=200), strong_password])
    confirm = PasswordField(_l("Repeat the password"), [
        DataRequired(), EqualTo("password", _l("The passwords do not match."))])


class QualificationFields:
    type_id = SelectField(_l("Qualification"), [InputRequired()], coerce=_int_or_none,
                          choices=[])
    level = StringField(_l("Level"), [DataRequired(), Length(max=30)], filters=[_strip])
    certificate_no = StringField(_l("Certificate number"), [DataRequired(), Length(max=60)],
                                 filters=[_strip])
    issuer = StringField(_l("Issued by"), [DataRequired(), Length(max=100)], filters=[_strip])
    expires_on = DateField(_l("Valid until"), [InputRequired(), future_date])
    scan = FileField(_l("Scan (PDF, JPG or PNG)"), [scan_content])

    def load_types(self, choices) -> None:
        self.type_id.choices = choices

    def qualification_input(self) -> QualificationInput:
        return QualificationInput(type_id=self.type_id.data, level=self.level.data,
                                  certificate_no=self.certificate_no.data,
                                  issuer=self.issuer.data, expires_on=self.expires_on.data,
                                  scan=self.scan.data or None)


class QualificationRowForm(QualificationFields, Form):
    """One qualification row of the registration form: a blank row is ignored, a partly
    filled one must be completed."""

    def is_blank(self) -> bool:
        texts = (self.level.data, self.certificate_no.data, self.issuer.data,
                 *(self.expires_on.raw_data or ()))
        return not (self.type_id.data or self.scan.data or any(t and t.strip() for t in texts))

    def validate(self, extra_validators=None):
        return True if self.is_blank() else super().validate(extra_validators)


def _required_select(label):
    return SelectField(label, [DataRequired()], choices=[])


# --- Agency ---------------------------------------------------------------------------------

class AgencyProfileForm(FlaskForm):
    name = StringField(_l("Organisation name"), [DataRequired(), Length(max=200)],
                       filters=[_strip])
    legal_representative = StringField(_l("Legal representative"),
                                       [DataRequired(), Length(max=50)], filters=[_strip])
    region_code = _required_select(_l("Region"))
    address = StringField(_l("Address"), [DataRequired(), Length(max=200)], filters=[_strip])
    contact_name = StringField(_l("Contact person"), [DataRequired(), Length(max=50)],
                               filters=[_strip])
    contact_phone = StringField(_l("Contact phone"), [DataRequired(), Length(max=30),
                                                      valid_phone], filters=[_no_spaces])
    contact_email = EmailField(_l("Contact email"), [Optional(), Length(max=120), Email()],
                               filters=[_strip])
    staff_count = IntegerField(_l("Number of staff"),
                               [InputRequired(), NumberRange(min=1, max=1_000_000)])
    introduction = TextAreaField(_l("Introduction"), [Optional(), Length(max=2000)],
                                 filters=[_strip])

    def load_choices(self) -> None:
        self.region_code.choices = region_choices()

    def profile(self) -> AgencyProfile:
        return AgencyProfile(**{name: self[name].data for name in (
            "name", "legal_representative", "region_code", "address", "contact_name",
            "contact_phone", "contact_email", "staff_count", "introduction")})


class AgencyRegistrationForm(AccountFields, AgencyProfileForm):
    uscc = StringField(_l("Unified social credit code"), [DataRequired(), valid_uscc],
                       filters=[_uscc], description=_l("18 characters, as on the business "
                                                       "licence."))
    services = ServiceOffersField(_l("Service items you offer"))
    qualifications = FieldList(FormField(QualificationRowForm),
                               min_entries=QUALIFICATION_ROWS, max_entries=10)
    commitment_accepted = BooleanField(
        _l("I have read the credit commitment above and accept it"),
        [DataRequired(message=_l("Registration needs your acceptance of the credit "
                                 "commitment."))])

    def load_choices(self) -> None:
        super().load_choices()
        self.services.set_items(offerable_items())
        types = qualification_type_choices()
        for row in self.qualifications:
            row.form.load_types(types)

    def registration(self) -> AgencyRegistration:
        profile = self.profile()
        return AgencyRegistration(
            uscc=self.uscc.data, **vars(profile), username=self.username.data,
            password=self.password.data, services=self.services.offers(),
            qualifications=[row.form.qualification_input() for row in self.qualifications
                            if not row.form.is_blank()],
            commitment_accepted=self.commitment_accepted.data)


class ServicesForm(FlaskForm):
    services = ServiceOffersField(_l("Service items you offer"))


class QualificationForm(QualificationFields, FlaskForm):
    """Add one qualification on the agency's own page."""


class RenewQualificationForm(FlaskForm):
    expires_on = DateField(_l("New expiry date"), [InputRequired(), future_date])
    scan = FileField(_l("New scan (PDF, JPG or PNG)"), [scan_content])


class StaffForm(AccountFields, FlaskForm):
    display_name = StringField(_l("Full name"), [DataRequired(), Length(max=100)],
                               filters=[_strip])
    phone = StringField(_l("Phone"), [Optional(), Length(max=30), valid_phone],
                        filters=[_no_spaces])

    def account(self) -> StaffAccount:
        return StaffAccount(username=self.username.data, password=self.password.data,
                            display_name=self.display_name.data, phone=self.phone.data or None)


# --- Owner ----------------------------------------------------------------------------------

def owner_type_choices() -> list[tuple[str, str]]:
    return [(OwnerType.ENTERPRISE.value, _("Enterprise")),
            (OwnerType.PUBLIC_BODY.value, _("Public body (government organ or public "
                                            "institution)"))]


class OwnerProfileForm(FlaskForm):
    name = StringField(_l("Organisation name"), [DataRequired(), Length(max=200)],
                       filters=[_strip])
    region_code = _required_select(_l("Region"))
    contact_name = StringField(_l("Contact person"), [DataRequired(), Length(max=50)],
                               filters=[_strip])
    contact_phone = StringField(_l("Contact phone"), [DataRequired(), Length(max=30),
                                                      valid_phone], filters=[_no_spaces])

    def load_choices(self) -> None:
        self.region_code.choices = region_choices()

    def profile(self) -> OwnerProfile:
        return OwnerProfile(name=self.name.data, region_code=self.region_code.data,
                            contact_name=self.contact_name.data,
                            contact_phone=self.contact_phone.data)


class OwnerRegistrationForm(AccountFields, OwnerProfileForm):
    uscc = StringField(_l("Unified social credit code"), [DataRequired(), valid_uscc],
                       filters=[_uscc], description=_l("18 characters, as on the business "
                                                       "licence or legal person certificate."))
    owner_type = SelectField(_l("Kind of owner"), [DataRequired()], choices=[])

    def load_choices(self) -> None:
        super().load_choices()
        self.owner_type.choices = owner_type_choices()

    def registration(self) -> OwnerRegistration:
        return OwnerRegistration(
            uscc=self.uscc.data, name=self.name.data, owner_type=OwnerType(self.owner_type.data),
            region_code=self.region_code.data, contact_name=self.contact_name.data,
            contact_phone=self.contact_phone.data, username=self.username.data,
            password=self.password.data)


def show_error(form: FlaskForm, error: Exception) -> None:
    """Put an operation's refusal on the field it names, else above the form."""
    name = getattr(error, "field", None)
    if name and name in form:
        form[name].errors = [*form[name].errors, str(error)]
    else:
        form.form_errors = [*form.form_errors, str(error)]
