"""Reads for credit repair (信用修复, RULES.md §2 "Disclosure and repair"): what a subject may
repair today, its applications, the regulators' queue, and who may see or decide what."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from core.auth.models import Role, User
from core.db import utcnow
from core.extensions import db
from credit import rules
from credit.models import (
    Commitment,
    CreditRecord,
    CreditSubject,
    ListingStatus,
    RepairApplication,
    RepairStatus,
    SevereListing,
)
from credit.queries import subjects as subject_queries
from credit.rules import RecordKind, ScoreModel, Severity

OPEN_STATUSES = (RepairStatus.SUBMITTED,)  # the statuses the transition table moves on from
# Records that count in the subject's favour have nothing to repair, window or not.
POSITIVE_KINDS = frozenset({RecordKind.COMMENDATION, RecordKind.COMMITMENT_KEPT,
                            RecordKind.LICENCE})

DECIDING_ROLES = (Role.ORG_ADMIN, Role.STAFF)  # regulators (subject_queries.is_regulator)

local_today = subject_queries.local_today
is_regulator = subject_queries.is_regulator
is_subject_user = subject_queries.is_subject_user


def subject_of(user: User) -> CreditSubject | None:
    """The credit subject a signed-in user acts for: its organisation's USCC."""
    organisation = user.organisation if user.is_authenticated else None
    if organisation is None or not organisation.uscc:
        return None
    return subject_queries.subject_for(organisation.uscc)


# --- Eligibility ----------------------------------------------------------------------------

def _window_severity(record: CreditRecord) -> Severity | None:
    """The severity whose display window governs a negative record; None: nothing to
    repair (no window, or a record in the subject's favour)."""
    if record.kind in POSITIVE_KINDS:
        return None
    return subject_queries.display_severity(record)


def repairable_from(record: CreditRecord, model: ScoreModel | None = None) -> date | None:
    """The first day `record` may be repaired: the end of its minimum display period
    (minor penalties: the decision day itself)."""
    severity = _window_severity(record)
    if severity is None:
        return None
    return rules.display_window(severity, record.occurred_on,
                                model or subject_queries.score_model())[0]


def record_refusal(record: CreditRecord, today: date,
                   model: ScoreModel | None = None) -> str | None:
    """Why `record` cannot be repaired today, or None when it can (RULES.md §2: the minimum
    period has passed; obligations are the applicant's statement, which the regulator
    checks). A record whose display has stopped by itself is never offered."""
    severity = _window_severity(record)
    if severity is None:
        return _("This record has no public display period to end, so there is nothing to "
                 "repair.")
    if record.repaired_on is not None:
        return _("This record has already been repaired.")
    model = model or subject_queries.score_model()
    if not subject_queries.publicly_displayed(record, today, model):
        return _("This record is no longer publicly displayed: its display period has ended.")
    if not rules.repair_allowed(severity, record.occurred_on, today, obligations_met=True,
                                model=model):
        return _("This record can be repaired from %(day)s, once its minimum public display "
                 "period has passed.", day=repairable_from(record, model).isoformat())
    return None


def listing_refusal(listing: SevereListing, today: date) -> str | None:
    """Why `listing` cannot be ended early by repair today, or None when it can."""
    if listing.status != ListingStatus.LISTED:
        return _("This severe dishonesty listing is not in force.")
    if listing.earliest_removal_on is None or today < listing.earliest_removal_on:
        day = listing.earliest_removal_on.isoformat() if listing.earliest_removal_on else "—"
        return _("Early removal from the severe dishonesty list by repair is possible from "
                 "%(day)s.", day=day)
    return None


def open_application_for(record: CreditRecord | None = None,
                         listing: SevereListing | None = None) -> RepairApplication | None:
    """The undecided application for `record` or `listing`, if any (at most one is open)."""
    query = select(RepairApplication).where(RepairApplication.status.in_(OPEN_STATUSES))
    if record is not None:
        query = query.where(RepairApplication.record_id == record.id)
    else:
        query = query.where(RepairApplication.listing_id == listing.id)
    return db.session.scalars(query.limit(1)).first()


def _negative_candidates(subject: CreditSubject, today: date,
                         model: ScoreModel) -> list[CreditRecord]:
    """Negative records still inside their display window, oldest first."""
    records = db.session.scalars(
        select(CreditRecord)
        .where(CreditRecord.subject_id == subject.id, CreditRecord.repaired_on.is_(None),
               CreditRecord.kind.not_in(POSITIVE_KINDS),
               CreditRecord.display_max_until > today)
        .order_by(CreditRecord.occurred_on, CreditRecord.id))
    return [record for record in records if _window_severity(record) is not None
            and subject_queries.publicly_displayed(record, today, model)]


@dataclass(frozen=True)
class Pending:
    """A displayed record not yet repairable, or one with an open application."""

    record: CreditRecord
    repairable_from: date | None
    open_application: RepairApplication | None


def repairable_records(subject: CreditSubject, today: date) -> list[CreditRecord]:
    """Records the subject may apply to repair today (no open application yet)."""
    model = subject_queries.score_model()
    return [record for record in _negative_candidates(subject, today, model)
            if record_refusal(record, today, model) is None
            and open_application_for(record) is None]


def pending_records(subject: CreditSubject, today: date) -> list[Pending]:
    """Displayed negative records the subject cannot apply for today, and why not."""
    model, pending = subject_queries.score_model(), []
    for record in _negative_candidates(subject, today, model):
        application = open_application_for(record)
        if application is not None or record_refusal(record, today, model) is not None:
            pending.append(Pending(record, repairable_from(record, model), application))
    return pending


def repairable_listings(subject: CreditSubject, today: date) -> list[SevereListing]:
    listings = db.session.scalars(
        select(SevereListing)
        .where(SevereListing.subject_id == subject.id,
               SevereListing.status == ListingStatus.LISTED)
        .order_by(SevereListing.id))
    return [listing for listing in listings
            if listing_refusal(listing, today) is None and open_application_for(
                listing=listing) is None]


# --- Applications ---------------------------------------------------------------------------

def applications_of(subject: CreditSubject) -> list[RepairApplication]:
    return list(db.session.scalars(
        select(RepairApplication).where(RepairApplication.subject_id == subject.id)
        .order_by(RepairApplication.submitted_at.desc(), RepairApplication.id.desc())))


def listing_of(application: RepairApplication) -> SevereListing | None:
    return db.session.get(SevereListing, application.listing_id) \
        if application.listing_id else None


def commitment_of(application: RepairApplication) -> Commitment | None:
    return db.session.get(Commitment, application.commitment_id) \
        if application.commitment_id else None


def deciding_department_id(application: RepairApplication) -> int | None:
    """The department that made the record or the listing decides its repair."""
    listing = listing_of(application)
    if listing is not None:
        return listing.department_id
    return application.record.source_department_id if application.record else None


def may_decide(user: User, application: RepairApplication) -> bool:
    """Regulators of the deciding department; any regulator when the record names no
    department (e.g. one the marketplace wrote)."""
    if not is_regulator(user):
        return False
    department_id = deciding_department_id(application)
    return department_id is None or department_id == user.organisation_id


def may_view(user: User, application: RepairApplication) -> bool:
    """The subject's own users and regulators; evidence is not public."""
    return is_regulator(user) or is_subject_user(user, application.subject)


def is_overdue(application: RepairApplication, now: datetime | None = None) -> bool:
    return application.status in OPEN_STATUSES and application.decide_by < (now or utcnow())


def queue_query(user: User) -> Select:
    """Open applications `user`'s department decides (or no department names), oldest
    first."""
    department_id = user.organisation_id
    record_department = select(CreditRecord.source_department_id).where(
        CreditRecord.id == RepairApplication.record_id).scalar_subquery()
    listing_department = select(SevereListing.department_id).where(
        SevereListing.id == RepairApplication.listing_id).scalar_subquery()
    deciding = func.coalesce(listing_department, record_department)
    return (select(RepairApplication)
            .where(RepairApplication.status.in_(OPEN_STATUSES),
                   or_(deciding.is_(None), deciding == department_id))
            .order_by(RepairApplication.submitted_at, RepairApplication.id))
