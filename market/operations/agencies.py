"""Zero-barrier registration of agencies and owners, and the maintenance of their own
profiles (RULES.md §1 "Principles").

Each operation validates what matters for integrity, changes rows, writes its audit
record and flushes; the view or sweeper commits (ARCHITECTURE.md "Conventions").
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from core import audit
from core.auth import operations as auth_ops
from core.auth.models import Organisation, OrgKind, Role, User
from core.db import utcnow
from core.errors import Conflict, NotAllowed
from core.extensions import db
from core.uploads import save_upload
from credit.operations import subjects as credit_subjects
from market import rules
from market.models import (
    Agency,
    AgencyService,
    AgencyStatus,
    Owner,
    OwnerType,
    Qualification,
    QualificationStatus,
    QualificationType,
    Region,
    ServiceItem,
)

REGISTRATION_COMMITMENT = "registration"  # context of the commitment signed on registering


class FieldConflict(Conflict):
    """Input the rules refuse; `field` names the form field the message belongs on."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Inputs (the demo loader builds these too) ---------------------------------------------

@dataclass
class QualificationInput:
    type_id: int
    level: str
    certificate_no: str
    issuer: str
    expires_on: date
    scan: FileStorage | None = None


@dataclass
class ServiceOffer:
    service_item_id: int
    fee_schedule: str


@dataclass
class AgencyRegistration:
    uscc: str
    name: str
    legal_representative: str
    region_code: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str | None
    staff_count: int
    introduction: str | None
    username: str
    password: str
    services: list[ServiceOffer]
    qualifications: list[QualificationInput]
    commitment_accepted: bool


@dataclass
class OwnerRegistration:
    uscc: str
    name: str
    owner_type: OwnerType
    region_code: str
    contact_name: str
    contact_phone: str
    username: str
    password: str


@dataclass
class AgencyProfile:
    """The fields an agency's org admin may change after registration (not the USCC)."""

    name: str
    legal_representative: str
    region_code: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str | None
    staff_count: int
    introduction: str | None


@dataclass
class OwnerProfile:
    name: str
    region_code: str
    contact_name: str
    contact_phone: str


@dataclass
class StaffAccount:
    username: str
    password: str
    display_name: str
    phone: str | None = None
    email: str | None = None


# --- Snapshots for the audit trail ----------------------------------------------------------

AGENCY_FIELDS = ("legal_representative", "region_code", "address", "contact_name",
                 "contact_phone", "contact_email", "staff_count", "introduction")
OWNER_FIELDS = ("region_code", "contact_name", "contact_phone")


def _agency_snapshot(agency: Agency) -> dict:
    return {"name": agency.organisation.name, "uscc": agency.organisation.uscc,
            "status": agency.status, **{f: getattr(agency, f) for f in AGENCY_FIELDS}}


def _owner_snapshot(owner: Owner) -> dict:
    return {"name": owner.organisation.name, "uscc": owner.organisation.uscc,
            "owner_type": owner.owner_type, **{f: getattr(owner, f) for f in OWNER_FIELDS}}


def _services_snapshot(agency: Agency) -> dict:
    return {s.service_item.code: s.fee_schedule for s in agency.services}


def _qualification_snapshot(q: Qualification) -> dict:
    return {"agency_id": q.agency_id, "type": q.type.code, "level": q.level,
            "certificate_no": q.certificate_no, "issuer": q.issuer,
            "expires_on": q.expires_on, "status": q.status, "scan_file": q.scan_file}


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what changed, so the audit entry reads as before → after."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# --- Checks shared by registration and maintenance ------------------------------------------

def _checked_uscc(raw: str) -> str:
    """The normalised code; zero barrier means a valid, unregistered USCC is all it takes."""
    code = rules.normalise_uscc(raw)
    if not rules.is_valid_uscc(code):
        raise FieldConflict(_("This is not a valid unified social credit code."), "uscc")
    if auth_ops.uscc_taken(code):
        raise FieldConflict(_("The unified social credit code %(uscc)s is already registered. "
                              "Sign in with that organisation's account instead.", uscc=code),
                            "uscc")
    return code


def _check_username_free(username: str) -> None:
    if auth_ops.username_taken(username):
        raise FieldConflict(_("The username %(name)s is already taken.", name=username),
                            "username")


def _region(code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None:
        raise FieldConflict(_("Unknown region."), "region_code")
    return region


def _offered_items(offers: list[ServiceOffer], already_offered=()) -> dict[int, ServiceItem]:
    """The catalogue items behind `offers`, by id. New offers need an active item; an item
    withdrawn from the catalogue may still be kept by an agency that already offers it."""
    ids = [offer.service_item_id for offer in offers]
    if len(set(ids)) != len(ids):
        raise FieldConflict(_("Each service item can be offered only once."), "services")
    items = {item.id: item for item in db.session.scalars(
        select(ServiceItem).where(ServiceItem.id.in_(ids)))}
    for offer in offers:
        item = items.get(offer.service_item_id)
        if item is None or not (item.active or item.id in already_offered):
            raise FieldConflict(_("A chosen service item is not in the catalogue."), "services")
        if not offer.fee_schedule.strip():
            raise FieldConflict(_("Enter your fee schedule for %(item)s.", item=item.name),
                                "services")
    return items


def _qualification_type(type_id: int) -> QualificationType:
    qualification_type = db.session.get(QualificationType, type_id) if type_id else None
    if qualification_type is None:
        raise FieldConflict(_("Unknown qualification type."))
    return qualification_type


# --- Registration -------------------------------------------------------------------------

def _open_account(kind: OrgKind, name: str, uscc: str, username: str, password: str,
                  display_name: str, phone: str, email: str | None = None,
                  commitment_text: str | None = None) -> tuple[Organisation, tuple[int, str]]:
    """The organisation and its first org admin: the one path every registration takes.
    Returns the organisation and the new admin as the actor of the registration's audit."""
    organisation = auth_ops.create_organisation(kind, name, uscc)
    admin = auth_ops.create_user(username, password, display_name, Role.ORG_ADMIN,
                                 organisation, phone=phone, email=email)
    # The one place where credit registers the subject, by USCC, for agencies and owners
    # alike (market → credit, ARCHITECTURE.md "Dependency direction"), with the credit
    # commitment signed on registration (RULES.md §1 "Principles").
    credit_subjects.register_subject(uscc, name, rules.credit_subject_kind(uscc),
                                     role=kind.value)
    if commitment_text:
        credit_subjects.sign_commitment(uscc, REGISTRATION_COMMITMENT, commitment_text)
    return organisation, (admin.id, admin.username)


def _attach_qualification(agency: Agency, q: QualificationInput,
                          qualification_type: QualificationType) -> Qualification:
    qualification = Qualification(
        type=qualification_type, level=q.level.strip(), certificate_no=q.certificate_no.strip(),
        issuer=q.issuer.strip(), expires_on=q.expires_on,
        # Declared as is and checked afterwards (事中事后监管); an already expired
        # certificate is recorded as expired rather than refused.
        status=rules.qualification_status(q.expires_on, rules.local_today()))
    if q.scan:
        stored = save_upload(q.scan)
        qualification.scan_file, qualification.scan_mime = stored.name, stored.mime
    agency.qualifications.append(qualification)
    return qualification


def register_agency(reg: AgencyRegistration) -> Agency:
    """List an agency at once: no approval queue, no quota, no fee (RULES.md §1)."""
    if not reg.commitment_accepted:
        raise FieldConflict(_("Registration needs your acceptance of the credit commitment."),
                            "commitment_accepted")
    uscc = _checked_uscc(reg.uscc)
    _check_username_free(reg.username)
    region = _region(reg.region_code)
    items = _offered_items(reg.services)
    types = [_qualification_type(q.type_id) for q in reg.qualifications]

    name = reg.name.strip()
    commitment = rules.commitment_text(name, uscc)
    organisation, registrant = _open_account(
        OrgKind.AGENCY, name, uscc, reg.username, reg.password, reg.contact_name,
        reg.contact_phone, reg.contact_email, commitment_text=commitment)
    agency = Agency(
        organisation=organisation, legal_representative=reg.legal_representative,
        region=region, address=reg.address, contact_name=reg.contact_name,
        contact_phone=reg.contact_phone, contact_email=reg.contact_email or None,
        staff_count=reg.staff_count, introduction=reg.introduction or None,
        commitment_text=commitment, commitment_signed_at=utcnow(),
        status=AgencyStatus.ACTIVE)
    agency.services = [AgencyService(service_item=items[o.service_item_id],
                                     fee_schedule=o.fee_schedule.strip())
                       for o in reg.services]
    db.session.add(agency)
    db.session.flush()
    for q, qualification_type in zip(reg.qualifications, types, strict=True):
        _attach_qualification(agency, q, qualification_type)  # scans last: fewer orphans
    db.session.flush()
    audit.record("agency.register", "agency", agency.id, after={
        **_agency_snapshot(agency), "services": _services_snapshot(agency),
        "qualifications": [_qualification_snapshot(q) for q in agency.qualifications],
        "commitment_signed_at": agency.commitment_signed_at}, actor=registrant)
    return agency


def register_owner(reg: OwnerRegistration) -> Owner:
    uscc = _checked_uscc(reg.uscc)
    _check_username_free(reg.username)
    region = _region(reg.region_code)
    organisation, registrant = _open_account(
        OrgKind.OWNER, reg.name.strip(), uscc, reg.username, reg.password, reg.contact_name,
        reg.contact_phone)
    owner = Owner(organisation=organisation, owner_type=OwnerType(reg.owner_type),
                  region=region, contact_name=reg.contact_name,
                  contact_phone=reg.contact_phone)
    db.session.add(owner)
    db.session.flush()
    audit.record("owner.register", "owner", owner.id, after=_owner_snapshot(owner),
                 actor=registrant)
    return owner


# --- Own profile maintenance ----------------------------------------------------------------

def update_agency_profile(agency: Agency, profile: AgencyProfile) -> None:
    region = _region(profile.region_code)
    before = _agency_snapshot(agency)
    agency.organisation.name = profile.name.strip()
    for name in AGENCY_FIELDS:
        setattr(agency, name, getattr(profile, name))
    agency.region = region
    agency.contact_email = profile.contact_email or None
    agency.introduction = profile.introduction or None
    db.session.flush()
    changed_before, changed_after = _changes(before, _agency_snapshot(agency))
    if changed_after:
        audit.record("agency.update", "agency", agency.id, before=changed_before,
                     after=changed_after)


def update_owner_profile(owner: Owner, profile: OwnerProfile) -> None:
    region = _region(profile.region_code)
    before = _owner_snapshot(owner)
    owner.organisation.name = profile.name.strip()
    for name in OWNER_FIELDS:
        setattr(owner, name, getattr(profile, name))
    owner.region = region
    db.session.flush()
    changed_before, changed_after = _changes(before, _owner_snapshot(owner))
    if changed_after:
        audit.record("owner.update", "owner", owner.id, before=changed_before,
                     after=changed_after)


def set_services(agency: Agency, offers: list[ServiceOffer]) -> None:
    """Replace the offered items and fee schedules with `offers` (the fees list)."""
    current = {s.service_item_id: s for s in agency.services}
    items = _offered_items(offers, already_offered=current.keys())
    wanted = {o.service_item_id: o.fee_schedule.strip() for o in offers}
    before = _services_snapshot(agency)
    agency.services = [s for s in agency.services if s.service_item_id in wanted]
    for item_id, fee_schedule in wanted.items():
        if item_id in current:
            current[item_id].fee_schedule = fee_schedule
        else:
            agency.services.append(AgencyService(service_item=items[item_id],
                                                 fee_schedule=fee_schedule))
    db.session.flush()
    after = _services_snapshot(agency)
    if after != before:
        audit.record("agency.services", "agency", agency.id, before=before, after=after)


def add_qualification(agency: Agency, q: QualificationInput) -> Qualification:
    qualification = _attach_qualification(agency, q, _qualification_type(q.type_id))
    db.session.flush()
    audit.record("qualification.add", "qualification", qualification.id,
                 after=_qualification_snapshot(qualification))
    return qualification


def renew_qualification(qualification: Qualification, expires_on: date,
                        scan: FileStorage | None = None) -> None:
    """A renewed certificate: new expiry and, when given, a new scan (the old file stays on
    disk, named in the audit trail)."""
    before = _qualification_snapshot(qualification)
    qualification.expires_on = expires_on
    qualification.status = rules.qualification_status(expires_on, rules.local_today())
    if scan:
        stored = save_upload(scan)
        qualification.scan_file, qualification.scan_mime = stored.name, stored.mime
    db.session.flush()
    changed_before, changed_after = _changes(before, _qualification_snapshot(qualification))
    if changed_after:
        audit.record("qualification.renew", "qualification", qualification.id,
                     before=changed_before, after=changed_after)


def remove_qualification(qualification: Qualification) -> None:
    before = _qualification_snapshot(qualification)
    qualification.agency.qualifications.remove(qualification)  # delete-orphan deletes it
    db.session.flush()
    audit.record("qualification.remove", "qualification", qualification.id, before=before)


def add_staff(organisation: Organisation, account: StaffAccount) -> User:
    _check_username_free(account.username)
    return auth_ops.create_user(account.username, account.password, account.display_name,
                                Role.STAFF, organisation, phone=account.phone,
                                email=account.email)


def set_staff_active(organisation: Organisation, user: User, active: bool) -> None:
    """The org admin disables or re-enables a staff account of its own organisation."""
    if user.organisation_id != organisation.id:
        raise NotAllowed(_("This account belongs to another organisation."))
    if user.role != Role.STAFF:
        raise Conflict(_("Only staff accounts can be disabled here."))
    auth_ops.set_active(user, active)


# --- Sweeper --------------------------------------------------------------------------------

def expire_qualifications(today: date) -> int:
    """Mark valid qualifications whose expiry day has passed as expired; returns how many.

    Each row changes under a status guard, so a second run, or a second scheduler, finds
    nothing left to do (ARCHITECTURE.md "Conventions")."""
    due = db.session.scalars(
        select(Qualification).where(Qualification.status == QualificationStatus.VALID,
                                    Qualification.expires_on < today)
        .order_by(Qualification.id)).all()
    expired = 0
    for qualification in due:
        changed = db.session.execute(
            update(Qualification)
            .where(Qualification.id == qualification.id,
                   Qualification.status == QualificationStatus.VALID)
            .values(status=QualificationStatus.EXPIRED)
            .execution_options(synchronize_session=False)).rowcount
        if changed:
            db.session.refresh(qualification, ["status"])
            audit.record("qualification.expire", "qualification", qualification.id,
                         before={"status": QualificationStatus.VALID},
                         after={"status": QualificationStatus.EXPIRED,
                                "expires_on": qualification.expires_on},
                         actor=(None, "system"))
            expired += 1
    return expired
