"""Posting jobs (采购公告): drafts, publishing, editing a published job's terms, cancelling,
and republishing a failed job as a new round (RULES.md §1 "Job and its life", "Selection
methods").

Each operation checks the job transition (`market.rules.check_job_transition`), changes
rows, writes one audit record and flushes; the view commits (ARCHITECTURE.md). Job audit
entries never carry anything about bids: bids are sealed until the deadline.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core import audit, calendar, randomness, settings
from core.errors import Conflict
from core.extensions import db
from core.notifications import notify
from core.uploads import save_upload
from market import job_queries, queries, rules
from market.models import (
    Agency,
    Bid,
    BidStatus,
    Funding,
    Job,
    JobAttachment,
    JobAvoidance,
    JobStatus,
    Owner,
    QualificationMode,
    SelectionMethod,
)
from market.operations.agencies import FieldConflict

MIN_BIDDING_DAYS = "market.min_bidding_working_days"
DEFAULT_MIN_BIDDING_DAYS = 2  # RULES.md §1: bidding stays open at least 2 working days
NUMBER_PREFIX = "ZJ"
DRAW_PURPOSE = "job.selection"


def _positive_int(value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("a whole number of at least 1")


def declare_settings() -> None:
    settings.declare(MIN_BIDDING_DAYS, DEFAULT_MIN_BIDDING_DAYS,
                     _l("Minimum bidding period of a job (working days)"), _positive_int)


def min_bidding_days() -> int:
    return int(settings.get(MIN_BIDDING_DAYS, DEFAULT_MIN_BIDDING_DAYS))


def earliest_deadline(now: datetime) -> datetime:
    """Bidding may close no earlier than the end of the n-th working day after `now`."""
    return calendar.deadline(now, min_bidding_days())


def deadline_at(day: date) -> datetime:
    """Bidding closes at the end (23:59:59 Beijing time) of the chosen day."""
    return datetime.combine(day, calendar.END_OF_DAY, rules.LOCAL_TZ).astimezone(UTC)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def job_link(job: Job) -> str:
    # Sweepers run without a request; the public path is the same there.
    if has_request_context():
        return url_for("market.job_detail", number=job.number)
    return f"/jobs/{job.number}"


# --- Input --------------------------------------------------------------------------------

@dataclass
class JobTerms:
    """Everything an owner fills in (RULES.md §1 "Fields"); the form builds it."""

    service_item_id: int
    region_code: str
    title: str
    scope: str
    funding: Funding
    budget_ceiling: Decimal
    service_days: int
    method: SelectionMethod
    budget_floor: Decimal | None = None
    fixed_price: Decimal | None = None  # random selection
    qualification_type_ids: list[int] = field(default_factory=list)
    qualification_mode: QualificationMode = QualificationMode.ANY
    direct_agency_uscc: str | None = None  # direct selection
    big_list_size: int | None = None  # credit best: N
    small_list_size: int | None = None  # credit best: M
    weights: dict[str, int] | None = None  # proposal: price / technical / credit
    deadline_on: date | None = None  # last bidding day
    avoidances: list[tuple[str, str]] = field(default_factory=list)  # (USCC, public reason)


class TermsRefused(Conflict):
    """The job cannot be published (or its published terms changed) as it stands;
    `problems` lists (form field or None, message)."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__(" ".join(message for _field, message in problems))
        self.problems = problems


class JobClosed(Conflict):
    """The job is past the stage where it can be changed (409, not a form message)."""


# --- Audit snapshot -------------------------------------------------------------------------

TERM_FIELDS = ("service_item_id", "region_code", "title", "scope", "funding", "budget_ceiling",
               "budget_floor", "fixed_price", "service_days", "qualification_mode", "method",
               "direct_agency_id", "big_list_size", "small_list_size", "weights", "deadline")


def terms_snapshot(job: Job) -> dict:
    return {**{name: getattr(job, name) for name in TERM_FIELDS},
            "qualifications": sorted(q.code for q in job.required_qualifications),
            "avoidances": {a.agency.uscc: a.reason for a in job.avoidances},
            "attachments": [a.original_name for a in job_queries.attachments(job)]}


def _changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what changed (Decimals compare by value: 1000 == 1000.00)."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# --- Applying the form ----------------------------------------------------------------------

def _agency_by_uscc(uscc: str, field_name: str):
    agency = queries.agency_by_uscc(rules.normalise_uscc(uscc))
    if agency is None:
        raise FieldConflict(_("No agency is registered under %(uscc)s.", uscc=uscc), field_name)
    return agency


def _set_avoidances(job: Job, avoidances: list[tuple[str, str]]) -> None:
    wanted = {}
    for uscc, reason in avoidances:
        agency = _agency_by_uscc(uscc, "avoidances")
        if not (reason or "").strip():
            raise FieldConflict(_("Give the public reason for avoiding %(name)s.",
                                  name=agency.name), "avoidances")
        wanted[agency.id] = (agency, reason.strip())
    current = {a.agency_id: a for a in job.avoidances}
    for agency_id, avoidance in current.items():
        if agency_id not in wanted:
            job.avoidances.remove(avoidance)
    for agency_id, (agency, reason) in wanted.items():
        if agency_id in current:
            current[agency_id].reason = reason
        else:
            job.avoidances.append(JobAvoidance(agency=agency, reason=reason))


def _apply(job: Job, terms: JobTerms) -> None:
    """Copy the terms onto the job; fields of other methods are cleared so no stale term
    lingers. References that cannot be stored at all are refused even for drafts."""
    item = queries.service_item(terms.service_item_id)
    if item is None:
        raise FieldConflict(_("Choose a service item from the catalogue."), "service_item_id")
    if queries.region(terms.region_code) is None:
        raise FieldConflict(_("Unknown region."), "region_code")
    method = SelectionMethod(terms.method)
    job.service_item, job.region_code = item, terms.region_code
    job.title, job.scope = terms.title.strip(), terms.scope.strip()
    job.funding, job.method = Funding(terms.funding), method
    job.budget_ceiling, job.budget_floor = terms.budget_ceiling, terms.budget_floor
    job.service_days = terms.service_days
    job.fixed_price = terms.fixed_price if method == SelectionMethod.RANDOM else None
    job.qualification_mode = QualificationMode(terms.qualification_mode)
    job.required_qualifications = [t for t in queries.qualification_types()
                                   if t.id in set(terms.qualification_type_ids)]
    job.direct_agency_id = (_agency_by_uscc(terms.direct_agency_uscc, "direct_agency_uscc").id
                            if method == SelectionMethod.DIRECT and terms.direct_agency_uscc
                            else None)
    credit_best = method == SelectionMethod.CREDIT_BEST
    job.big_list_size = terms.big_list_size if credit_best else None
    job.small_list_size = terms.small_list_size if credit_best else None
    job.weights = dict(terms.weights) if method == SelectionMethod.PROPOSAL and terms.weights \
        else None
    job.deadline = deadline_at(terms.deadline_on) if terms.deadline_on else None
    _set_avoidances(job, terms.avoidances)


def _add_attachments(job: Job, files: list[FileStorage]) -> None:
    for upload in files:
        if upload and upload.filename:
            stored = save_upload(upload)  # PDF, JPG or PNG by content (core.uploads)
            db.session.add(JobAttachment(job_id=job.id, stored_name=stored.name,
                                         original_name=upload.filename[:200],
                                         mime=stored.mime))
    db.session.flush()


# --- Validation (RULES.md §1) ---------------------------------------------------------------

def _cents(value: Decimal) -> bool:
    return value.as_tuple().exponent >= -2


def _money_problems(job: Job) -> list[tuple[str, str]]:
    problems = []
    ceiling, floor = job.budget_ceiling, job.budget_floor
    for name, value in (("budget_ceiling", ceiling), ("budget_floor", floor),
                        ("fixed_price", job.fixed_price)):
        if value is not None and (value <= 0 or not _cents(value)):
            problems.append((name, _("Amounts are in yuan, above zero, with at most two "
                                     "decimals.")))
    if floor is not None and ceiling is not None and floor > ceiling:
        problems.append(("budget_floor", _("The budget floor may not exceed the ceiling.")))
    if job.method == SelectionMethod.RANDOM:
        low = floor if floor is not None else Decimal("0.01")
        if job.fixed_price is None:
            problems.append(("fixed_price", _("Random selection needs the price you fix.")))
        elif not low <= job.fixed_price <= ceiling:
            problems.append(("fixed_price", _("The fixed price must lie within the budget "
                                              "floor and ceiling.")))
    return problems


def _direct_problems(job: Job) -> list[tuple[str, str]]:
    if job.direct_agency_id is None:
        return [("direct_agency_uscc", _("Name the agency you select directly."))]
    agency = db.session.get(Agency, job.direct_agency_id)
    reasons = job_queries.eligibility(job, agency)
    return [("direct_agency_uscc", _("%(name)s cannot be selected: %(reasons)s",
                                     name=agency.name, reasons=" ".join(reasons)))] \
        if reasons else []


def _method_problems(job: Job) -> list[tuple[str, str]]:
    try:  # direct selection only for private money (RULES.md §1 "Principles")
        rules.check_method_allowed(job.method, job.funding, settings.get(rules.MIN_BIDS_SETTING))
    except Conflict as refused:
        return [("method", str(refused))]
    if job.method == SelectionMethod.DIRECT:
        return _direct_problems(job)
    if job.method == SelectionMethod.CREDIT_BEST:
        big, small = job.big_list_size, job.small_list_size
        if big is None or small is None or not big >= small >= 1:
            return [("big_list_size", _("Credit best selection needs a big list N and a small "
                                        "list M with N ≥ M ≥ 1."))]
    if job.method == SelectionMethod.PROPOSAL:
        try:
            rules.check_weights(job.weights)
        except ValueError:
            return [("weight_price", _("The weights of price, technical and credit scores "
                                       "must add up to 100, none below zero."))]
    return []


def terms_problems(job: Job, now: datetime | None = None) -> list[tuple[str | None, str]]:
    """Everything that stops the job from being published now; empty when nothing does."""
    now = _now(now)
    problems: list[tuple[str | None, str]] = []
    if not job.service_item.active:
        problems.append(("service_item_id", _("The service item has been withdrawn from the "
                                              "catalogue.")))
    if not job.title or not job.scope:
        problems.append(("title", _("Give the job a title and describe its scope.")))
    if job.service_days is None or job.service_days < 1:
        problems.append(("service_days", _("Promise at least one working day of service.")))
    problems += _money_problems(job) + _method_problems(job)
    earliest = earliest_deadline(now)
    if job.deadline is None:
        problems.append(("deadline_on", _("Set the bidding deadline.")))
    elif job.deadline < earliest:
        problems.append(("deadline_on", _(
            "Bidding must stay open at least %(n)d working days: the deadline can be "
            "%(day)s at the earliest.", n=min_bidding_days(),
            day=earliest.astimezone(rules.LOCAL_TZ).date().isoformat())))
    return problems


def _check_terms(job: Job, now: datetime) -> None:
    if problems := terms_problems(job, now):
        raise TermsRefused(problems)


# --- Operations -----------------------------------------------------------------------------

def create_draft(owner: Owner, terms: JobTerms, files: list[FileStorage] = ()) -> Job:
    """A draft: saved and edited freely, checked in full when published."""
    job = Job(owner=owner, number=f"DRAFT-{secrets.token_hex(8)}", status=JobStatus.DRAFT)
    _apply(job, terms)
    db.session.add(job)
    db.session.flush()
    _add_attachments(job, files)
    audit.record("job.create", "job", job.id, after={"owner_id": owner.id,
                                                      **terms_snapshot(job)})
    return job


def _notify_bidders(job: Job, title: str, body: str) -> None:
    for bid in db.session.scalars(select(Bid).where(Bid.job_id == job.id,
                                                   Bid.status == BidStatus.ACTIVE)):
        notify(title, body, job_link(job), organisation_id=bid.agency.organisation_id)


def _check_editable(job: Job, now: datetime) -> None:
    if job.status == JobStatus.DRAFT:
        return
    if not job_queries.bidding_open(job, now):
        raise JobClosed(_("Only drafts and jobs still open for bidding can be edited."))


def _after_edit(job: Job, before: dict, now: datetime) -> bool:
    """Audit the edit. A published job's changed terms reopen the clock (checked in full)
    and ask every bidder to confirm again (RULES.md §1). False when nothing changed."""
    old, new = _changes(before, terms_snapshot(job))
    if not new:
        return False
    if job.status == JobStatus.DRAFT:
        audit.record("job.update", "job", job.id, before=old, after=new)
        return True
    _check_terms(job, now)
    job.terms_version += 1
    db.session.flush()
    audit.record("job.terms.change", "job", job.id,
                 before={**old, "terms_version": job.terms_version - 1},
                 after={**new, "terms_version": job.terms_version})
    _notify_bidders(job, _("The terms of job %(number)s have changed", number=job.number),
                    _("The owner changed the terms of “%(title)s”. Your bid counts only once "
                      "you confirm it again before the deadline.", title=job.title))
    return True


def update_job(job: Job, terms: JobTerms, files: list[FileStorage] = (),
               now: datetime | None = None) -> bool:
    """Edit a draft freely, or a published job's terms before its deadline."""
    now = _now(now)
    _check_editable(job, now)
    before = terms_snapshot(job)
    _apply(job, terms)
    db.session.flush()
    if job.status == JobStatus.PUBLISHED:
        _check_terms(job, now)  # before any file is stored
    _add_attachments(job, files)
    return _after_edit(job, before, now)


def remove_attachment(job: Job, attachment: JobAttachment, now: datetime | None = None) -> None:
    now = _now(now)
    _check_editable(job, now)
    if attachment.job_id != job.id:
        raise Conflict(_("The attachment does not belong to this job."))
    before = terms_snapshot(job)
    db.session.delete(attachment)
    db.session.flush()
    _after_edit(job, before, now)


def _job_number(job: Job, now: datetime) -> str:
    return f"{NUMBER_PREFIX}-{rules.local_today(now).year}-{job.id:06d}"


def _announce(job: Job) -> int:
    """Tell every eligible agency offering the item about the new job."""
    agencies = job_queries.eligible_agencies(job)
    for agency in agencies:
        notify(_("New eligible job: %(title)s", title=job.title),
               _("%(owner)s published job %(number)s for %(item)s; bidding closes %(deadline)s.",
                 owner=job.owner.name, number=job.number, item=job.service_item.name,
                 deadline=job.deadline.astimezone(rules.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")),
               job_link(job), organisation_id=agency.organisation_id)
    return len(agencies)


def publish(job: Job, now: datetime | None = None) -> Job:
    """Check everything again, number the job, commit its draw (the seed's hash is public
    from now on) and tell the eligible agencies."""
    now = _now(now)
    rules.check_job_transition(job, JobStatus.PUBLISHED)
    _check_terms(job, now)
    job.status, job.published_at = JobStatus.PUBLISHED, now
    job.number = _job_number(job, now)
    draw = randomness.commit(DRAW_PURPOSE, f"job:{job.id}")
    job.draw_id = draw.id
    db.session.flush()
    notified = _announce(job)
    audit.record("job.publish", "job", job.id, before={"status": JobStatus.DRAFT},
                 after={"status": job.status, "number": job.number, "published_at": now,
                        "draw_id": draw.id, "seed_hash": draw.seed_hash,
                        "agencies_notified": notified, **terms_snapshot(job)})
    return job


def cancel(job: Job, reason: str, now: datetime | None = None) -> None:
    """Cancel a draft, or a published job before its deadline, with a public reason."""
    now = _now(now)
    reason = (reason or "").strip()
    if not reason:
        raise FieldConflict(_("Give the reason for cancelling."), "reason")
    rules.check_job_transition(job, JobStatus.CANCELLED)
    if job.status == JobStatus.PUBLISHED and not job_queries.bidding_open(job, now):
        raise JobClosed(_("The bidding deadline has passed: the job can no longer be "
                          "cancelled."))
    before = job.status
    job.status, job.cancel_reason = JobStatus.CANCELLED, reason
    db.session.flush()
    audit.record("job.cancel", "job", job.id, before={"status": before},
                 after={"status": job.status, "cancel_reason": reason})
    _notify_bidders(job, _("Job %(number)s has been cancelled", number=job.number),
                    _("The owner cancelled “%(title)s”: %(reason)s", title=job.title,
                      reason=reason))


def _copy_attachments(source: Job, target: Job) -> None:
    for a in job_queries.attachments(source):
        db.session.add(JobAttachment(job_id=target.id, stored_name=a.stored_name,
                                     original_name=a.original_name, mime=a.mime))


def republish(job: Job) -> Job:
    """A failed job (流标) copied into a new draft round linked to it (RULES.md §1); the
    owner sets a new deadline and publishes it."""
    if job.status != JobStatus.FAILED:
        raise Conflict(_("Only a failed job can be republished as a new round."))
    later = job_queries.next_round(job)
    if later is not None and later.status != JobStatus.CANCELLED:
        raise Conflict(_("This job has already been republished as %(number)s.",
                         number=later.number))
    new = Job(owner=job.owner, number=f"DRAFT-{secrets.token_hex(8)}", status=JobStatus.DRAFT,
              round=job.round + 1, previous_job_id=job.id,
              **{name: getattr(job, name) for name in TERM_FIELDS if name != "deadline"})
    new.required_qualifications = list(job.required_qualifications)
    new.avoidances = [JobAvoidance(agency_id=a.agency_id, reason=a.reason)
                      for a in job.avoidances]
    db.session.add(new)
    db.session.flush()
    _copy_attachments(job, new)
    db.session.flush()
    audit.record("job.republish", "job", new.id, after={
        "previous_job_id": job.id, "previous_number": job.number, "round": new.round,
        **terms_snapshot(new)})
    return new
