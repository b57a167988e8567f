"""Reads of the 双公示 licence and penalty disclosures (RULES.md §2) for the public pages,
the CSV export, the duplicate check of the import and the subject's credit page.

A licence is public for good. A penalty is public from its decision date until the end of
the display window stored on its credit record (set from its severity when it was
recorded), and no longer once repaired (RULES.md §2 "Disclosure and repair").
"""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, and_, or_, select, tuple_
from sqlalchemy.orm import contains_eager

from core.extensions import db
from credit.disclosure_csv import COLUMNS, DisclosureKind
from credit.models import CreditRecord, LicenceDisclosure, PenaltyDisclosure
from credit.queries.subjects import local_today

MODELS = {DisclosureKind.LICENCE: LicenceDisclosure, DisclosureKind.PENALTY: PenaltyDisclosure}
_PREFIX = {DisclosureKind.LICENCE: "xk", DisclosureKind.PENALTY: "cf"}
MAX_EXPORT_ROWS = 50_000  # one department's years of data fits; more needs a date range


def _col(kind: DisclosureKind, name: str):
    """The model column `<prefix>_<name>`, e.g. _col(PENALTY, "wsh") → cf_wsh."""
    return getattr(MODELS[kind], f"{_PREFIX[kind]}_{name}")


def penalty_displayed(today: date):
    """SQL condition: the penalty's record is inside its public-display window."""
    return and_(CreditRecord.occurred_on <= today,
                CreditRecord.display_max_until > today,
                or_(CreditRecord.repaired_on.is_(None), CreditRecord.repaired_on > today))


def is_displayed(disclosure, today: date | None = None) -> bool:
    """Licences always; a penalty while `penalty_displayed` holds."""
    if isinstance(disclosure, LicenceDisclosure):
        return True
    record, today = disclosure.record, today or local_today()
    return (record.occurred_on <= today
            and record.display_max_until is not None and today < record.display_max_until
            and (record.repaired_on is None or today < record.repaired_on))


def _base(kind: DisclosureKind, department_id: int | None, today: date) -> Select:
    """Public rows, or with `department_id` every row that department entered."""
    model = MODELS[kind]
    query = (select(model).join(model.record).options(contains_eager(model.record))
             .order_by(_col(kind, "jdrq").desc(), model.id.desc()))
    if department_id is not None:
        return query.where(CreditRecord.source_department_id == department_id)
    if kind == DisclosureKind.PENALTY:
        query = query.where(penalty_displayed(today))
    return query


def search(kind: DisclosureKind, text: str = "", department_id: int | None = None,
           today: date | None = None) -> Select:
    """By party name (part of it), USCC (part of it) or decision number (part of it)."""
    query = _base(kind, department_id, today or local_today())
    if text := text.strip():
        query = query.where(_col(kind, "xdr_mc").icontains(text, autoescape=True)
                            | _col(kind, "xdr_shxym").contains(text.upper(), autoescape=True)
                            | _col(kind, "wsh").icontains(text, autoescape=True))
    return query


def page(kind: DisclosureKind, text: str, page_number: int, per_page: int,
         department_id: int | None = None):
    return db.paginate(search(kind, text, department_id), page=page_number, per_page=per_page,
                       error_out=False, max_per_page=100)


def for_export(kind: DisclosureKind, date_from: date | None, date_to: date | None,
               department_id: int | None = None) -> list:
    """Rows for the CSV, by decision date within [date_from, date_to] (either may be open)."""
    query = _base(kind, department_id, local_today())
    if date_from is not None:
        query = query.where(_col(kind, "jdrq") >= date_from)
    if date_to is not None:
        query = query.where(_col(kind, "jdrq") <= date_to)
    return list(db.session.scalars(query.limit(MAX_EXPORT_ROWS)))


def disclosure(kind: DisclosureKind, disclosure_id: int):
    return db.session.get(MODELS[kind], disclosure_id)


def existing_keys(kind: DisclosureKind, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (USCC, 文书号) pairs are already disclosed: the same decision is never imported
    twice for the same subject."""
    wanted = list(set(keys))
    found: set[tuple[str, str]] = set()
    uscc, wsh = _col(kind, "xdr_shxym"), _col(kind, "wsh")
    for start in range(0, len(wanted), 500):  # keep the IN list of a big file modest
        chunk = wanted[start:start + 500]
        found.update((code, number) for code, number in db.session.execute(
            select(uscc, wsh).where(tuple_(uscc, wsh).in_(chunk))))
    return found


def is_duplicate(kind: DisclosureKind, uscc: str, wsh: str) -> bool:
    return bool(existing_keys(kind, [(uscc, wsh)]))


def for_subject(uscc: str, include_hidden: bool = False,
                today: date | None = None) -> tuple[list, list]:
    """(licences, penalties) of one subject for its credit page; penalties outside their
    window only with `include_hidden` (the subject itself and regulators)."""
    today = today or local_today()
    licences = db.session.scalars(
        select(LicenceDisclosure).where(LicenceDisclosure.xk_xdr_shxym == uscc)
        .order_by(LicenceDisclosure.xk_jdrq.desc(), LicenceDisclosure.id.desc()))
    penalties = (select(PenaltyDisclosure).join(PenaltyDisclosure.record)
                 .options(contains_eager(PenaltyDisclosure.record))
                 .where(PenaltyDisclosure.cf_xdr_shxym == uscc)
                 .order_by(PenaltyDisclosure.cf_jdrq.desc(), PenaltyDisclosure.id.desc()))
    if not include_hidden:
        penalties = penalties.where(penalty_displayed(today))
    return list(licences), list(db.session.scalars(penalties))


def national_values(disclosure) -> dict[str, object]:
    """The disclosure's national fields by code (and a penalty's severity), as the CSV
    export and the detail page show them."""
    kind = DisclosureKind.LICENCE if isinstance(disclosure, LicenceDisclosure) \
        else DisclosureKind.PENALTY
    values = {col.code: getattr(disclosure, col.code) for col in COLUMNS[kind]
              if col.code != "severity"}
    if kind == DisclosureKind.PENALTY:
        values["severity"] = disclosure.record.severity
    return values
