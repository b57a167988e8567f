"""Market demo data: the catalogue (regions, qualification types, service items), agencies and
owners, and the agencies' credit history (market/data/demo_credit.py). Runs after core/demo.py
and credit/demo.py; idempotent: whatever already exists (by code, name, USCC or reference) is
left alone, so a second run creates nothing and an admin's edits survive. Never commits: the
`seed-demo` command does.

Everything goes through the operations, so the demo rows are audited and validated like any
other (ARCHITECTURE.md "Conventions"); dates in the past are passed to them explicitly.
"""

from datetime import date, timedelta

from stdnum.cn import uscc as uscc_std

from core.auth import operations as auth_ops
from core.auth.models import Organisation, OrgKind
from core.db import utcnow
from credit.disclosure_csv import DisclosureKind, check_row
from credit.models import CreditSubject
from credit.operations import disclosure as disclosure_ops
from credit.operations import lists as list_ops
from credit.operations import subjects as credit_ops
from credit.queries import disclosure as disclosure_queries
from credit.queries import lists as list_queries
from credit.queries.subjects import subject_for
from credit.rules import add_months
from market import demo_jobs, queries
from market.data import demo_credit as credit_data
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


# --- Credit history (RULES.md §2) ------------------------------------------------------------

AGENCY_ENTRIES = {entry["username"]: entry for entry in AGENCIES}
OWNER_ENTRIES = {entry["username"]: entry for entry in OWNERS}
PARTY_CATEGORY = "法人及非法人组织"  # 行政相对人类别 of every demo agency


def _agency_uscc(username: str) -> str:
    return make_uscc(*AGENCY_ENTRIES[username]["uscc"])


def _subject(username: str) -> CreditSubject:
    """The agency's credit subject; registration makes it, except in a database seeded before
    credit was wired in."""
    entry = AGENCY_ENTRIES[username]
    uscc = make_uscc(*entry["uscc"])
    return subject_for(uscc) or credit_ops.register_subject(uscc, entry["name"], role="agency")


def _source(entry: dict) -> Organisation:
    """Who made the record: the owner that rated, or the department."""
    if "owner" in entry:
        owner = OWNER_ENTRIES[entry["owner"]]
        return queries.owner_by_uscc(make_uscc(*owner["uscc"])).organisation
    return queries.department_by_name(entry["department"])


def _load_records(today: date) -> None:
    for username, entries in credit_data.RECORDS.items():
        subject = _subject(username)
        existing = {(record.kind, record.reference) for record in subject.records}
        for entry in entries:
            if (entry["kind"], entry["reference"]) in existing:
                continue
            source = _source(entry)
            credit_ops.add_record(
                subject.uscc, entry["kind"], entry["title"], source.name,
                source_department_id=source.id, legal_basis=entry.get("legal_basis", ""),
                evidence=entry["evidence"], occurred_on=today - timedelta(days=entry["days"]),
                rating=entry.get("rating"), inspection_outcome=entry.get("outcome"),
                reference=entry["reference"])


def _authority(name: str) -> tuple[str, str]:
    """(USCC, decision abbreviation) of a licensing or penalising authority."""
    uscc_parts, abbreviation = credit_data.AUTHORITIES[name]
    return make_uscc(*uscc_parts), abbreviation


def _checked(kind: DisclosureKind, raw: dict, today: date):
    """The row validated exactly as a form or CSV import validates it."""
    row = check_row(kind, {key: str(value) for key, value in raw.items()}, today)
    if not row.ok:
        raise ValueError(f"demo {kind} row refused: {row.errors}")
    return row


def _licence_raw(entry: dict, qualification: tuple, serial: int, today: date) -> dict:
    """A declared certificate as its authority discloses it (xk_*): valid five years."""
    code, level, number, issuer, days = qualification
    authority_uscc, abbreviation = _authority(issuer)
    type_name = queries.qualification_type_by_code(code).name
    expires_on = today + timedelta(days=days)
    decided_on = add_months(expires_on, -60)
    return {
        "xk_xdr_mc": entry["name"], "xk_xdr_lb": PARTY_CATEGORY,
        "xk_xdr_shxym": make_uscc(*entry["uscc"]), "xk_frdb": entry["legal_representative"],
        "xk_xkws": "准予行政许可决定书", "xk_wsh": f"{abbreviation}〔{decided_on.year}〕{serial}号",
        "xk_xklb": "认可" if code == "CMA" else "普通", "xk_xkzs": f"{type_name}证书",
        "xk_xkbh": number, "xk_nr": f"准予{type_name}" + ("" if level == "—" else f"（{level}）"),
        "xk_jdrq": decided_on, "xk_yxqz": decided_on, "xk_yxqzi": expires_on,
        "xk_xkjg": issuer, "xk_xkjgdm": authority_uscc,
        "xk_zt": "1" if expires_on >= today else "2",  # 1 有效, 2 无效
        "xk_lydw": issuer, "xk_lydwdm": authority_uscc,
    }


def _load_licences(today: date) -> None:
    """双公示 licences behind the certificates authorities issued (not associations')."""
    platform = queries.department_by_name(credit_data.SJJ)
    for index, entry in enumerate(AGENCIES):
        if entry["username"] in credit_data.NO_LICENCE | credit_data.NO_RECORD:
            continue
        licences, _penalties = disclosure_queries.for_subject(make_uscc(*entry["uscc"]))
        disclosed = {licence.xk_xkbh for licence in licences}
        for n, qualification in enumerate(entry["qualifications"]):
            number, issuer = qualification[2], qualification[3]
            if issuer in credit_data.AUTHORITIES and number not in disclosed:
                raw = _licence_raw(entry, qualification, 100 + 10 * index + n, today)
                disclosure_ops.record_licence(_checked(DisclosureKind.LICENCE, raw, today),
                                              platform)


def _penalty_raw(entry: dict, penalty: dict, today: date) -> dict:
    authority_uscc, abbreviation = _authority(penalty["authority"])
    decided_on = today - timedelta(days=penalty["days"])
    national = {key: value for key, value in penalty.items() if key.startswith("cf_")}
    return {
        **national, "cf_xdr_mc": entry["name"], "cf_xdr_lb": PARTY_CATEGORY,
        "cf_xdr_shxym": make_uscc(*entry["uscc"]), "cf_frdb": entry["legal_representative"],
        "cf_wsh": f"{abbreviation}〔{decided_on.year}〕{penalty['number']}号",
        "cf_jdrq": decided_on, "cf_cfjg": penalty["authority"], "cf_cfjgdm": authority_uscc,
        "cf_sjly": penalty["authority"], "cf_sjlydm": authority_uscc,
        "severity": penalty["severity"],
    }


def _load_penalties(today: date) -> None:
    """双公示 penalties; a violation already disclosed for the agency is not entered again."""
    for username, penalties in credit_data.PENALTIES.items():
        entry = AGENCY_ENTRIES[username]
        _licences, disclosed = disclosure_queries.for_subject(_agency_uscc(username),
                                                              include_hidden=True)
        known = {disclosure.cf_wfxw for disclosure in disclosed}
        for penalty in penalties:
            if penalty["cf_wfxw"] not in known:
                raw = _penalty_raw(entry, penalty, today)
                disclosure_ops.record_penalty(_checked(DisclosureKind.PENALTY, raw, today),
                                              queries.department_by_name(penalty["authority"]))


def _load_honour(today: date) -> None:
    honour = credit_data.HONOUR
    subject = _subject(honour["username"])
    if list_queries.active_honour_listing(subject.id, today) is None:
        list_ops.add_to_honour_list(subject.uscc, honour["reason"],
                                    queries.department_by_name(honour["department"]),
                                    honour["term_years"],
                                    today=today - timedelta(days=honour["days"]))


def _notify(plan: dict):
    """The department's notice of intended listing, dated `days` ago; None if this subject
    has ever had a listing of that department."""
    subject = _subject(plan["username"])
    department = queries.department_by_name(plan["department"])
    if any(listing.subject_id == subject.id
           for listing in list_queries.department_listings(department.id)):
        return None
    return list_ops.start_severe_listing(subject.uscc, plan["reason"], plan["legal_basis"],
                                         department,
                                         now=utcnow() - timedelta(days=plan["days"]))


def _load_severe_list() -> None:
    """One subject listed after an objection window that passed without objection (RULES.md
    §2), which also delists it; one notice still inside its window."""
    plan = credit_data.SEVERE_LISTED
    listing = _notify(plan)
    if listing is not None:
        list_ops.confirm_listing(listing, plan["decision"],
                                 queries.department_by_name(plan["department"]),
                                 now=listing.objection_deadline + timedelta(hours=1))
    _notify(credit_data.SEVERE_NOTIFIED)


def _load_delisting(today: date) -> None:
    """Exit for a fraudulent registration; `delist` returns the exit already in force."""
    plan = credit_data.DELISTED
    list_ops.delist(_agency_uscc(plan["username"]), plan["reason"], plan["detail"],
                    today=today - timedelta(days=plan["days"]))


def _load_credit() -> None:
    today = local_today()
    _load_records(today)
    _load_licences(today)
    _load_penalties(today)
    _load_honour(today)
    _load_severe_list()
    _load_delisting(today)
    credit_ops.recompute_all(today)  # listings moved scores as of their own dates


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
    _load_credit()
    demo_jobs.load(local_today())
    return logins
