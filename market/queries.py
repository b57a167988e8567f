"""Reads for the public lists, the agency directory and profiles, and the catalogue admin.

The public only ever sees active agencies and active service items (RULES.md §1 "Three public
lists"); agencies delisted by credit drop out of every public read here (RULES.md §2 "Exit").
Credit answers in SQL (credit_subject joined on the USCC), so a directory page is ranked and
counted by the database, never row by row in Python.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, exists, func, select
from sqlalchemy.orm import contains_eager, selectinload

from core.auth.models import Organisation, OrgKind
from core.errors import NotFound
from core.extensions import db
from credit.models import CreditSubject, Effect
from credit.queries import lists as credit_lists
from credit.queries import restrictions as credit_restrictions
from credit.queries import subjects as credit_subjects
from credit.queries.restrictions import Restriction
from credit.rules import Level
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


# --- Who the public sees ---------------------------------------------------------------------

def _listed(today: date | None = None):
    """Active and not delisted by credit (exit, RULES.md §2): the agencies the public sees.
    Credit's delisted codes come as a subquery, so this is one condition in any query."""
    delisted = select(Organisation.id).where(Organisation.uscc.in_(
        credit_lists.delisted_uscc_select(today or local_today()))).correlate(None)
    return and_(Agency.status == AgencyStatus.ACTIVE, Agency.organisation_id.not_in(delisted))


def _with_credit(query: Select) -> Select:
    """`query` on agencies joined to their organisation and, by USCC, their credit subject
    (outer: an agency credit does not know yet counts as new)."""
    return (query.join(Agency.organisation)
            .outerjoin(CreditSubject, CreditSubject.uscc == Organisation.uscc))


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
    """Listed agencies offering the item, each with its fee schedule, by agency name."""
    return list(db.session.scalars(
        select(AgencyService)
        .join(AgencyService.agency).join(Agency.organisation)
        .where(AgencyService.service_item_id == item_id, _listed())
        .options(contains_eager(AgencyService.agency).contains_eager(Agency.organisation))
        .order_by(Organisation.name, Agency.id)))


def active_offer_counts() -> dict[int, int]:
    """service item id → number of listed agencies offering it (for the fees list)."""
    rows = db.session.execute(
        select(AgencyService.service_item_id, func.count())
        .join(AgencyService.agency).where(_listed())
        .group_by(AgencyService.service_item_id))
    return {item_id: count for item_id, count in rows}


# --- Agency directory and profile (public) ---------------------------------------------------

CREDIT_LEVELS = tuple(level.value for level in Level)  # A, B, C, D, new
LEVEL_RANKS = {Level.A.value: 0, Level.B.value: 1, Level.C.value: 2, Level.D.value: 3}


@dataclass
class DirectoryFilters:
    q: str = ""
    service_item_id: int | None = None
    region_code: str = ""
    qualification_type_id: int | None = None
    level: str = ""  # one of CREDIT_LEVELS; anything else means any level
    sort: str = "level"  # level | newest | oldest | name | staff; anything else means level


def _holds_unexpired(qualification_type_id: int, today: date):
    """An agency holds an unexpired qualification of this type (expired ones never count)."""
    return exists().where(Qualification.agency_id == Agency.id,
                          Qualification.type_id == qualification_type_id,
                          Qualification.status == QualificationStatus.VALID,
                          Qualification.expires_on >= today)


def _credit_order(today: date) -> tuple:
    """Credit level A first, D last, "new" as B (RULES.md §2 "Levels"); within a level the
    joint measures (RULES.md §2): directory priority first, demotion last (both: neither);
    then the higher score."""
    level_rank = case(LEVEL_RANKS, value=credit_subjects.effective_level_sql(),
                      else_=len(LEVEL_RANKS))
    priority = credit_restrictions.effect_applies_sql(Effect.DIRECTORY_PRIORITY, today)
    demotion = credit_restrictions.effect_applies_sql(Effect.DIRECTORY_DEMOTION, today)
    measure_rank = case((priority, 0), else_=1) + case((demotion, 1), else_=0)
    return (level_rank, measure_rank, CreditSubject.score.is_(None),
            CreditSubject.score.desc(), Organisation.name.asc(), Agency.id.asc())


_PLAIN_ORDERS = {
    "newest": (Agency.registered_at.desc(), Agency.id.desc()),
    "oldest": (Agency.registered_at.asc(), Agency.id.asc()),
    "name": (Organisation.name.asc(), Agency.id.asc()),
    "staff": (Agency.staff_count.desc(), Organisation.name.asc(), Agency.id.asc()),
}


def directory_query(filters: DirectoryFilters, today: date | None = None) -> Select:
    """Listed agencies matching the filters, in the chosen order (credit level by default)."""
    today = today or local_today()
    query = (_with_credit(select(Agency)).where(_listed(today))
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
        query = query.where(_holds_unexpired(filters.qualification_type_id, today))
    if filters.level in CREDIT_LEVELS:
        query = query.where(func.coalesce(CreditSubject.level, Level.NEW.value) == filters.level)
    return query.order_by(*(_PLAIN_ORDERS.get(filters.sort) or _credit_order(today)))


def directory_page(filters: DirectoryFilters, page: int, per_page: int):
    return db.paginate(directory_query(filters), page=page, per_page=per_page,
                       error_out=False, max_per_page=100)


@dataclass(frozen=True)
class DirectoryCredit:
    """An agency's credit as its directory row shows it."""

    level: str  # A–D, or "new" (treated as B)
    priority: Restriction | None  # the joint reward ranking it first within its level
    demotion: Restriction | None  # the joint punishment ranking it last


def directory_credit(agencies: list[Agency], today: date | None = None
                     ) -> dict[int, DirectoryCredit]:
    """agency id → its credit, for one page of the directory in a few queries."""
    usccs = [agency.uscc for agency in agencies]
    levels = credit_subjects.levels_for(usccs)
    restrictions = credit_restrictions.restrictions_for_many(usccs, today=today)

    def measure(uscc: str, effect: Effect) -> Restriction | None:
        return next((r for r in restrictions.get(uscc, []) if r.effect == effect), None)

    return {agency.id: DirectoryCredit(levels[agency.uscc],
                                       measure(agency.uscc, Effect.DIRECTORY_PRIORITY),
                                       measure(agency.uscc, Effect.DIRECTORY_DEMOTION))
            for agency in agencies}


class AgencyDelisted(NotFound):
    """The agency has left the marketplace (exit, RULES.md §2); its page says so."""


def public_agency(agency_id: int) -> Agency:
    """The listed agency with this id, else NotFound with the reason."""
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(_("There is no agency with this number."))
    if agency.status != AgencyStatus.ACTIVE or credit_lists.is_delisted(agency.uscc):
        raise AgencyDelisted(_("%(name)s has been delisted from the marketplace and is no "
                               "longer public.", name=agency.name))
    return agency


def agency_credit(agency: Agency) -> CreditSubject | None:
    """The agency's credit subject (level, score) for its profile; None if credit does not
    know the code yet."""
    return credit_subjects.subject_for(agency.uscc) if agency.uscc else None


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
    return {"agencies": _count(Agency, _listed()),
            "items": _count(ServiceItem, ServiceItem.active),
            "owners": _count(Owner)}


def level_counts() -> dict[str, int]:
    """Listed agencies per credit level, A to D then new, in one query."""
    level = func.coalesce(CreditSubject.level, Level.NEW.value)
    rows = db.session.execute(_with_credit(select(level, func.count()).select_from(Agency))
                              .where(_listed()).group_by(level))
    counts = dict.fromkeys(CREDIT_LEVELS, 0)
    counts.update((level, count) for level, count in rows if level in counts)
    return counts


def newest_agencies(limit: int = 6) -> list[Agency]:
    return list(db.session.scalars(
        select(Agency).where(_listed())
        .order_by(Agency.registered_at.desc(), Agency.id.desc()).limit(limit)))
