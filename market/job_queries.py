"""Reads about jobs and bids for pages, other engineers' modules and the API (RULES.md §1
"Job and its life"). Shared read module for the job lifecycle: append, don't rewrite.

Sealed bids (ARCHITECTURE.md "Conventions"): `bids_opened` and `visible_price` are the ONE
place that decides whether a viewer may read a bid's price or proposal. Every page, export
and dashboard asks them; nothing else reads `Bid.price` for display.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from core import calendar
from core.audit import AuditEntry
from core.auth.models import Organisation, OrgKind, Role
from core.errors import NotFound
from core.extensions import db
from core.randomness import Draw
from credit.models import Effect
from credit.queries import lists as credit_lists
from credit.queries import restrictions as credit_restrictions
from credit.queries.restrictions import Restriction
from credit.queries.subjects import year_start_utc
from market import rules
from market.models import (
    Agency,
    AgencyService,
    AgencyStatus,
    Bid,
    BidStatus,
    Complaint,
    ComplaintStatus,
    Contract,
    ContractStatus,
    Deliverable,
    Evaluation,
    Extension,
    ExtensionStatus,
    Job,
    JobAttachment,
    JobAvoidance,
    JobStatus,
    Objection,
    ObjectionStatus,
    Owner,
    QualificationMode,
    QualificationStatus,
    SelectionMethod,
    ServiceItem,
)
from market.rules import LOCAL_TZ, local_today


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# --- Sealed bids: the one place that decides who reads a price ------------------------------

def deadline_passed(job: Job, now: datetime | None = None) -> bool:
    return job.deadline is not None and _now(now) >= job.deadline


def bidding_open(job: Job, now: datetime | None = None) -> bool:
    """Published and before the deadline: bids may be placed, replaced or withdrawn."""
    return job.status == JobStatus.PUBLISHED and job.deadline is not None \
        and _now(now) < job.deadline


def bids_opened(job: Job, now: datetime | None = None) -> bool:
    """Bids are public from the deadline on (RULES.md §1: sealed until the deadline). A job
    cancelled before its deadline never opens its bids (cancelling needs bidding open)."""
    return job.status not in (JobStatus.DRAFT, JobStatus.CANCELLED) and deadline_passed(job, now)


def is_bidder(bid: Bid, viewer) -> bool:
    """The viewer is a user of the agency that placed the bid."""
    return bool(viewer is not None and getattr(viewer, "is_authenticated", False)
                and viewer.organisation_id is not None
                and viewer.organisation_id == bid.agency.organisation_id)


def may_read_bid(bid: Bid, viewer, now: datetime | None = None) -> bool:
    """Before the deadline only the agency itself reads its bid: not the owner, other
    agencies, regulators or the platform admin. From the deadline on, everyone."""
    return is_bidder(bid, viewer) or bids_opened(bid.job, now)


def visible_price(bid: Bid, viewer, now: datetime | None = None) -> Decimal | None:
    """The bid's price if `viewer` may read it now, else None (sealed)."""
    return bid.price if may_read_bid(bid, viewer, now) else None


def visible_proposal(bid: Bid, viewer, now: datetime | None = None) -> str | None:
    return bid.proposal if may_read_bid(bid, viewer, now) else None


def bid_count(job: Job, now: datetime | None = None) -> int | None:
    """Valid bids (sign-ups) once the deadline has passed (`bid_valid`); None before it.
    Even the number stays hidden while bidding is open: telling anyone how many competitors
    there are invites collusion (招标投标法 第二十二条 forbids disclosing it)."""
    if not bids_opened(job, now):
        return None
    return db.session.scalar(select(func.count()).select_from(Bid).where(
        Bid.job_id == job.id, Bid.status == BidStatus.ACTIVE,
        Bid.terms_version >= job.terms_version)) or 0


def opened_bids(job: Job, now: datetime | None = None) -> list[Bid]:
    """Every bid not withdrawn, with its agency, for the result notice (ranked first, then
    in order of arrival); empty while the bids are sealed."""
    if not bids_opened(job, now):
        return []
    return list(db.session.scalars(
        select(Bid).where(Bid.job_id == job.id, Bid.status != BidStatus.WITHDRAWN)
        .order_by(Bid.rank.is_(None), Bid.rank, Bid.submitted_at, Bid.id)))


def bid_confirmed(bid: Bid) -> bool:
    """The bid stands for the job's current terms: placed or confirmed again since the
    owner last edited them (RULES.md §1)."""
    return bid.terms_version >= bid.job.terms_version


def bid_valid(bid: Bid) -> bool:
    """What selection counts: active and confirmed for the current terms."""
    return bid.status == BidStatus.ACTIVE and bid_confirmed(bid)


def bid_of(job: Job, agency: Agency) -> Bid | None:
    return db.session.scalar(select(Bid).where(Bid.job_id == job.id,
                                               Bid.agency_id == agency.id))


def bid(bid_id: int) -> Bid | None:
    return db.session.get(Bid, bid_id)


# --- Eligibility (RULES.md §1 "Eligibility to bid", §2 joint measures) ------------------------

def credit_bar(job: Job, agency: Agency, today: date | None = None) -> Restriction | None:
    """The joint punishment measure barring this agency from bidding on this job (public
    money or not), if one blocks it automatically."""
    restriction = credit_restrictions.has_effect(agency.uscc, Effect.BAR_BIDDING,
                                                 public_funds=job.is_public_money, today=today)
    return restriction if restriction is not None and restriction.blocks else None


def credit_flag(job: Job, agency: Agency, today: date | None = None) -> Restriction | None:
    """A bar-bidding measure that only flags the bid for review (not a refusal)."""
    restriction = credit_restrictions.has_effect(agency.uscc, Effect.BAR_BIDDING,
                                                 public_funds=job.is_public_money, today=today)
    return restriction if restriction is not None and not restriction.blocks else None


def bar_reason(restriction: Restriction) -> str:
    return _("Bidding is barred by the joint punishment measure %(code)s: %(content)s",
             code=restriction.code, content=restriction.content)


def _holds(agency: Agency, today: date) -> set[int]:
    """Types of the qualifications the agency holds unexpired today."""
    return {q.type_id for q in agency.qualifications
            if q.status == QualificationStatus.VALID and q.expires_on >= today}


def qualification_reason(job: Job, agency: Agency, today: date) -> str | None:
    required = job.required_qualifications
    if not required:
        return None
    held = _holds(agency, today)
    missing = [q for q in required if q.id not in held]
    if job.qualification_mode == QualificationMode.ALL and missing:
        return _("The job requires all of these qualifications, unexpired; missing: %(names)s",
                 names="、".join(q.name for q in missing))
    if job.qualification_mode == QualificationMode.ANY and len(missing) == len(required):
        return _("The job requires one of these qualifications, unexpired: %(names)s",
                 names="、".join(q.name for q in required))
    return None


def _avoidance(job: Job, agency: Agency) -> JobAvoidance | None:
    return next((a for a in job.avoidances if a.agency_id == agency.id), None)


def eligibility(job: Job, agency: Agency, today: date | None = None,
                with_credit: bool = True) -> list[str]:
    """Why `agency` may not bid on `job` — empty when it may. Checks the agency, not the
    job's state (see `bidding_open`). `with_credit=False` skips the credit question, for
    bulk lists that ask credit separately."""
    today = today or local_today()
    reasons = []
    if agency.status != AgencyStatus.ACTIVE or credit_lists.is_delisted(agency.uscc, today):
        reasons.append(_("The agency is not active on the marketplace (delisted agencies "
                         "cannot bid)."))
    if job.owner.organisation_id == agency.organisation_id or \
            (agency.uscc and job.owner.organisation.uscc == agency.uscc):
        reasons.append(_("An agency cannot bid on its own organisation's job."))
    if job.method == SelectionMethod.DIRECT and job.direct_agency_id != agency.id:
        reasons.append(_("This job is a direct selection of another agency."))
    if not any(s.service_item_id == job.service_item_id for s in agency.services):
        reasons.append(_("The agency does not offer the service item %(item)s.",
                         item=job.service_item.name))
    if reason := qualification_reason(job, agency, today):
        reasons.append(reason)
    if avoided := _avoidance(job, agency):
        reasons.append(_("The owner has excluded this agency (avoidance): %(reason)s",
                         reason=avoided.reason))
    if with_credit and (restriction := credit_bar(job, agency, today)):
        reasons.append(bar_reason(restriction))
    return reasons


def candidate_agencies(job: Job) -> list[Agency]:
    """Active agencies offering the job's item and not avoided (for direct selection only
    the named one): whom to tell about a new job, before the per-agency checks."""
    query = (select(Agency).join(AgencyService, AgencyService.agency_id == Agency.id)
             .where(AgencyService.service_item_id == job.service_item_id,
                    Agency.status == AgencyStatus.ACTIVE,
                    Agency.id.not_in(select(JobAvoidance.agency_id)
                                     .where(JobAvoidance.job_id == job.id)))
             .options(selectinload(Agency.services), selectinload(Agency.qualifications))
             .order_by(Agency.id))
    if job.method == SelectionMethod.DIRECT:
        query = query.where(Agency.id == job.direct_agency_id)
    return list(db.session.scalars(query))


def eligible_agencies(job: Job, today: date | None = None) -> list[Agency]:
    return [agency for agency in candidate_agencies(job)
            if not eligibility(job, agency, today)]


# --- Public job notices --------------------------------------------------------------------

PUBLIC_STATUSES = tuple(s for s in JobStatus if s != JobStatus.DRAFT)


@dataclass
class JobFilters:
    q: str = ""
    service_item_id: int | None = None
    region_code: str = ""
    status: str = ""  # a JobStatus value, or "open" (published, deadline ahead)
    method: str = ""
    funding: str = ""


def _public():
    """Jobs the public sees: ever published (drafts and cancelled drafts never)."""
    return Job.published_at.is_not(None)


def public_jobs_query(filters: JobFilters, now: datetime | None = None) -> Select:
    query = (select(Job).join(Job.owner).join(Owner.organisation).where(_public())
             .order_by(Job.published_at.desc(), Job.id.desc()))
    if q := filters.q.strip():
        query = query.where(Job.title.icontains(q, autoescape=True)
                            | Job.number.icontains(q, autoescape=True)
                            | Organisation.name.icontains(q, autoescape=True))
    if filters.service_item_id:
        query = query.where(Job.service_item_id == filters.service_item_id)
    if filters.region_code:
        query = query.where(Job.region_code == filters.region_code)
    if filters.status == "open":
        query = query.where(Job.status == JobStatus.PUBLISHED, Job.deadline > _now(now))
    elif filters.status in {s.value for s in PUBLIC_STATUSES}:
        query = query.where(Job.status == filters.status)
    if filters.method in {m.value for m in SelectionMethod}:
        query = query.where(Job.method == filters.method)
    if filters.funding in {"public", "private", "mixed"}:
        query = query.where(Job.funding == filters.funding)
    return query


def public_jobs_page(filters: JobFilters, page: int, per_page: int = 20):
    return db.paginate(public_jobs_query(filters), page=page, per_page=per_page,
                       error_out=False, max_per_page=100)


def public_job(number: str) -> Job:
    job = db.session.scalar(select(Job).where(Job.number == number, _public()))
    if job is None:
        raise NotFound(_("There is no published job with the number %(number)s.",
                         number=number))
    return job


def job(job_id: int) -> Job | None:
    return db.session.get(Job, job_id)


def job_by_number(number: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.number == number))


def attachments(job: Job) -> list[JobAttachment]:
    return list(db.session.scalars(select(JobAttachment).where(JobAttachment.job_id == job.id)
                                   .order_by(JobAttachment.id)))


def attachment(attachment_id: int) -> JobAttachment | None:
    return db.session.get(JobAttachment, attachment_id)


def direct_agency(job: Job) -> Agency | None:
    return db.session.get(Agency, job.direct_agency_id) if job.direct_agency_id else None


def draw_of(job: Job) -> Draw | None:
    return db.session.get(Draw, job.draw_id) if job.draw_id else None


def previous_round(job: Job) -> Job | None:
    return db.session.get(Job, job.previous_job_id) if job.previous_job_id else None


def next_round(job: Job) -> Job | None:
    """The new round republished from this (failed) job, drafts included."""
    return db.session.scalar(select(Job).where(Job.previous_job_id == job.id)
                             .order_by(Job.id.desc()))


@dataclass(frozen=True)
class TimeLeft:
    working_days: int  # whole working days after today up to the deadline day
    hours: int  # hours left today (the deadline is the end of its day)


def time_left(job: Job, now: datetime | None = None) -> TimeLeft | None:
    """Time left to bid, in working days and hours (Asia/Shanghai); None once closed."""
    now = _now(now)
    if job.deadline is None or now >= job.deadline:
        return None
    local_now, local_deadline = now.astimezone(LOCAL_TZ), job.deadline.astimezone(LOCAL_TZ)
    if local_now.date() == local_deadline.date():
        return TimeLeft(0, int((job.deadline - now).total_seconds() // 3600))
    end_of_today = datetime.combine(local_now.date(), calendar.END_OF_DAY, LOCAL_TZ)
    return TimeLeft(calendar.working_days_between(local_now.date(), local_deadline.date()),
                    int((end_of_today - local_now).total_seconds() // 3600))


# --- Owner pages ---------------------------------------------------------------------------

def owner_of(user) -> Owner | None:
    if not user.is_authenticated or user.org_kind != OrgKind.OWNER:
        return None
    return db.session.scalar(select(Owner).where(Owner.organisation_id == user.organisation_id))


def is_owner_user(job: Job, user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and user.organisation_id == job.owner.organisation_id)


def owner_jobs(owner: Owner, status: str = "") -> list[Job]:
    query = select(Job).where(Job.owner_id == owner.id).order_by(Job.created_at.desc(),
                                                                 Job.id.desc())
    if status in {s.value for s in JobStatus}:
        query = query.where(Job.status == status)
    return list(db.session.scalars(query))


def owner_status_counts(owner: Owner) -> dict[str, int]:
    rows = db.session.execute(select(Job.status, func.count()).where(Job.owner_id == owner.id)
                              .group_by(Job.status))
    counts = dict.fromkeys((s.value for s in JobStatus), 0)
    counts.update((str(status), n) for status, n in rows)
    return counts


# --- Agency pages --------------------------------------------------------------------------

def agency_of(user) -> Agency | None:
    if not user.is_authenticated or user.org_kind != OrgKind.AGENCY:
        return None
    return db.session.scalar(select(Agency).where(Agency.organisation_id == user.organisation_id))


def open_jobs_for(agency: Agency, now: datetime | None = None) -> list[tuple[Job, list[str]]]:
    """Open jobs for the agency's service items, soonest deadline first, each with the
    reasons it may not bid (empty: eligible)."""
    items = [s.service_item_id for s in agency.services]
    jobs = list(db.session.scalars(
        select(Job).where(Job.status == JobStatus.PUBLISHED, Job.deadline > _now(now),
                          Job.service_item_id.in_(items))
        .order_by(Job.deadline, Job.id)))
    return [(job, eligibility(job, agency)) for job in jobs]


def agency_bids(agency: Agency) -> list[Bid]:
    return list(db.session.scalars(
        select(Bid).join(Bid.job).where(Bid.agency_id == agency.id)
        .order_by(Job.deadline.desc(), Bid.id.desc())))


def bids_needing_confirmation(agency: Agency) -> list[Bid]:
    """Active bids on open jobs whose terms changed since the agency confirmed them."""
    return [b for b in agency_bids(agency)
            if b.status == BidStatus.ACTIVE and bidding_open(b.job) and not bid_confirmed(b)]


def may_see_proposal_file(bid: Bid, viewer, now: datetime | None = None) -> bool:
    """The agency itself; after the deadline the job's owner, departments and admins.
    Proposals are working documents, not part of the public notice."""
    if is_bidder(bid, viewer):
        return True
    if not bids_opened(bid.job, now) or not getattr(viewer, "is_authenticated", False):
        return False
    return (is_owner_user(bid.job, viewer) or viewer.role == Role.PLATFORM_ADMIN
            or viewer.org_kind == OrgKind.DEPARTMENT)


# --- Contract, delivery, evaluation, complaints, dashboards (J4) ---------------------------

# Who a signed-in user is on a job after the award: the owner, the selected agency, or the
# competent regulator (org admin or staff of the service item's department).
OWNER_SIDE, AGENCY_SIDE, REGULATOR_SIDE = "owner", "agency", "regulator"
AFTER_AWARD = (JobStatus.AWARDED, JobStatus.CONTRACTED, JobStatus.IN_SERVICE,
               JobStatus.DELIVERED, JobStatus.ACCEPTED, JobStatus.EVALUATED)
CENTS = Decimal("0.01")
OWNER_CRITERIA = ("quality", "timeliness", "attitude", "fees", "conduct")
REGULATOR_CRITERIA = ("regulator_quality", "regulator_compliance")


def winner_agency(job: Job) -> Agency | None:
    winner = db.session.get(Bid, job.winner_bid_id) if job.winner_bid_id else None
    return winner.agency if winner else None


def job_side(job: Job, user) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) \
            or user.organisation_id is None:
        return None
    if user.organisation_id == job.owner.organisation_id:
        return OWNER_SIDE
    winner = winner_agency(job)
    if winner is not None and user.organisation_id == winner.organisation_id:
        return AGENCY_SIDE
    if user.org_kind == OrgKind.DEPARTMENT and user.role in (Role.ORG_ADMIN, Role.STAFF) \
            and user.organisation_id == job.service_item.department_id:
        return REGULATOR_SIDE
    return None


def contract_for(job: Job) -> Contract | None:
    return db.session.scalar(select(Contract).where(Contract.job_id == job.id))


def extensions_of(contract: Contract | None) -> list[Extension]:
    if contract is None:
        return []
    return list(db.session.scalars(select(Extension).where(Extension.contract_id == contract.id)
                                   .order_by(Extension.id)))


def extension(extension_id: int) -> Extension | None:
    return db.session.get(Extension, extension_id)


def deliverables_of(job: Job) -> list[Deliverable]:
    return list(db.session.scalars(select(Deliverable).where(Deliverable.job_id == job.id)
                                   .order_by(Deliverable.id)))


def deliverable(deliverable_id: int) -> Deliverable | None:
    return db.session.get(Deliverable, deliverable_id)


def evaluation_for(job: Job) -> Evaluation | None:
    return db.session.scalar(select(Evaluation).where(Evaluation.job_id == job.id))


@dataclass(frozen=True)
class PublicComment:
    job_number: str
    rated_at: datetime
    rating: Decimal
    comment: str


@dataclass(frozen=True)
class AgencyRatings:
    """The public evaluation summary of an agency (RULES.md §1 "Ratings are public")."""

    count: int  # evaluations the owner rated
    averages: dict[str, Decimal | None]  # per owner criterion, and "overall"
    regulator_count: int
    regulator_averages: dict[str, Decimal | None]  # "quality", "compliance"
    comments: list[PublicComment]


def _cents(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENTS)


def _mean_of(evaluation: Evaluation, names) -> Decimal:
    values = [getattr(evaluation, name) for name in names]
    return (Decimal(sum(values)) / len(values)).quantize(CENTS)


def agency_ratings(agency_id: int, recent: int = 5) -> AgencyRatings:
    """Averages per criterion, counts and the most recent owner comments."""
    rated = Evaluation.owner_rated_at.is_not(None)
    columns = [getattr(Evaluation, name) for name in OWNER_CRITERIA]
    row = db.session.execute(select(func.count(), *(func.avg(c) for c in columns))
                             .where(Evaluation.agency_id == agency_id, rated)).one()
    averages = {name: _cents(value) for name, value in zip(OWNER_CRITERIA, row[1:],
                                                            strict=True)}
    known = [value for value in averages.values() if value is not None]
    averages["overall"] = _cents(sum(known) / len(known)) if known else None
    regulator = db.session.execute(
        select(func.count(), func.avg(Evaluation.regulator_quality),
               func.avg(Evaluation.regulator_compliance))
        .where(Evaluation.agency_id == agency_id,
               Evaluation.regulator_rated_at.is_not(None))).one()
    latest = db.session.scalars(
        select(Evaluation).where(Evaluation.agency_id == agency_id, rated,
                                 Evaluation.comment.is_not(None))
        .order_by(Evaluation.owner_rated_at.desc()).limit(recent))
    comments = [PublicComment(e.job.number, e.owner_rated_at, _mean_of(e, OWNER_CRITERIA),
                              e.comment) for e in latest]
    return AgencyRatings(row[0], averages, regulator[0],
                         {"quality": _cents(regulator[1]), "compliance": _cents(regulator[2])},
                         comments)


def complaint(complaint_id: int) -> Complaint | None:
    return db.session.get(Complaint, complaint_id)


def complaints(status: str = "", limit: int = 200) -> list[Complaint]:
    """For regulators: newest first; `status` one of ComplaintStatus or all."""
    query = select(Complaint).order_by(Complaint.submitted_at.desc(), Complaint.id.desc())
    if status in {s.value for s in ComplaintStatus}:
        query = query.where(Complaint.status == status)
    return list(db.session.scalars(query.limit(limit)))


def agency_complaints(agency: Agency, limit: int = 50) -> list[Complaint]:
    """Complaints about the agency, for its own dashboard (who complained is not shown)."""
    return list(db.session.scalars(
        select(Complaint).where(Complaint.agency_id == agency.id)
        .order_by(Complaint.submitted_at.desc(), Complaint.id.desc()).limit(limit)))


def complaint_department(complaint: Complaint) -> Organisation | None:
    return db.session.get(Organisation, complaint.department_id) \
        if complaint.department_id else None


# Dashboards ------------------------------------------------------------------------------

@dataclass(frozen=True)
class NextAction:
    label: str
    endpoint: str  # a market endpoint, called with `values`
    values: dict


def _action(label: str, endpoint: str, **values) -> NextAction:
    return NextAction(label, endpoint, values)


def pending_extension(contract: Contract | None) -> Extension | None:
    if contract is None:
        return None
    return db.session.scalar(select(Extension).where(
        Extension.contract_id == contract.id, Extension.status == ExtensionStatus.REQUESTED))


def _contract_waits_for(job: Job, organisation_id: int) -> bool:
    """An awarded job's contract needs `organisation_id`: not filed yet, or filed by the
    other side and waiting for its confirmation."""
    contract = contract_for(job)
    return contract is None or (contract.status == ContractStatus.UPLOADED
                                and contract.uploaded_by_org_id != organisation_id)


def _raised_objection(job: Job) -> Objection | None:
    """An objection waiting for the owner's answer."""
    return db.session.scalar(select(Objection).where(
        Objection.job_id == job.id, Objection.status == ObjectionStatus.RAISED)
        .order_by(Objection.id).limit(1))


def owner_next_action(job: Job) -> NextAction | None:
    """What the owner has to do next on the job, if anything."""
    contract_page = {"endpoint": "market.contract_page", "job_id": job.id}
    match job.status:
        case JobStatus.DRAFT:
            return _action(_("Complete and publish"), "market.manage_job", job_id=job.id)
        case JobStatus.CLOSED if job.method == SelectionMethod.PROPOSAL:
            return _action(_("Score the proposals"), "market.selection_scores", job_id=job.id)
        case JobStatus.CLOSED if job.method == SelectionMethod.CREDIT_BEST:
            return _action(_("Pick the winner"), "market.selection_pick", job_id=job.id)
        case JobStatus.PUBLICITY if (raised := _raised_objection(job)) is not None:
            return _action(_("Answer the objection"), "market.objection_detail",
                           objection_id=raised.id)
        case JobStatus.AWARDED if _contract_waits_for(job, job.owner.organisation_id):
            return _action(_("File or confirm the contract"), **contract_page)
        case JobStatus.IN_SERVICE if pending_extension(contract_for(job)):
            return _action(_("Decide on the extension request"), **contract_page)
        case JobStatus.DELIVERED:
            return _action(_("Accept or return the deliverables"), **contract_page)
        case JobStatus.ACCEPTED:
            return _action(_("Rate the agency"), "market.evaluation_page", job_id=job.id)
    return None


def owner_dashboard(owner: Owner) -> list[tuple[JobStatus, list[tuple[Job, NextAction | None]]]]:
    """The owner's jobs grouped by status (in life-cycle order), each with its next action."""
    jobs = owner_jobs(owner)
    groups = []
    for status in JobStatus:
        rows = [(job, owner_next_action(job)) for job in jobs if job.status == status]
        if rows:
            groups.append((status, rows))
    return groups


@dataclass(frozen=True)
class AgencyWork:
    """A job the agency won, with what is due next."""

    job: Job
    contract: Contract | None
    action: NextAction | None
    due: date | datetime | None


def _agency_work(job: Job, agency: Agency) -> AgencyWork:
    contract = contract_for(job)
    contract_page = {"endpoint": "market.contract_page", "job_id": job.id}
    action, due = None, None
    if job.status == JobStatus.AWARDED:
        due = job.contract_due_at
        if _contract_waits_for(job, agency.organisation_id):
            action = _action(_("File or confirm the contract"), **contract_page)
    elif job.status == JobStatus.IN_SERVICE:
        due = contract.service_due_on if contract else None
        action = _action(_("Upload the deliverables"), **contract_page)
    elif job.status == JobStatus.DELIVERED:
        action = None  # waiting for the owner's acceptance
    return AgencyWork(job, contract, action, due)


def agency_dashboard(agency: Agency) -> list[AgencyWork]:
    """Jobs the agency won, from the award on, newest first."""
    jobs = db.session.scalars(
        select(Job).join(Bid, Bid.id == Job.winner_bid_id)
        .where(Bid.agency_id == agency.id, Job.status.in_(AFTER_AWARD))
        .order_by(Job.awarded_at.desc(), Job.id.desc())).all()
    return [_agency_work(job, agency) for job in jobs]


@dataclass(frozen=True)
class RegulatorQueue:
    objections: list[Objection]  # raised or answered, on the department's items
    complaints: list[Complaint]  # submitted, not ruled yet
    evaluations: list[Job]  # accepted jobs of its items without the department's rating


def regulator_queue(department_id: int) -> RegulatorQueue:
    item_ids = select(ServiceItem.id).where(ServiceItem.department_id == department_id)
    objections = db.session.scalars(
        select(Objection).join(Job, Job.id == Objection.job_id)
        .where(Objection.status.in_((ObjectionStatus.RAISED, ObjectionStatus.ANSWERED)),
               Job.service_item_id.in_(item_ids))
        .order_by(Objection.raised_at, Objection.id)).all()
    to_rate = db.session.scalars(
        select(Job).outerjoin(Evaluation, Evaluation.job_id == Job.id)
        .where(Job.service_item_id.in_(item_ids),
               Job.status.in_((JobStatus.ACCEPTED, JobStatus.EVALUATED)),
               Evaluation.regulator_rated_at.is_(None))
        .order_by(Job.id)).all()
    return RegulatorQueue(list(objections), complaints(ComplaintStatus.SUBMITTED.value),
                          list(to_rate))


# --- Selection, publicity and objections (J3: market.operations.selection, objections) --------

SELECT_ACTION = "job.select"  # audited at every selection, first or again; numbers the notices
RESULT_STATUSES = (JobStatus.PUBLICITY, *AFTER_AWARD)  # a winner's result is public
OPEN_OBJECTIONS = (ObjectionStatus.RAISED, ObjectionStatus.ANSWERED)


def selection_inputs(job: Job, bids: list[Bid]) -> rules.SelectionInputs:
    """What the pure selection needs: the bids, and once made, the job's draw (its order
    over every valid bid and its seed)."""
    draw = draw_of(job)
    made = draw is not None and draw.drawn_at is not None
    named = direct_agency(job)
    return rules.SelectionInputs(
        bids=[rules.BidView(key=bid.agency.uscc, price=bid.price, credit_score=bid.credit_score,
                            technical_score=bid.technical_score, submitted_at=bid.submitted_at)
              for bid in bids],
        draw_order=draw.result if made else None, seed=draw.seed if made else None,
        named_key=named.uscc if named else None, big_list_size=job.big_list_size,
        small_list_size=job.small_list_size, weights=job.weights)


def valid_bids(job: Job) -> list[Bid]:
    """After the close: the bids still in the running (active)."""
    return list(db.session.scalars(select(Bid).where(Bid.job_id == job.id,
                                                    Bid.status == BidStatus.ACTIVE)
                                   .order_by(Bid.id)))


def credit_best_lists(job: Job) -> rules.SelectionOutcome | None:
    """The big and small lists of a closed credit-best job, recomputed from the draw."""
    if job.method != SelectionMethod.CREDIT_BEST or job.status != JobStatus.CLOSED:
        return None
    bids = valid_bids(job)
    return rules.select(job.method, selection_inputs(job, bids)) if bids else None


def has_result(job: Job) -> bool:
    return job.status in RESULT_STATUSES and job.winner_bid_id is not None


def winner_bid(job: Job) -> Bid | None:
    return db.session.get(Bid, job.winner_bid_id) if job.winner_bid_id else None


def selection_entry(job: Job) -> AuditEntry | None:
    """The audit entry of the job's current selection."""
    return db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == SELECT_ACTION,
                                 AuditEntry.entity_type == "job",
                                 AuditEntry.entity_id == str(job.id))
        .order_by(AuditEntry.id.desc()).limit(1))


def notice_sequence(job: Job) -> tuple[int, int] | None:
    """(year, n): the job's current selection is the n-th made in that (local) year. Both
    notices of one result carry it; a new selection after an exclusion gets a new one."""
    entry = selection_entry(job)
    if entry is None:
        return None
    year = entry.at.astimezone(LOCAL_TZ).year
    n = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == SELECT_ACTION, AuditEntry.at >= year_start_utc(year),
        AuditEntry.id <= entry.id))
    return year, n


def objection(objection_id: int) -> Objection | None:
    return db.session.get(Objection, objection_id)


def job_objections(job: Job) -> list[Objection]:
    return list(db.session.scalars(select(Objection).where(Objection.job_id == job.id)
                                   .order_by(Objection.raised_at, Objection.id)))


def has_open_objection(job: Job) -> bool:
    return db.session.scalar(select(func.count()).select_from(Objection).where(
        Objection.job_id == job.id, Objection.status.in_(OPEN_OBJECTIONS))) > 0


def objections_for(user, limit: int = 200) -> list[Objection]:
    """The objections a user deals with: its agency's, on its owner's jobs, or on its
    department's service items (regulators). Newest first."""
    query = select(Objection).join(Job, Job.id == Objection.job_id) \
        .order_by(Objection.raised_at.desc(), Objection.id.desc()).limit(limit)
    if user.org_kind == OrgKind.AGENCY:
        query = query.join(Bid, Bid.id == Objection.bid_id) \
            .join(Agency, Agency.id == Bid.agency_id) \
            .where(Agency.organisation_id == user.organisation_id)
    elif user.org_kind == OrgKind.OWNER:
        query = query.join(Owner, Owner.id == Job.owner_id) \
            .where(Owner.organisation_id == user.organisation_id)
    elif user.org_kind == OrgKind.DEPARTMENT:
        query = query.join(ServiceItem, ServiceItem.id == Job.service_item_id) \
            .where(ServiceItem.department_id == user.organisation_id)
    else:
        return []
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class ResultRow:
    bid: Bid
    price: Decimal | None  # None while sealed (or a sign-up without a price)
    is_winner: bool


@dataclass(frozen=True)
class SelectionResult:
    """The result section of the public job page (中选公告)."""

    opened: bool  # the deadline has passed: every bid is public
    rows: list[ResultRow]
    winner: Bid | None  # while the result stands (publicity and after)
    draw: Draw | None  # the job's draw, once made
    objections: list[Objection]


def selection_result(job: Job, viewer, now: datetime | None = None) -> SelectionResult:
    bids = opened_bids(job, now)
    winner = winner_bid(job) if has_result(job) else None
    draw = draw_of(job)
    return SelectionResult(
        opened=bids_opened(job, now),
        rows=[ResultRow(bid, visible_price(bid, viewer, now),
                        winner is not None and bid.id == winner.id) for bid in bids],
        winner=winner, draw=draw if draw is not None and draw.drawn_at else None,
        objections=job_objections(job))
