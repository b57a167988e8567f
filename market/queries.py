"""Reads for the public lists, the agency directory and profiles, and the catalogue admin.

The public only ever sees active agencies and active service items (RULES.md §1 "Three public
lists"); delisted agencies drop out of every public read here (RULES.md §2 "Exit").
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import contains_eager, selectinload

from core.auth.models import Organisation, OrgKind
from core.errors import NotFound
from core.extensions import db
from market.models import (
    Agency,
    AgencyService,
    AgencyStatus,
    Owner,
    Pricing,
    Qualification,
    QualificationStatus,
    QualificationType,
    Region,
    ServiceItem,
)
from market.rules import local_today, qualification_state

# --- Catalogues -----------------------------------------------------------------------------

def regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.code)))


def region(code: str) -> Region | None:
    return db.session.get(Region, code)


def qualification_types() -> list[QualificationType]:
    return list(db.session.scalars(select(QualificationType).order_by(QualificationType.code)))


def qualification_type(type_id: int) -> QualificationType | None:
    return db.session.get(QualificationType, type_id)


def qualification_type_by_code(code: str) -> QualificationType | None:
    return db.session.scalar(select(QualificationType).where(QualificationType.code == code))


def departments() -> list[Organisation]:
    """Every department organisation: the possible competent departments of an item."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.DEPARTMENT)
        .order_by(Organisation.name)))


def department_by_name(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(
        Organisation.kind == OrgKind.DEPARTMENT, Organisation.name == name))


def all_service_items() -> list[ServiceItem]:
    """Active and inactive, for the catalogue admin."""
    return list(db.session.scalars(
        select(ServiceItem).options(selectinload(ServiceItem.required_qualifications),
                                    selectinload(ServiceItem.department))
        .order_by(ServiceItem.code)))


def service_item(item_id: int) -> ServiceItem | None:
    return db.session.get(ServiceItem, item_id)


def service_item_by_code(code: str) -> ServiceItem | None:
    return db.session.scalar(select(ServiceItem).where(ServiceItem.code == code))


def service_item_code_taken(code: str, except_id: int | None = None) -> bool:
    query = select(ServiceItem.id).where(func.upper(ServiceItem.code) == code.upper())
    if except_id is not None:
        query = query.where(ServiceItem.id != except_id)
    return db.session.scalar(query) is not None


def qualification_type_code_taken(code: str, except_id: int | None = None) -> bool:
    query = select(QualificationType.id).where(
        func.upper(QualificationType.code) == code.upper())
    if except_id is not None:
        query = query.where(QualificationType.id != except_id)
    return db.session.scalar(query) is not None


# --- The service item and fee lists (public) ------------------------------------------------

def active_service_items() -> list[ServiceItem]:
    return list(db.session.scalars(
        select(ServiceItem).where(ServiceItem.active).order_by(ServiceItem.code)))


def service_item_categories() -> list[str]:
    return list(db.session.scalars(
        select(ServiceItem.category).where(ServiceItem.active).distinct()
        .order_by(ServiceItem.category)))


def item_departments() -> list[Organisation]:
    """Departments that are competent for at least one active item (the list's filter)."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.id.in_(
            select(ServiceItem.department_id).where(ServiceItem.active)))
        .order_by(Organisation.name)))


def search_service_items(text: str = "", category: str = "", department_id: int | None = None,
                         pricing: Pricing | None = None) -> list[ServiceItem]:
    """Active items matching every given criterion; `text` looks in code, name and basis."""
    query = (select(ServiceItem).where(ServiceItem.active)
             .options(selectinload(ServiceItem.required_qualifications),
                      selectinload(ServiceItem.department))
             .order_by(ServiceItem.code))
    if text := text.strip():
        query = query.where(ServiceItem.code.icontains(text, autoescape=True)
                            | ServiceItem.name.icontains(text, autoescape=True)
                            | ServiceItem.legal_basis.icontains(text, autoescape=True))
    if category:
        query = query.where(ServiceItem.category == category)
    if department_id:
        query = query.where(ServiceItem.department_id == department_id)
    if pricing:
        query = query.where(ServiceItem.pricing == pricing)
    return list(db.session.scalars(query))


def public_service_item(code: str) -> ServiceItem:
    """The active item with this code, else NotFound with the reason."""
    item = service_item_by_code(code)
    if item is None:
        raise NotFound(_("There is no service item with the code %(code)s.", code=code))
    if not item.active:
        raise NotFound(_("The service item %(code)s has been withdrawn from the catalogue.",
                         code=code))
    return item


def offers_of_item(item_id: int) -> list[AgencyService]:
    """Active agencies offering the item, each with its fee schedule, by agency name."""
    return list(db.session.scalars(
        select(AgencyService)
        .join(AgencyService.agency).join(Agency.organisation)
        .where(AgencyService.service_item_id == item_id, Agency.status == AgencyStatus.ACTIVE)
        .options(contains_eager(AgencyService.agency).contains_eager(Agency.organisation))
        .order_by(Organisation.name, Agency.id)))


def active_offer_counts() -> dict[int, int]:
    """service item id → number of active agencies offering it (for the fees list)."""
    rows = db.session.execute(
        select(AgencyService.service_item_id, func.count())
        .join(AgencyService.agency).where(Agency.status == AgencyStatus.ACTIVE)
        .group_by(AgencyService.service_item_id))
    return {item_id: count for item_id, count in rows}


# --- Agency directory and profile (public) ---------------------------------------------------

@dataclass
class DirectoryFilters:
    q: str = ""
    service_item_id: int | None = None
    region_code: str = ""
    qualification_type_id: int | None = None
    sort: str = "newest"  # newest | oldest | name | staff; anything else means newest


def _holds_unexpired(qualification_type_id: int, today: date):
    """An agency holds an unexpired qualification of this type (expired ones never count)."""
    return exists().where(Qualification.agency_id == Agency.id,
                          Qualification.type_id == qualification_type_id,
                          Qualification.status == QualificationStatus.VALID,
                          Qualification.expires_on >= today)


def _order(sort: str) -> tuple:
    # Credit ranking (RULES.md §2: honour list on top, demotion for the dishonest) will be
    # the first sort key here once the credit module answers levels.
    return {
        "newest": (Agency.registered_at.desc(), Agency.id.desc()),
        "oldest": (Agency.registered_at.asc(), Agency.id.asc()),
        "name": (Organisation.name.asc(), Agency.id.asc()),
        "staff": (Agency.staff_count.desc(), Organisation.name.asc(), Agency.id.asc()),
    }.get(sort) or _order("newest")


def directory_query(filters: DirectoryFilters, today: date | None = None) -> Select:
    """Active agencies matching the filters, in the chosen order."""
    query = (select(Agency).join(Agency.organisation)
             .where(Agency.status == AgencyStatus.ACTIVE)
             .options(contains_eager(Agency.organisation),
                      selectinload(Agency.services), selectinload(Agency.qualifications)))
    if q := filters.q.strip():
        query = query.where(Organisation.name.icontains(q, autoescape=True)
                            | Organisation.uscc.contains(q.upper(), autoescape=True))
    if filters.service_item_id:
        query = query.where(exists().where(
            AgencyService.agency_id == Agency.id,
            AgencyService.service_item_id == filters.service_item_id))
    if filters.region_code:
        query = query.where(Agency.region_code == filters.region_code)
    if filters.qualification_type_id:
        query = query.where(_holds_unexpired(filters.qualification_type_id,
                                             today or local_today()))
    return query.order_by(*_order(filters.sort))


def directory_page(filters: DirectoryFilters, page: int, per_page: int):
    return db.paginate(directory_query(filters), page=page, per_page=per_page,
                       error_out=False, max_per_page=100)


def public_agency(agency_id: int) -> Agency:
    """The active agency with this id, else NotFound with the reason."""
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(_("There is no agency with this number."))
    if agency.status != AgencyStatus.ACTIVE:
        raise NotFound(_("%(name)s has been delisted from the marketplace and is no longer "
                         "public.", name=agency.name))
    return agency


def agency_qualifications(agency: Agency, today: date | None = None) -> list[tuple]:
    """(qualification, 'valid' | 'expiring' | 'expired'), soonest expiry first."""
    today = today or local_today()
    return [(q, qualification_state(q.expires_on, today)) for q in agency.qualifications]


def agency_offers(agency_id: int) -> list[AgencyService]:
    """The agency's service items with fee schedules, active items only, by item code."""
    return list(db.session.scalars(
        select(AgencyService).join(AgencyService.service_item)
        .where(AgencyService.agency_id == agency_id, ServiceItem.active)
        .order_by(ServiceItem.code)))


def agency_by_uscc(uscc: str) -> Agency | None:
    return db.session.scalar(select(Agency).join(Agency.organisation)
                             .where(Organisation.uscc == uscc))


def owner_by_uscc(uscc: str) -> Owner | None:
    return db.session.scalar(select(Owner).join(Owner.organisation)
                             .where(Organisation.uscc == uscc))


# --- Home page ------------------------------------------------------------------------------

def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def marketplace_counts() -> dict[str, int]:
    return {"agencies": _count(Agency, Agency.status == AgencyStatus.ACTIVE),
            "items": _count(ServiceItem, ServiceItem.active),
            "owners": _count(Owner)}


def newest_agencies(limit: int = 6) -> list[Agency]:
    return list(db.session.scalars(
        select(Agency).where(Agency.status == AgencyStatus.ACTIVE)
        .order_by(Agency.registered_at.desc(), Agency.id.desc()).limit(limit)))
