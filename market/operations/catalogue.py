"""Writes on the catalogues: service items, qualification types, regions.

Each operation validates, changes rows, flushes and writes one audit record with before →
after (全程留痕, ARCHITECTURE.md "Conventions"); the caller commits.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.auth.models import Organisation, OrgKind
from core.errors import Conflict, DomainError
from core.extensions import db
from market import queries
from market.models import Pricing, QualificationType, Region, ServiceItem


class DuplicateCode(Conflict):
    """The code is already used; views show it on the code field."""


@dataclass
class ServiceItemInput:
    code: str
    name: str
    category: str
    legal_basis: str
    department_id: int
    statutory_days: int
    pricing: Pricing
    fee_basis: str
    fee_standard: str
    required_qualification_type_ids: list[int] = field(default_factory=list)


def _item_snapshot(item: ServiceItem) -> dict:
    return {"code": item.code, "name": item.name, "category": item.category,
            "legal_basis": item.legal_basis, "department_id": item.department_id,
            "statutory_days": item.statutory_days, "pricing": item.pricing,
            "fee_basis": item.fee_basis, "fee_standard": item.fee_standard,
            "active": item.active,
            "required_qualifications": sorted(q.code for q in item.required_qualifications)}


def _department(department_id: int) -> Organisation:
    org = db.session.get(Organisation, department_id)
    if org is None or org.kind != OrgKind.DEPARTMENT:
        raise DomainError(_("The competent department must be a department organisation."))
    return org


def _qualification_types(type_ids: list[int]) -> list[QualificationType]:
    wanted = set(type_ids)
    found = list(db.session.scalars(
        select(QualificationType).where(QualificationType.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        raise DomainError(_("An unknown qualification type was chosen."))
    return found


def _apply(item: ServiceItem, data: ServiceItemInput) -> None:
    """Validate everything first, then change the row: a refused edit leaves it untouched."""
    if data.statutory_days < 1:
        raise DomainError(_("The statutory time limit must be at least one working day."))
    department = _department(data.department_id)
    required = _qualification_types(data.required_qualification_type_ids)
    item.department = department
    item.required_qualifications = required
    item.code = data.code.strip().upper()
    item.name = data.name.strip()
    item.category = data.category.strip()
    item.legal_basis = data.legal_basis.strip()
    item.statutory_days = data.statutory_days
    item.pricing = Pricing(data.pricing)
    item.fee_basis = data.fee_basis.strip()
    item.fee_standard = data.fee_standard.strip()


def _check_item_code(code: str, except_id: int | None = None) -> None:
    if queries.service_item_code_taken(code.strip(), except_id):
        raise DuplicateCode(_("The code %(code)s is already used by another service item.",
                              code=code.strip().upper()))


def create_service_item(data: ServiceItemInput) -> ServiceItem:
    _check_item_code(data.code)
    item = ServiceItem(active=True)
    _apply(item, data)
    db.session.add(item)
    db.session.flush()
    audit.record("service_item.create", "service_item", item.id, after=_item_snapshot(item))
    return item


def update_service_item(item: ServiceItem, data: ServiceItemInput) -> ServiceItem:
    _check_item_code(data.code, except_id=item.id)
    before = _item_snapshot(item)
    _apply(item, data)
    db.session.flush()
    audit.record("service_item.update", "service_item", item.id, before=before,
                 after=_item_snapshot(item))
    return item


def set_service_item_active(item: ServiceItem, active: bool) -> ServiceItem:
    """Withdraw an item from the public lists (or bring it back). Rows are never deleted:
    agencies' offers and past jobs still refer to the item."""
    if item.active == active:
        return item
    before = _item_snapshot(item)
    item.active = active
    db.session.flush()
    action = "service_item.reactivate" if active else "service_item.deactivate"
    audit.record(action, "service_item", item.id, before=before, after=_item_snapshot(item))
    return item


# --- Qualification types --------------------------------------------------------------------

def _check_type_code(code: str, except_id: int | None = None) -> None:
    if queries.qualification_type_code_taken(code.strip(), except_id):
        raise DuplicateCode(_("The code %(code)s is already used by another qualification "
                              "type.", code=code.strip().upper()))


def create_qualification_type(code: str, name: str) -> QualificationType:
    _check_type_code(code)
    qt = QualificationType(code=code.strip().upper(), name=name.strip())
    db.session.add(qt)
    db.session.flush()
    audit.record("qualification_type.create", "qualification_type", qt.id,
                 after={"code": qt.code, "name": qt.name})
    return qt


def update_qualification_type(qt: QualificationType, code: str, name: str) -> QualificationType:
    _check_type_code(code, except_id=qt.id)
    before = {"code": qt.code, "name": qt.name}
    qt.code, qt.name = code.strip().upper(), name.strip()
    db.session.flush()
    audit.record("qualification_type.update", "qualification_type", qt.id, before=before,
                 after={"code": qt.code, "name": qt.name})
    return qt


# --- Regions --------------------------------------------------------------------------------

def create_region(code: str, name: str) -> Region:
    code = code.strip()
    if not (len(code) == 6 and code.isdigit()):
        raise DomainError(_("A region code has six digits (GB/T 2260)."))
    if queries.region(code) is not None:
        raise DuplicateCode(_("The region code %(code)s already exists.", code=code))
    region = Region(code=code, name=name.strip())
    db.session.add(region)
    db.session.flush()
    audit.record("region.create", "region", code, after={"code": code, "name": region.name})
    return region


def rename_region(region: Region, name: str) -> Region:
    before = {"code": region.code, "name": region.name}
    region.name = name.strip()
    db.session.flush()
    audit.record("region.update", "region", region.code, before=before,
                 after={"code": region.code, "name": region.name})
    return region
