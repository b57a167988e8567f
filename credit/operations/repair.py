"""Credit repair (信用修复, RULES.md §2 "Disclosure and repair").

A subject applies to repair a negative record once its minimum public display period has
passed (minor penalties: at once) or to leave the severe list early once
`earliest_removal_on` has passed, stating how it met its obligations and signing a new public
credit commitment. The deciding department answers within 5 working days: approved, the
record leaves public view (`repaired_on`) and the score is recomputed, or the listing ends
early; refused, everything stays and the subject may apply again.

Each operation checks the transition table, changes rows, writes one audit record and
flushes; the view or sweeper commits (ARCHITECTURE.md "Conventions").
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from flask import has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from core import audit
from core.auth.models import Organisation, OrgKind, User
from core.calendar import LOCAL_TZ, deadline
from core.db import utcnow
from core.errors import Conflict, NotAllowed
from core.extensions import db
from core.notifications import notify, notify_uscc
from core.uploads import save_upload
from credit.models import (
    CreditRecord,
    CreditSubject,
    ListingStatus,
    RepairApplication,
    RepairStatus,
    SevereListing,
)
from credit.operations import lists as list_ops
from credit.operations import subjects as subject_ops
from credit.queries import repair as queries

log = logging.getLogger(__name__)

DECISION_WORKING_DAYS = 5  # RULES.md §2: the regulator decides within 5 working days
EVIDENCE_KINDS = frozenset({"pdf", "jpg", "png"})
PLATFORM_LOCALE = "zh_CN"  # notices are stored in the platform's language (as lists.py does)

# The one transition table of a repair application. A decision is final; a refused subject
# applies again with a new application. Open = has a way out (queries.OPEN_STATUSES).
TRANSITIONS: dict[RepairStatus, frozenset[RepairStatus]] = {
    RepairStatus.SUBMITTED: frozenset({RepairStatus.APPROVED, RepairStatus.REFUSED}),
    RepairStatus.APPROVED: frozenset(),
    RepairStatus.REFUSED: frozenset(),
}
OPEN_STATUSES = queries.OPEN_STATUSES


class FieldConflict(Conflict):
    """A refusal that belongs on one form field (`field`)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class RepairRequest:
    """What the subject submits; the commitment text is the one it was shown."""

    obligations_statement: str
    evidence: str
    commitment_text: str
    commitment_accepted: bool
    evidence_file: FileStorage | None = None


def check_transition(application: RepairApplication, target: RepairStatus) -> None:
    if target not in TRANSITIONS[application.status]:
        raise Conflict(_("This repair application has already been decided (%(status)s).",
                         status=application.status.value))


def commitment_text(subject_name: str) -> str:
    """The new public credit commitment a repair needs (RULES.md §2); shown and stored."""
    return _("%(name)s commits publicly that it has fulfilled the obligations imposed on it, "
             "that what it states in this repair application and its evidence is true, and "
             "that it will abide by the law and its commitments. It accepts that a broken "
             "commitment is recorded in its credit file and that a repair obtained by false "
             "statements is revoked.", name=subject_name)


# --- Snapshots ------------------------------------------------------------------------------

def _snapshot(application: RepairApplication) -> dict:
    return {"status": application.status, "subject_id": application.subject_id,
            "record_id": application.record_id, "listing_id": application.listing_id,
            "commitment_id": application.commitment_id, "decide_by": application.decide_by,
            "evidence_file": application.evidence_file,
            "overdue_flagged_at": application.overdue_flagged_at,
            "decided_at": application.decided_at, "decided_by_id": application.decided_by_id,
            "decision_note": application.decision_note}


# --- Submit ---------------------------------------------------------------------------------

def _check_request(request: RepairRequest) -> None:
    if not request.obligations_statement.strip():
        raise FieldConflict(_("State how the obligations were met (fine paid, rectification "
                              "done)."), "obligations_statement")
    if not request.evidence.strip():
        raise FieldConflict(_("Describe the evidence that the obligations were met."),
                            "evidence")
    if not request.commitment_accepted:
        raise FieldConflict(_("A repair needs a new public credit commitment: accept it to "
                              "apply."), "accept_commitment")


def _lock_record(record: CreditRecord) -> None:
    """Serialise concurrent applications for one record (PostgreSQL row lock)."""
    db.session.execute(select(CreditRecord.id).where(CreditRecord.id == record.id)
                       .with_for_update())


def _lock_listing(listing: SevereListing) -> None:
    db.session.execute(select(SevereListing.id).where(SevereListing.id == listing.id)
                       .with_for_update())


def _check_target(subject: CreditSubject, record: CreditRecord | None,
                  listing: SevereListing | None, today: date) -> None:
    if (record is None) == (listing is None):
        raise ValueError("a repair application is for one record or one listing")
    target = record or listing
    if target.subject_id != subject.id:
        raise NotAllowed(_("A subject can apply to repair only its own credit records."))
    if record is not None:
        _lock_record(record)
        refusal = queries.record_refusal(record, today)
    else:
        _lock_listing(listing)
        refusal = queries.listing_refusal(listing, today)
    if refusal:
        raise Conflict(refusal)
    if queries.open_application_for(record, listing) is not None:
        raise Conflict(_("A repair application for this is already open; wait for its "
                         "decision."))


def submit_application(subject: CreditSubject, request: RepairRequest, *,
                       record: CreditRecord | None = None,
                       listing: SevereListing | None = None,
                       now: datetime | None = None) -> RepairApplication:
    """Apply to repair `record` or end `listing` early; decide_by is 5 working days on."""
    now = now or utcnow()
    _check_request(request)
    _check_target(subject, record, listing, queries.local_today(now))
    stored = save_upload(request.evidence_file, EVIDENCE_KINDS) if request.evidence_file \
        else None
    application = RepairApplication(
        subject_id=subject.id, record_id=record.id if record else None,
        listing_id=listing.id if listing else None, status=RepairStatus.SUBMITTED,
        obligations_statement=request.obligations_statement.strip(),
        evidence=request.evidence.strip(), evidence_file=stored.name if stored else None,
        submitted_at=now, decide_by=deadline(now, DECISION_WORKING_DAYS))
    db.session.add(application)
    db.session.flush()  # the commitment's context names the application
    commitment = subject_ops.sign_commitment(subject.uscc, f"repair:{application.id}",
                                             request.commitment_text)
    application.commitment_id = commitment.id
    db.session.flush()
    audit.record("credit.repair.submit", "credit_repair", application.id,
                 after=_snapshot(application))
    return application


# --- Decide ---------------------------------------------------------------------------------

def _check_decider(user: User, application: RepairApplication) -> None:
    if not queries.may_decide(user, application):
        raise NotAllowed(_("Only the department that made the decision may decide its "
                           "repair."))


def _decide(application: RepairApplication, target: RepairStatus, user: User, note: str,
            now: datetime) -> dict:
    """Move the application to `target`. The UPDATE is guarded by the statuses the table
    allows, so of two regulators deciding at once only the first succeeds."""
    _check_decider(user, application)
    check_transition(application, target)
    before = _snapshot(application)
    sources = [status for status, targets in TRANSITIONS.items() if target in targets]
    moved = db.session.execute(
        update(RepairApplication)
        .where(RepairApplication.id == application.id, RepairApplication.status.in_(sources))
        .values(status=target, decided_at=now, decided_by_id=user.id,
                decision_note=(note or "").strip() or None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(application)
    if not moved:
        raise Conflict(_("This repair application has just been decided by someone else; "
                         "reload the page to see the decision."))
    return before


def detail_link(application: RepairApplication) -> str:
    """The application's page, for notices. Sweepers have no request to build it from."""
    if has_request_context():
        return url_for("credit.repair_detail", application_id=application.id)
    return f"/credit/repair/{application.id}"


def _subject_notice(application: RepairApplication, title: str, body: str) -> None:
    notify_uscc(application.subject.uscc, title, body, detail_link(application))


def approve(application: RepairApplication, user: User, note: str = "",
            now: datetime | None = None) -> None:
    """The record leaves public view from today and the score is recomputed; a listing ends
    early (RULES.md §2 "Disclosure and repair", "Severe dishonesty list")."""
    now = now or utcnow()
    today = queries.local_today(now)
    before = _decide(application, RepairStatus.APPROVED, user, note, now)
    listing = queries.listing_of(application)
    if listing is not None:
        if listing.status == ListingStatus.LISTED:  # else its term ended meanwhile
            with force_locale(PLATFORM_LOCALE):
                grounds = _("Credit repair approved (application %(id)s).", id=application.id)
            # The list's own operation audits the removal and recomputes (the veto ends).
            list_ops.remove_listing_early(listing, grounds, today)
        effect = {"listing_status": listing.status, "listing_removed_on": listing.removed_on}
    else:
        application.record.repaired_on = today  # leaves public view and the score
        db.session.flush()
        subject_ops.recompute(application.subject, today)
        effect = {"record_repaired_on": today}
    audit.record("credit.repair.approve", "credit_repair", application.id, before=before,
                 after={**_snapshot(application), **effect})
    with force_locale(PLATFORM_LOCALE):
        _subject_notice(application, _("Your credit repair application was approved"),
                        application.decision_note or "")


def refuse(application: RepairApplication, user: User, reason: str,
           now: datetime | None = None) -> None:
    """The record stays; the subject may apply again."""
    if not (reason or "").strip():
        raise FieldConflict(_("A refusal needs a reason the subject can act on."), "note")
    before = _decide(application, RepairStatus.REFUSED, user, reason, now or utcnow())
    audit.record("credit.repair.refuse", "credit_repair", application.id, before=before,
                 after=_snapshot(application))
    with force_locale(PLATFORM_LOCALE):
        _subject_notice(application, _("Your credit repair application was refused"),
                        _("Reason: %(reason)s", reason=application.decision_note))


# --- Overdue (sweeper) ----------------------------------------------------------------------

def _notify_department(application: RepairApplication) -> None:
    department_id = queries.deciding_department_id(application)
    department = db.session.get(Organisation, department_id) if department_id else None
    if department is None or department.kind != OrgKind.DEPARTMENT:
        log.warning("repair application %s is overdue and names no deciding department",
                    application.id)
        return
    due = application.decide_by.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    with force_locale(PLATFORM_LOCALE):
        notify(_("A credit repair application is overdue"),
               _("The repair application %(id)s of %(name)s was due for decision by %(due)s "
                 "(Beijing time).", id=application.id, name=application.subject.name,
                 due=due),
               detail_link(application), organisation_id=department.id)


def flag_overdue(now: datetime | None = None) -> int:
    """Flag open applications past decide_by once each and tell the deciding department.

    The UPDATE is guarded by status and by the flag itself, so a second run, or a second
    scheduler, flags nothing again (ARCHITECTURE.md "Conventions")."""
    now = now or utcnow()
    due_ids = db.session.scalars(
        select(RepairApplication.id)
        .where(RepairApplication.status.in_(OPEN_STATUSES),
               RepairApplication.overdue_flagged_at.is_(None),
               RepairApplication.decide_by < now)
        .order_by(RepairApplication.id)).all()
    flagged = 0
    for application_id in due_ids:
        changed = db.session.execute(
            update(RepairApplication)
            .where(RepairApplication.id == application_id,
                   RepairApplication.status.in_(OPEN_STATUSES),
                   RepairApplication.overdue_flagged_at.is_(None))
            .values(overdue_flagged_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if not changed:
            continue  # another run flagged it first
        application = db.session.get(RepairApplication, application_id)
        db.session.refresh(application)
        audit.record("credit.repair.overdue", "credit_repair", application.id,
                     before={"overdue_flagged_at": None},
                     after={"overdue_flagged_at": now, "decide_by": application.decide_by})
        _notify_department(application)
        flagged += 1
    return flagged
