"""Writes of the 双公示 disclosures (RULES.md §2): an administrative licence or penalty in
the national field set, entered by a department on the form or imported from CSV.

Each disclosure goes with one credit record made by `add_record` (which sets a penalty's
display window from its severity, audits and recomputes the score). Subjects the platform
does not know yet (a penalty on a company that never registered) are registered here with
role "other". The same decision (文书号) is disclosed once per subject. Operations flush and
audit; the caller commits.
"""

from collections.abc import Sequence

from flask_babel import gettext as _

from core import audit
from core.auth.models import Organisation, OrgKind
from core.errors import Conflict, NotAllowed
from core.extensions import db
from credit.disclosure_csv import DisclosureKind, ParsedRow, kind_label
from credit.models import CreditRecord, LicenceDisclosure, PenaltyDisclosure, SubjectKind
from credit.operations.subjects import add_record, register_subject
from credit.queries import disclosure as queries
from credit.queries.subjects import subject_for
from credit.rules import RecordKind

# 行政相对人类别 (national standard) → the subject's kind.
SUBJECT_KINDS = {
    "法人及非法人组织": SubjectKind.LEGAL_PERSON,
    "个体工商户": SubjectKind.INDIVIDUAL_BUSINESS,
    "自然人": SubjectKind.NATURAL_PERSON,
}
UNREGISTERED_ROLE = "other"  # subjects known only from disclosures, not from the market


class DuplicateDisclosure(Conflict):
    """The decision number is already disclosed for this subject."""


class InvalidDisclosure(Conflict):
    """The row did not pass the field checks; nothing was written."""


def _check_department(department: Organisation | None) -> Organisation:
    if department is None or department.kind != OrgKind.DEPARTMENT:
        raise NotAllowed(_("Only departments (regulators) disclose licences and penalties."))
    return department


def _ensure_subject(uscc: str, name: str, category: str) -> None:
    # An existing subject keeps its registered name: the disclosure keeps the name as
    # published, and market owns the names of the subjects it registers.
    if subject_for(uscc) is None:
        register_subject(uscc, name, SUBJECT_KINDS[category], role=UNREGISTERED_ROLE)


def _licence_record(v: dict, department: Organisation) -> CreditRecord:
    return add_record(v["xk_xdr_shxym"], RecordKind.LICENCE, title=v["xk_xkws"][:200],
                      source_department=v["xk_xkjg"], source_department_id=department.id,
                      evidence=v["xk_nr"], occurred_on=v["xk_jdrq"], reference=v["xk_wsh"])


def _penalty_record(v: dict, department: Organisation) -> CreditRecord:
    return add_record(v["cf_xdr_shxym"], RecordKind.PENALTY,
                      title=f"{v['cf_cflb']}：{v['cf_wfxw']}"[:200],
                      source_department=v["cf_cfjg"], source_department_id=department.id,
                      legal_basis=v["cf_yj"], evidence=v["cf_sy"], occurred_on=v["cf_jdrq"],
                      severity=v["severity"], reference=v["cf_wsh"])


_SPECS = {  # kind → (model, field prefix, credit record maker)
    DisclosureKind.LICENCE: (LicenceDisclosure, "xk", _licence_record),
    DisclosureKind.PENALTY: (PenaltyDisclosure, "cf", _penalty_record),
}


def _national_fields(model, values: dict) -> dict:
    """The model's national columns from the checked values; a blank optional text is ''."""
    fields = {}
    for col in model.__table__.columns:
        if col.name in values:
            value = values[col.name]
            fields[col.name] = "" if value is None and not col.nullable else value
    return fields


def snapshot(disclosure) -> dict:
    model = type(disclosure)
    return {col.name: getattr(disclosure, col.name) for col in model.__table__.columns}


def _create(kind: DisclosureKind, row: ParsedRow, department: Organisation):
    if not row.ok:
        raise InvalidDisclosure(_("The %(kind)s has invalid fields; nothing was saved.",
                                  kind=kind_label(kind)))
    model, prefix, make_record = _SPECS[kind]
    values = row.values
    uscc, wsh = values[f"{prefix}_xdr_shxym"], values[f"{prefix}_wsh"]
    if queries.is_duplicate(kind, uscc, wsh):
        raise DuplicateDisclosure(_("Decision %(wsh)s is already disclosed for %(uscc)s.",
                                    wsh=wsh, uscc=uscc))
    _ensure_subject(uscc, values[f"{prefix}_xdr_mc"], values[f"{prefix}_xdr_lb"])
    record = make_record(values, department)
    disclosure = model(record_id=record.id, **_national_fields(model, values))
    if kind == DisclosureKind.PENALTY and disclosure.cf_gsjzq is None:
        # 公示截止期 left blank: the end of the display window its severity gives.
        disclosure.cf_gsjzq = record.display_max_until
    db.session.add(disclosure)
    db.session.flush()
    audit.record(f"credit.{kind}.create", model.__tablename__, disclosure.id,
                 after={**snapshot(disclosure), "severity": record.severity})
    return disclosure


def record_licence(row: ParsedRow, department: Organisation) -> LicenceDisclosure:
    """A licence entered on the form: the disclosure row and its credit record."""
    return _create(DisclosureKind.LICENCE, row, _check_department(department))


def record_penalty(row: ParsedRow, department: Organisation) -> PenaltyDisclosure:
    """A penalty entered on the form: the disclosure row and its credit record, whose
    display window follows the severity (RULES.md §2 "Disclosure and repair")."""
    return _create(DisclosureKind.PENALTY, row, _check_department(department))


def import_rows(kind: DisclosureKind, rows: Sequence[ParsedRow], department: Organisation,
                source: str) -> list:
    """Import checked CSV rows, all or nothing: every row must be valid and new (the view
    passes only those when the user chose to import the valid rows). One audit entry
    records the import itself; each disclosure and record is audited as it is created."""
    department = _check_department(department)
    if not rows:
        raise Conflict(_("There are no valid rows to import."))
    created = [_create(kind, row, department) for row in rows]
    audit.record(f"credit.{kind}.import", "organisation", department.id,
                 after={"source": source, "lines": [row.line for row in rows],
                        "ids": [d.id for d in created]})
    return created
