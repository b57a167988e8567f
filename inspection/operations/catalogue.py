"""Writes on the inspection catalogues (RULES.md §3): the inspection item list (抽查事项清单),
the inspector pool (执法检查人员名录库) and declared conflicts of interest (回避).

Each operation checks who may act, validates, changes rows, flushes and writes one audit
record (before → after); the caller commits.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from core import audit
from core.auth.models import Organisation, OrgKind, Role, User
from core.db import utcnow
from core.errors import Conflict, DomainError, NotAllowed
from core.extensions import db
from inspection import queries
from inspection.models import InspectionItem, InspectorConflict, InspectorProfile, ItemKind
from market import queries as market_queries
from market.models import Agency


class DuplicateCode(Conflict):
    """The item code is already used; views show it on the code field."""


class DuplicateCertificate(Conflict):
    """The certificate number belongs to another inspector; shown on its field."""


def by(actor: User) -> tuple[int, str]:
    """The audit actor: the user acting, also outside a request (demo loader, CLI)."""
    return actor.id, actor.username


def _require_manager(actor: User, department_id: int) -> None:
    if not queries.may_manage_department(actor, department_id):
        raise NotAllowed(_("Only the department's own users may change its inspection lists."))


# --- Inspection items -----------------------------------------------------------------------

@dataclass
class ItemInput:
    code: str
    name: str
    legal_basis: str
    department_id: int
    kind: ItemKind | str
    method: str
    service_item_id: int | None = None


def item_snapshot(item: InspectionItem) -> dict:
    return {"code": item.code, "name": item.name, "legal_basis": item.legal_basis,
            "department_id": item.department_id, "kind": item.kind, "method": item.method,
            "service_item_id": item.service_item_id, "active": item.active}


def _department(department_id: int) -> Organisation:
    org = db.session.get(Organisation, department_id)
    if org is None or org.kind != OrgKind.DEPARTMENT:
        raise DomainError(_("An inspection item belongs to a department."))
    return org


def _apply(item: InspectionItem, data: ItemInput) -> None:
    """Validate first, then change the row: a refused edit leaves it untouched."""
    department = _department(data.department_id)
    if data.service_item_id and market_queries.service_item(data.service_item_id) is None:
        raise DomainError(_("An unknown service item was chosen."))
    if not (data.name.strip() and data.legal_basis.strip() and data.method.strip()):
        raise DomainError(_("Name, legal basis and method are required."))
    item.department = department
    item.code = data.code.strip().upper()
    item.name = data.name.strip()
    item.legal_basis = data.legal_basis.strip()
    item.kind = ItemKind(data.kind)
    item.method = data.method.strip()
    item.service_item_id = data.service_item_id or None


def _check_code(code: str, except_id: int | None = None) -> None:
    if queries.item_code_taken(code.strip(), except_id):
        raise DuplicateCode(_("The code %(code)s is already used by another inspection item.",
                              code=code.strip().upper()))


def create_item(actor: User, data: ItemInput) -> InspectionItem:
    _require_manager(actor, data.department_id)
    _check_code(data.code)
    item = InspectionItem(active=True)
    _apply(item, data)
    db.session.add(item)
    db.session.flush()
    audit.record("inspection_item.create", "inspection_item", item.id,
                 after=item_snapshot(item), actor=by(actor))
    return item


def update_item(actor: User, item: InspectionItem, data: ItemInput) -> InspectionItem:
    _require_manager(actor, item.department_id)
    _require_manager(actor, data.department_id)  # nobody moves an item to another department
    _check_code(data.code, except_id=item.id)
    before = item_snapshot(item)
    _apply(item, data)
    db.session.flush()
    audit.record("inspection_item.update", "inspection_item", item.id, before=before,
                 after=item_snapshot(item), actor=by(actor))
    return item


def set_item_active(actor: User, item: InspectionItem, active: bool) -> InspectionItem:
    """Withdraw an item from the list (or list it again). Rows stay: plans refer to them."""
    _require_manager(actor, item.department_id)
    if item.active == active:
        return item
    before = item_snapshot(item)
    item.active = active
    db.session.flush()
    action = "inspection_item.reactivate" if active else "inspection_item.deactivate"
    audit.record(action, "inspection_item", item.id, before=before, after=item_snapshot(item),
                 actor=by(actor))
    return item


# --- Inspector pool -------------------------------------------------------------------------

def profile_snapshot(profile: InspectorProfile) -> dict:
    return {"user_id": profile.user_id, "certificate_no": profile.certificate_no,
            "expertise": profile.expertise, "available": profile.available}


def _require_department_admin(actor: User, department_id: int | None) -> None:
    if actor.role == Role.PLATFORM_ADMIN:
        return
    if not queries.is_department_user(actor, department_id, roles=(Role.ORG_ADMIN,)):
        raise NotAllowed(_("Only an administrator of the inspector's department may "
                           "change the inspector's record."))


def _check_certificate(certificate_no: str, except_id: int | None = None) -> str:
    number = certificate_no.strip().upper()
    if not number:
        raise DomainError(_("The enforcement certificate number is required."))
    if queries.certificate_taken(number, except_id):
        raise DuplicateCertificate(_("The certificate number %(number)s is already in the "
                                     "pool.", number=number))
    return number


def save_inspector_profile(actor: User, inspector: User, certificate_no: str,
                           expertise: str = "", available: bool = True) -> InspectorProfile:
    """Create or update the pool record of a department's inspector account."""
    if inspector.role != Role.INSPECTOR or inspector.org_kind != OrgKind.DEPARTMENT:
        raise DomainError(_("Only inspector accounts of a department join the inspector pool."))
    _require_department_admin(actor, inspector.organisation_id)
    profile = queries.profile_of_user(inspector.id)
    number = _check_certificate(certificate_no, profile.id if profile else None)
    before = profile_snapshot(profile) if profile else None
    if profile is None:
        profile = InspectorProfile(user=inspector)
        db.session.add(profile)
    profile.certificate_no = number
    profile.expertise = expertise.strip()
    profile.available = available
    db.session.flush()
    audit.record("inspector_profile.save", "inspector_profile", profile.id, before=before,
                 after=profile_snapshot(profile), actor=by(actor))
    return profile


def set_availability(actor: User, profile: InspectorProfile, available: bool) -> None:
    """The inspector, or an admin of their department, marks them (un)available for draws."""
    if actor.id != profile.user_id:
        _require_department_admin(actor, profile.user.organisation_id)
    if profile.available == available:
        return
    before = profile_snapshot(profile)
    profile.available = available
    db.session.flush()
    audit.record("inspector_profile.availability", "inspector_profile", profile.id,
                 before=before, after=profile_snapshot(profile), actor=by(actor))


# --- Conflicts of interest (回避) ------------------------------------------------------------

def declare_conflict(inspector: InspectorProfile, agency: Agency,
                     reason: str) -> InspectorConflict:
    """Record that `inspector` must not inspect `agency` (RULES.md §3 "avoiding declared
    conflicts"). The draw skips the pair; after a draw, the task's redraw builds on this."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the conflict of interest."))
    if queries.conflict_between(inspector.id, agency.id) is not None:
        raise Conflict(_("A conflict with %(agency)s is already declared.", agency=agency.name))
    conflict = InspectorConflict(inspector=inspector, agency=agency, reason=reason.strip(),
                                 declared_at=utcnow())
    db.session.add(conflict)
    db.session.flush()
    audit.record("inspector_conflict.declare", "inspector_conflict", conflict.id,
                 after={"inspector_id": inspector.id, "agency_id": agency.id,
                        "reason": conflict.reason})
    return conflict
