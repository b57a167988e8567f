"""Reads of the severe dishonesty list, the honour list, exits (清退) and the joint measures
catalogue with its executions (RULES.md §2), for the public pages, the regulators' pages and
the subject's credit page.

"In force" is decided by dates as well as by status, so a term that ended since the last
sweep (credit/scheduled/lists.py) already counts as ended here.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import joinedload

from core.extensions import db
from credit.models import (
    CreditSubject,
    Delisting,
    Execution,
    ExitReason,
    HonourListing,
    ListingStatus,
    Measure,
    SevereListing,
)
from credit.queries.subjects import local_today

OPEN_LISTING_STATUSES = (ListingStatus.NOTIFIED, ListingStatus.OBJECTED, ListingStatus.LISTED)
PAGE_SIZE = 30


# --- "in force" as SQL conditions -------------------------------------------------------

def severe_in_force(today: date):
    return and_(SevereListing.status == ListingStatus.LISTED,
                or_(SevereListing.listed_until.is_(None), SevereListing.listed_until > today))


def honour_in_force(today: date):
    return and_(HonourListing.revoked_on.is_(None), HonourListing.listed_on <= today,
                HonourListing.listed_until > today)


def delisting_in_force(today: date):
    return and_(Delisting.ended_on.is_(None), Delisting.started_on <= today,
                Delisting.until > today)


def subject_ids_with(condition, subject_column, subject_ids) -> set[int]:
    """Which of `subject_ids` have a row meeting `condition` (one query)."""
    if not subject_ids:
        return set()
    return set(db.session.scalars(
        select(subject_column).where(condition, subject_column.in_(subject_ids))))


# --- one subject ------------------------------------------------------------------------

def open_severe_listing(subject_id: int) -> SevereListing | None:
    """The listing under way or in force (notified, objected or listed), if any."""
    return db.session.scalar(select(SevereListing).where(
        SevereListing.subject_id == subject_id,
        SevereListing.status.in_(OPEN_LISTING_STATUSES)).order_by(SevereListing.id.desc()))


def active_honour_listing(subject_id: int, today: date | None = None) -> HonourListing | None:
    return db.session.scalar(select(HonourListing).where(
        HonourListing.subject_id == subject_id, honour_in_force(today or local_today())))


def active_delistings(subject_id: int, today: date | None = None) -> list[Delisting]:
    return list(db.session.scalars(select(Delisting).where(
        Delisting.subject_id == subject_id, delisting_in_force(today or local_today()))
        .order_by(Delisting.started_on)))


def open_delistings(subject_id: int, reason: ExitReason) -> list[Delisting]:
    """Exits for `reason` not yet marked ended, whether or not their term has passed."""
    return list(db.session.scalars(select(Delisting).where(
        Delisting.subject_id == subject_id, Delisting.reason == reason,
        Delisting.ended_on.is_(None))))


def is_delisted(uscc: str, today: date | None = None) -> bool:
    """Exit in force: the agency cannot bid and is hidden from the directory."""
    return db.session.scalar(select(Delisting.id).join(Delisting.subject).where(
        CreditSubject.uscc == uscc, delisting_in_force(today or local_today())).limit(1)) \
        is not None


def delisted_uscc_select(today: date | None = None) -> Select:
    """The USCCs with an exit in force, as a subquery for other domains' reads (market keeps
    delisted agencies out of its public lists in SQL, page by page)."""
    return (select(CreditSubject.uscc).join(Delisting, Delisting.subject_id == CreditSubject.id)
            .where(delisting_in_force(today or local_today())).correlate(None))


def delisted_usccs(today: date | None = None) -> set[str]:
    """Every USCC with an exit in force, for filtering a whole directory in one query."""
    return set(db.session.scalars(delisted_uscc_select(today)))


def executions_for(subject_id: int, limit: int = 50) -> list[Execution]:
    return list(db.session.scalars(select(Execution).where(Execution.subject_id == subject_id)
                                   .order_by(Execution.at.desc(), Execution.id.desc())
                                   .limit(limit)))


@dataclass
class SubjectLists:
    """What templates/credit/_subject_lists.html shows on a subject's credit page."""

    severe: SevereListing | None
    honour: HonourListing | None
    delistings: list[Delisting]
    executions: list[Execution]


def subject_lists(subject: CreditSubject, today: date | None = None) -> SubjectLists:
    today = today or local_today()
    return SubjectLists(open_severe_listing(subject.id),
                        active_honour_listing(subject.id, today),
                        active_delistings(subject.id, today), executions_for(subject.id))


# --- public lists -----------------------------------------------------------------------

def severe_list_page(page: int, today: date | None = None):
    query = (select(SevereListing).options(joinedload(SevereListing.subject))
             .where(severe_in_force(today or local_today()))
             .order_by(SevereListing.listed_on.desc(), SevereListing.id.desc()))
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def honour_list_page(page: int, today: date | None = None):
    query = (select(HonourListing).options(joinedload(HonourListing.subject))
             .where(honour_in_force(today or local_today()))
             .order_by(HonourListing.listed_on.desc(), HonourListing.id.desc()))
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def delisted_page(page: int, today: date | None = None):
    query = (select(Delisting).options(joinedload(Delisting.subject))
             .where(delisting_in_force(today or local_today()))
             .order_by(Delisting.started_on.desc(), Delisting.id.desc()))
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


# --- regulators -------------------------------------------------------------------------

def listing(listing_id: int) -> SevereListing | None:
    return db.session.get(SevereListing, listing_id)


def honour_listing(listing_id: int) -> HonourListing | None:
    return db.session.get(HonourListing, listing_id)


def department_listings(department_id: int) -> list[SevereListing]:
    """A department's listings, those waiting for its decision first."""
    waiting_first = (SevereListing.status != ListingStatus.OBJECTED)
    return list(db.session.scalars(
        select(SevereListing).options(joinedload(SevereListing.subject))
        .where(SevereListing.department_id == department_id)
        .order_by(waiting_first, SevereListing.notified_at.desc())))


def department_honours(department_id: int, today: date | None = None) -> list[HonourListing]:
    return list(db.session.scalars(
        select(HonourListing).options(joinedload(HonourListing.subject))
        .where(HonourListing.department_id == department_id,
               honour_in_force(today or local_today()))
        .order_by(HonourListing.listed_on.desc())))


def recent_delistings(limit: int = 50) -> list[Delisting]:
    return list(db.session.scalars(select(Delisting).options(joinedload(Delisting.subject))
                                   .order_by(Delisting.started_on.desc(), Delisting.id.desc())
                                   .limit(limit)))


# --- measures catalogue -----------------------------------------------------------------

def all_measures() -> list[Measure]:
    return list(db.session.scalars(select(Measure).order_by(Measure.is_reward, Measure.code)))


def measure(measure_id: int) -> Measure | None:
    return db.session.get(Measure, measure_id)


def measure_by_code(code: str) -> Measure | None:
    return db.session.scalar(select(Measure).where(Measure.code == code))


def active_measures() -> list[Measure]:
    return list(db.session.scalars(select(Measure).where(Measure.active.is_(True))
                                   .order_by(Measure.is_reward, Measure.code)))
