"""Market demo data: the catalogue (regions, qualification types, service items), agencies and
owners. Runs after core/demo.py; idempotent: whatever already exists (by code, name or USCC) is
left alone, so a second run creates nothing and an admin's edits survive. Never commits: the
`seed-demo` command does.

Everything goes through the operations, so the demo rows are audited and validated like any
other (ARCHITECTURE.md "Conventions").
"""

from datetime import timedelta

from stdnum.cn import uscc as uscc_std

from core.auth import operations as auth_ops
from core.auth.models import OrgKind
from market import queries
from market.data.demo_subjects import AGENCIES, OWNERS
from market.data.qualification_types import QUALIFICATION_TYPES
from market.data.regions import REGIONS
from market.data.service_items import DEPARTMENTS, SERVICE_ITEMS
from market.operations import agencies as agency_ops
from market.operations import catalogue as ops
from market.rules import local_today

DEMO_PASSWORD = "Demo2026pass"


def make_uscc(authority_and_kind: str, region_code: str, organisation_code: str) -> str:
    body = authority_and_kind + region_code + organisation_code
    return body + uscc_std.calc_check_digit(body)


def _load_departments() -> dict[str, int]:
    """Competent departments by name; core's demo makes most, the rest are made here."""
    ids = {}
    for name in DEPARTMENTS:
        department = queries.department_by_name(name) or \
            auth_ops.create_organisation(OrgKind.DEPARTMENT, name)
        ids[name] = department.id
    return ids


def _load_regions() -> None:
    for code, name in REGIONS:
        if queries.region(code) is None:
            ops.create_region(code, name)


def _load_qualification_types() -> dict[str, int]:
    for code, name in QUALIFICATION_TYPES:
        if queries.qualification_type_by_code(code) is None:
            ops.create_qualification_type(code, name)
    return {qt.code: qt.id for qt in queries.qualification_types()}


def _load_service_items(department_ids: dict[str, int], type_ids: dict[str, int]) -> None:
    for entry in SERVICE_ITEMS:
        if queries.service_item_by_code(entry["code"]) is not None:
            continue
        ops.create_service_item(ops.ServiceItemInput(
            code=entry["code"], name=entry["name"], category=entry["category"],
            legal_basis=entry["legal_basis"], department_id=department_ids[entry["department"]],
            statutory_days=entry["statutory_days"], pricing=entry["pricing"],
            fee_basis=entry["fee_basis"], fee_standard=entry["fee_standard"],
            required_qualification_type_ids=[type_ids[c] for c in entry["qualifications"]]))


def _agency_registration(entry: dict, type_ids: dict[str, int]) -> agency_ops.AgencyRegistration:
    today = local_today()
    contact_name, contact_phone = entry["contact"]
    return agency_ops.AgencyRegistration(
        uscc=make_uscc(*entry["uscc"]), name=entry["name"],
        legal_representative=entry["legal_representative"], region_code=entry["region"],
        address=entry["address"], contact_name=contact_name, contact_phone=contact_phone,
        contact_email=entry["email"], staff_count=entry["staff"],
        introduction=entry["introduction"], username=entry["username"], password=DEMO_PASSWORD,
        services=[agency_ops.ServiceOffer(queries.service_item_by_code(code).id, fee)
                  for code, fee in entry["services"]],
        # Registration takes an already expired certificate and records it as expired
        # (declared, checked afterwards), so the lapsed demo certificate goes in as is.
        qualifications=[agency_ops.QualificationInput(
            type_id=type_ids[code], level=level, certificate_no=number, issuer=issuer,
            expires_on=today + timedelta(days=days))
            for code, level, number, issuer, days in entry["qualifications"]],
        commitment_accepted=True)


def _owner_registration(entry: dict) -> agency_ops.OwnerRegistration:
    contact_name, contact_phone = entry["contact"]
    return agency_ops.OwnerRegistration(
        uscc=make_uscc(*entry["uscc"]), name=entry["name"], owner_type=entry["owner_type"],
        region_code=entry["region"], contact_name=contact_name, contact_phone=contact_phone,
        username=entry["username"], password=DEMO_PASSWORD)


def load() -> list[tuple[str, str, str]]:
    department_ids = _load_departments()
    _load_regions()
    type_ids = _load_qualification_types()
    _load_service_items(department_ids, type_ids)

    logins = []
    for entry in AGENCIES:
        if queries.agency_by_uscc(make_uscc(*entry["uscc"])) is None:
            agency_ops.register_agency(_agency_registration(entry, type_ids))
        logins.append((entry["username"], DEMO_PASSWORD, f"agency · {entry['name']}"))
    for entry in OWNERS:
        if queries.owner_by_uscc(make_uscc(*entry["uscc"])) is None:
            agency_ops.register_owner(_owner_registration(entry))
        logins.append((entry["username"], DEMO_PASSWORD, f"owner · {entry['name']}"))
    return logins
