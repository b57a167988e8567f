"""Contract filing (合同备案), the service clock, extensions and deliverables (RULES.md §1
"Contract, delivery, acceptance").

Choices made here:
- Either side (the owner or the winning agency) files the signed contract with its amount;
  the other side confirms. Until then either side may file a replacement, which the other
  side confirms in turn: that is how a disagreement on the text or amount is settled.
- The service clock starts at the confirmation: the job moves awarded → contracted →
  in_service at once, and the service is due `job.service_days` working days after the
  confirmation day (Asia/Shanghai), moved on by each approved extension.
- A confirmation after `contract_due_at` is still accepted while the job is awarded to the
  same bid: the update is guarded by status and winner, so if the contract sweeper acted
  first the confirmation is refused instead.
- Late delivery (RULES.md §2 behaviour deduction) is recorded once per contract when the
  due day has passed and the job is still in service (nothing delivered, or returned), by
  the sweeper or by the delivery itself if it comes first. An extension approved after
  the record does not remove it.
- Acceptance is due within 180 days of delivery. The owner is told the date when the
  deliverable arrives; if it passes undecided, the sweeper tells the owner and the
  competent department once. Acceptance stays possible afterwards.

Every operation checks the transition, changes rows, writes one audit record and flushes;
the view or sweeper commits. Texts stored for others (notifications, credit records) are
written in Chinese, the platform's language (as credit does).
"""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from core import audit, settings
from core.auth.models import Organisation
from core.calendar import LOCAL_TZ, add_working_days, deadline
from core.db import utcnow
from core.errors import Conflict, NotAllowed
from core.extensions import db
from core.notifications import notify
from core.uploads import save_upload
from credit.operations.lists import PLATFORM_LOCALE
from credit.operations.subjects import PLATFORM_DEPARTMENT, add_record
from credit.rules import RecordKind
from market import job_queries, rules
from market.models import (
    Bid,
    Contract,
    ContractStatus,
    Deliverable,
    DeliverableStatus,
    Evaluation,
    Extension,
    ExtensionStatus,
    Job,
    JobStatus,
)
from market.operations.agencies import FieldConflict

CENTS = Decimal("0.01")
CONTRACT_KINDS = frozenset({"pdf"})
DELIVERABLE_KINDS = frozenset({"pdf", "jpg", "png"})
MAX_EXTENSION_DAYS = 250  # about a year of working days: more is a new contract

# Defaults from RULES.md §1; an admin may change them (settings rows of these keys).
EVALUATION_WORKING_DAYS = ("market.evaluation_working_days", 3)
ACCEPTANCE_DAYS = ("market.acceptance_days", 180)

# Each entity has one explicit transition table (ARCHITECTURE.md "Conventions").
CONTRACT_TRANSITIONS = {
    ContractStatus.UPLOADED: frozenset({ContractStatus.UPLOADED, ContractStatus.CONFIRMED}),
    ContractStatus.CONFIRMED: frozenset(),
}
EXTENSION_TRANSITIONS = {
    ExtensionStatus.REQUESTED: frozenset({ExtensionStatus.APPROVED, ExtensionStatus.REFUSED}),
    ExtensionStatus.APPROVED: frozenset(),
    ExtensionStatus.REFUSED: frozenset(),
}
DELIVERABLE_TRANSITIONS = {
    DeliverableStatus.SUBMITTED: frozenset({DeliverableStatus.ACCEPTED,
                                            DeliverableStatus.RETURNED}),
    DeliverableStatus.ACCEPTED: frozenset(),
    DeliverableStatus.RETURNED: frozenset(),
}


def setting(pair: tuple[str, int]) -> int:
    key, default = pair
    return int(settings.get(key, default))


def _at_least_one(value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("a whole number of at least 1")


def declare_settings() -> None:
    """The admin settings page lists these (app.py calls this at start)."""
    settings.declare(EVALUATION_WORKING_DAYS[0], EVALUATION_WORKING_DAYS[1],
                     _l("Evaluation window after acceptance (working days)"), _at_least_one)
    settings.declare(ACCEPTANCE_DAYS[0], ACCEPTANCE_DAYS[1],
                     _l("Acceptance due after delivery (days)"), _at_least_one)


# --- Shared helpers (evaluations and complaints use them too) ---------------------------------

def link(endpoint: str, **values) -> str | None:
    """A path for a notification; sweepers run without a request and leave it out."""
    return url_for(endpoint, **values) if has_request_context() else None


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def _beijing(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def move_job(job: Job, target: JobStatus, *conditions, **values) -> None:
    """job.status → target if the transition table allows it, as an UPDATE guarded by the
    status read (and `conditions`): a concurrent move or a sweeper that came first wins."""
    rules.check_job_transition(job, target)
    moved = db.session.execute(
        update(Job).where(Job.id == job.id, Job.status == job.status, *conditions)
        .values(status=target, **values).execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise Conflict(_("The job has moved on meanwhile; reload the page to see it."))
    db.session.refresh(job)


def _check(table: dict, current, target) -> None:
    if target not in table[current]:
        raise Conflict(_("This cannot be done in the current state."))


def winning_bid(job: Job) -> Bid:
    bid = db.session.get(Bid, job.winner_bid_id) if job.winner_bid_id else None
    if bid is None:
        raise Conflict(_("The job has no winner yet."))
    return bid


def owner_org_id(job: Job) -> int:
    return job.owner.organisation_id


def agency_org_id(job: Job) -> int | None:
    bid = db.session.get(Bid, job.winner_bid_id) if job.winner_bid_id else None
    return bid.agency.organisation_id if bid else None


def require_owner(job: Job, organisation: Organisation | None) -> None:
    if organisation is None or organisation.id != owner_org_id(job):
        raise NotAllowed(_("Only the job's owner can do this."))


def require_winner(job: Job, organisation: Organisation | None) -> None:
    if organisation is None or organisation.id != agency_org_id(job):
        raise NotAllowed(_("Only the selected agency can do this."))


def _required(text: str | None, message: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise FieldConflict(message, field)
    return text


def notify_org(org_id: int | None, title: str, body: str = "", where: str | None = None):
    if org_id is not None:
        notify(title, body, where, organisation_id=org_id)


# --- Contract filing ------------------------------------------------------------------------

def winning_price(job: Job, bid: Bid) -> Decimal | None:
    """The price the contract must carry: the bid's, or the owner's fixed price for a random
    draw; None when the method sets no price (credit best sign-ups)."""
    return bid.price if bid.price is not None else job.fixed_price


def amount_needs_reason(amount: Decimal, price: Decimal | None) -> bool:
    """RULES.md §1: the amount equals the winning price unless a stated reason is given."""
    return price is not None and amount != price


def _checked_amount(amount) -> Decimal:
    try:
        value = Decimal(str(amount)).quantize(CENTS)
    except (InvalidOperation, TypeError, ValueError):
        value = None
    if value is None or value <= 0:
        raise FieldConflict(_("Enter the contract amount in yuan."), "amount")
    return value


def _contract_snapshot(contract: Contract) -> dict:
    return {"job_id": contract.job_id, "bid_id": contract.bid_id, "amount": contract.amount,
            "amount_reason": contract.amount_reason, "file": contract.stored_name,
            "uploaded_by_org_id": contract.uploaded_by_org_id, "status": contract.status,
            "service_due_on": contract.service_due_on}


def file_contract(job: Job, organisation: Organisation, amount, amount_reason: str | None,
                  upload: FileStorage) -> Contract:
    """Either side files the signed contract (PDF) with its amount; the other confirms."""
    if job.status != JobStatus.AWARDED:
        raise Conflict(_("A contract is filed once the award is final and before the service "
                         "starts."))
    bid = winning_bid(job)
    if organisation is None or organisation.id not in (owner_org_id(job), agency_org_id(job)):
        raise NotAllowed(_("Only the owner or the selected agency can file the contract."))
    amount = _checked_amount(amount)
    reason = (amount_reason or "").strip() or None
    price = winning_price(job, bid)
    if amount_needs_reason(amount, price) and not reason:
        raise FieldConflict(_("The amount differs from the winning price %(price)s: state the "
                              "reason.", price=price), "amount_reason")
    contract = job_queries.contract_for(job)
    before = _contract_snapshot(contract) if contract else None
    if contract is None:
        contract = Contract(job_id=job.id)
        db.session.add(contract)
    else:
        _check(CONTRACT_TRANSITIONS, contract.status, ContractStatus.UPLOADED)
    stored = save_upload(upload, CONTRACT_KINDS)  # last check passed: no orphan on refusal
    contract.bid_id, contract.amount, contract.amount_reason = bid.id, amount, reason
    contract.stored_name, contract.uploaded_by_org_id = stored.name, organisation.id
    contract.uploaded_at, contract.status = utcnow(), ContractStatus.UPLOADED
    db.session.flush()
    audit.record("contract.file", "contract", contract.id, before=before,
                 after=_contract_snapshot(contract))
    other = agency_org_id(job) if organisation.id == owner_org_id(job) else owner_org_id(job)
    with force_locale(PLATFORM_LOCALE):
        notify_org(other, _("Confirm the contract of job %(number)s", number=job.number),
                    _("%(side)s filed the contract (amount %(amount)s yuan). Check and confirm "
                      "it; the service starts at the confirmation.", side=organisation.name,
                      amount=amount), link("market.contract_page", job_id=job.id))
    return contract


def confirm_contract(contract: Contract, organisation: Organisation) -> None:
    """The other side confirms: the contract is filed and the service clock starts."""
    job = contract.job
    if organisation is None or organisation.id not in (owner_org_id(job), agency_org_id(job)):
        raise NotAllowed(_("Only the owner or the selected agency can confirm the contract."))
    if organisation.id == contract.uploaded_by_org_id:
        raise NotAllowed(_("The other side confirms the contract you filed."))
    _check(CONTRACT_TRANSITIONS, contract.status, ContractStatus.CONFIRMED)
    if contract.bid_id != job.winner_bid_id:
        raise Conflict(_("This contract was filed with an earlier winner; file the contract "
                         "with the present one."))
    before = {**_contract_snapshot(contract), "job_status": job.status}
    now = utcnow()
    move_job(job, JobStatus.CONTRACTED, Job.winner_bid_id == contract.bid_id)
    contract.status, contract.confirmed_at = ContractStatus.CONFIRMED, now
    contract.service_due_on = add_working_days(local_day(now), job.service_days)
    move_job(job, JobStatus.IN_SERVICE)
    db.session.flush()
    audit.record("contract.confirm", "contract", contract.id, before=before,
                 after={**_contract_snapshot(contract), "job_status": job.status,
                        "confirmed_at": now})
    with force_locale(PLATFORM_LOCALE):
        notify_org(agency_org_id(job),
                    _("Job %(number)s: the service has started", number=job.number),
                    _("The contract is filed. Deliver by %(day)s.", day=contract.service_due_on),
                    link("market.contract_page", job_id=job.id))
        if contract.uploaded_by_org_id == owner_org_id(job):
            notify_org(owner_org_id(job),
                        _("Job %(number)s: the contract is confirmed", number=job.number),
                        _("Service is due by %(day)s.", day=contract.service_due_on),
                        link("market.contract_page", job_id=job.id))


# --- Extensions -----------------------------------------------------------------------------

def _extension_snapshot(extension: Extension) -> dict:
    return {"contract_id": extension.contract_id, "working_days": extension.working_days,
            "reason": extension.reason, "status": extension.status,
            "decision_note": extension.decision_note}


def request_extension(contract: Contract, organisation: Organisation, working_days: int,
                      reason: str) -> Extension:
    """The agency asks for more working days; the owner decides (RULES.md §1)."""
    job = contract.job
    require_winner(job, organisation)
    if job.status != JobStatus.IN_SERVICE:
        raise Conflict(_("An extension can be asked for while the service runs."))
    if not isinstance(working_days, int) or not 1 <= working_days <= MAX_EXTENSION_DAYS:
        raise FieldConflict(_("Ask for 1 to %(max)d working days.", max=MAX_EXTENSION_DAYS),
                            "working_days")
    reason = _required(reason, _("Give the reason for the extension."), "reason")
    if job_queries.pending_extension(contract) is not None:
        raise Conflict(_("An extension request is already waiting for the owner."))
    extension = Extension(contract_id=contract.id, working_days=working_days, reason=reason)
    db.session.add(extension)
    db.session.flush()
    audit.record("contract.extension.request", "contract_extension", extension.id,
                 after=_extension_snapshot(extension))
    with force_locale(PLATFORM_LOCALE):
        notify_org(owner_org_id(job),
                    _("Job %(number)s: extension requested", number=job.number),
                    _("The agency asks for %(days)d more working days: %(reason)s",
                      days=working_days, reason=reason),
                    link("market.contract_page", job_id=job.id))
    return extension


def decide_extension(extension: Extension, organisation: Organisation, approve: bool,
                     note: str | None) -> None:
    """The owner approves (the due date moves on) or refuses with a reason."""
    contract = db.session.get(Contract, extension.contract_id)
    job = contract.job
    require_owner(job, organisation)
    target = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    _check(EXTENSION_TRANSITIONS, extension.status, target)
    note = (note or "").strip() or None
    if not approve and note is None:
        raise FieldConflict(_("Give the reason for refusing."), "note")
    before = {**_extension_snapshot(extension), "service_due_on": contract.service_due_on}
    moved = db.session.execute(
        update(Extension).where(Extension.id == extension.id,
                                Extension.status == ExtensionStatus.REQUESTED)
        .values(status=target, decided_at=utcnow(), decision_note=note)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        raise Conflict(_("This request has been decided already."))
    db.session.refresh(extension)
    if approve:
        contract.service_due_on = add_working_days(contract.service_due_on,
                                                   extension.working_days)
    db.session.flush()
    audit.record("contract.extension.decide", "contract_extension", extension.id,
                 before=before, after={**_extension_snapshot(extension),
                                       "service_due_on": contract.service_due_on})
    with force_locale(PLATFORM_LOCALE):
        title = (_("Job %(number)s: extension approved", number=job.number) if approve
                 else _("Job %(number)s: extension refused", number=job.number))
        notify_org(agency_org_id(job), title,
                    _("Service is due by %(day)s.", day=contract.service_due_on)
                    + (f" {note}" if note else ""),
                    link("market.contract_page", job_id=job.id))


# --- Deliverables and acceptance ------------------------------------------------------------

def acceptance_due_on(deliverable: Deliverable) -> date:
    return local_day(deliverable.submitted_at) + timedelta(days=setting(ACCEPTANCE_DAYS))


def _deliverable_snapshot(deliverable: Deliverable) -> dict:
    return {"job_id": deliverable.job_id, "file": deliverable.stored_name,
            "original_name": deliverable.original_name, "note": deliverable.note,
            "status": deliverable.status, "owner_note": deliverable.owner_note}


def submit_deliverable(job: Job, organisation: Organisation, upload: FileStorage,
                       note: str | None) -> Deliverable:
    """The agency uploads its deliverables (PDF, JPG or PNG): in_service → delivered."""
    require_winner(job, organisation)
    if job.status != JobStatus.IN_SERVICE:
        raise Conflict(_("Deliverables are uploaded while the service runs."))
    rules.check_job_transition(job, JobStatus.DELIVERED)
    # Delivered after the due day, before the sweeper's next run: late all the same.
    record_late_delivery(job_queries.contract_for(job), rules.local_today())
    stored = save_upload(upload, DELIVERABLE_KINDS)
    deliverable = Deliverable(job_id=job.id, stored_name=stored.name,
                              original_name=(upload.filename or stored.name)[:200],
                              note=(note or "").strip())
    db.session.add(deliverable)
    db.session.flush()
    move_job(job, JobStatus.DELIVERED)
    audit.record("deliverable.submit", "deliverable", deliverable.id,
                 after={**_deliverable_snapshot(deliverable), "job_status": job.status})
    with force_locale(PLATFORM_LOCALE):
        notify_org(owner_org_id(job),
                    _("Job %(number)s: deliverables to accept", number=job.number),
                    _("Accept or return them by %(day)s.", day=acceptance_due_on(deliverable)),
                    link("market.contract_page", job_id=job.id))
    return deliverable


def _decide_deliverable(deliverable: Deliverable, organisation: Organisation,
                        target: DeliverableStatus, note: str | None) -> tuple[Job, dict]:
    """Check and record the owner's decision; returns the job and the state before."""
    job = db.session.get(Job, deliverable.job_id)
    require_owner(job, organisation)
    _check(DELIVERABLE_TRANSITIONS, deliverable.status, target)
    before = {**_deliverable_snapshot(deliverable), "job_status": job.status}
    deliverable.status, deliverable.decided_at = target, utcnow()
    deliverable.owner_note = (note or "").strip() or None
    return job, before


def accept_deliverable(deliverable: Deliverable, organisation: Organisation,
                       note: str | None = None) -> None:
    """The owner accepts: delivered → accepted; the evaluation window opens (3 working
    days, RULES.md §1 "Evaluation")."""
    job, before = _decide_deliverable(deliverable, organisation, DeliverableStatus.ACCEPTED,
                                      note)
    due = deadline(utcnow(), setting(EVALUATION_WORKING_DAYS))
    move_job(job, JobStatus.ACCEPTED, evaluation_due_at=due)
    if db.session.scalar(select(Evaluation.id).where(Evaluation.job_id == job.id)) is None:
        db.session.add(Evaluation(job_id=job.id, agency_id=winning_bid(job).agency_id))
    db.session.flush()
    audit.record("deliverable.accept", "deliverable", deliverable.id, before=before,
                 after={**_deliverable_snapshot(deliverable), "job_status": job.status,
                        "evaluation_due_at": due})
    where = link("market.evaluation_page", job_id=job.id)
    with force_locale(PLATFORM_LOCALE):
        notify_org(agency_org_id(job),
                    _("Job %(number)s: deliverables accepted", number=job.number), "",
                    link("market.contract_page", job_id=job.id))
        notify_org(owner_org_id(job), _("Job %(number)s: rate the agency", number=job.number),
                    _("One evaluation per job, due by %(due)s.", due=_beijing(due)), where)
        notify_org(job.service_item.department_id,
                    _("Job %(number)s: rate the deliverables", number=job.number),
                    _("Rate the quality of the deliverables and their legal compliance."),
                    where)


def return_deliverable(deliverable: Deliverable, organisation: Organisation,
                       reason: str) -> None:
    """The owner returns the deliverables with a reason: delivered → in_service again."""
    reason = _required(reason, _("Give the reason for returning the deliverables."), "reason")
    job, before = _decide_deliverable(deliverable, organisation, DeliverableStatus.RETURNED,
                                      reason)
    move_job(job, JobStatus.IN_SERVICE)
    db.session.flush()
    audit.record("deliverable.return", "deliverable", deliverable.id, before=before,
                 after={**_deliverable_snapshot(deliverable), "job_status": job.status})
    with force_locale(PLATFORM_LOCALE):
        notify_org(agency_org_id(job),
                    _("Job %(number)s: deliverables returned", number=job.number), reason,
                    link("market.contract_page", job_id=job.id))


# --- Sweeper steps --------------------------------------------------------------------------

def record_late_delivery(contract: Contract, today: date) -> bool:
    """One `late_delivery` credit record per contract, guarded by overdue_recorded_at."""
    job = contract.job
    if job.status != JobStatus.IN_SERVICE or not contract.service_due_on \
            or today <= contract.service_due_on:
        return False
    marked = db.session.execute(
        update(Contract).where(Contract.id == contract.id,
                               Contract.overdue_recorded_at.is_(None))
        .values(overdue_recorded_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if not marked:
        return False
    db.session.refresh(contract)
    audit.record("contract.late_delivery", "contract", contract.id,
                 before={"overdue_recorded_at": None},
                 after={"overdue_recorded_at": contract.overdue_recorded_at,
                        "service_due_on": contract.service_due_on})
    agency = winning_bid(job).agency
    with force_locale(PLATFORM_LOCALE):
        title = _("Late delivery on job %(number)s", number=job.number)
        add_record(agency.uscc, RecordKind.LATE_DELIVERY, title, PLATFORM_DEPARTMENT,
                   evidence=_("Service due on %(day)s; nothing delivered by then.",
                              day=contract.service_due_on),
                   occurred_on=today, reference=job.number)
        for org_id in (agency_org_id(job), owner_org_id(job)):
            notify_org(org_id, title, _("Service was due on %(day)s. The late delivery is "
                                         "a credit record of the agency.",
                                         day=contract.service_due_on))
    return True


def record_late_deliveries(today: date) -> int:
    due = db.session.scalars(
        select(Contract).join(Job, Job.id == Contract.job_id)
        .where(Contract.status == ContractStatus.CONFIRMED,
               Contract.overdue_recorded_at.is_(None), Contract.service_due_on < today,
               Job.status == JobStatus.IN_SERVICE)
        .order_by(Contract.id)).all()
    return sum(record_late_delivery(contract, today) for contract in due)


def flag_overdue_acceptance(deliverable: Deliverable, now: datetime) -> bool:
    """180 days without a decision: the owner and the competent department are told, once."""
    job = db.session.get(Job, deliverable.job_id)
    if deliverable.status != DeliverableStatus.SUBMITTED or job.status != JobStatus.DELIVERED \
            or local_day(now) <= acceptance_due_on(deliverable):
        return False
    marked = db.session.execute(
        update(Deliverable).where(Deliverable.id == deliverable.id,
                                  Deliverable.acceptance_overdue_at.is_(None))
        .values(acceptance_overdue_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not marked:
        return False
    db.session.refresh(deliverable)
    audit.record("deliverable.acceptance_overdue", "deliverable", deliverable.id,
                 before={"acceptance_overdue_at": None},
                 after={"acceptance_overdue_at": now,
                        "acceptance_due_on": acceptance_due_on(deliverable)})
    with force_locale(PLATFORM_LOCALE):
        title = _("Job %(number)s: acceptance overdue", number=job.number)
        body = _("Deliverables submitted on %(day)s have not been accepted or returned within "
                 "%(days)d days.", day=local_day(deliverable.submitted_at),
                 days=setting(ACCEPTANCE_DAYS))
        notify_org(owner_org_id(job), title, body)
        notify_org(job.service_item.department_id, title, body)
    return True


def flag_overdue_acceptances(now: datetime) -> int:
    # A coarse filter in SQL (submitted at least the period ago); the exact local-day test
    # is in flag_overdue_acceptance.
    cutoff = now - timedelta(days=setting(ACCEPTANCE_DAYS))
    due = db.session.scalars(
        select(Deliverable).join(Job, Job.id == Deliverable.job_id)
        .where(Deliverable.status == DeliverableStatus.SUBMITTED,
               Deliverable.acceptance_overdue_at.is_(None), Deliverable.submitted_at < cutoff,
               Job.status == JobStatus.DELIVERED)
        .order_by(Deliverable.id)).all()
    return sum(flag_overdue_acceptance(deliverable, now) for deliverable in due)
