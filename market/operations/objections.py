"""Objections (异议) to a published selection result (RULES.md §1 "Publicity, objection,
award").

A bidder raises one during publicity, with its reasons and an evidence file; the owner
answers within 3 working days; the competent regulator (a department user of the service
item's department) upholds or rejects it — after the owner's answer, or once the owner's
time to answer has run out. Upheld: the winner's bid is excluded, an objection_upheld credit
record is made against it, and the selection runs again without it (or the job fails).
Publicity does not end while an objection is open (market.operations.selection).

Two objections may challenge the same result. When one is upheld the result they challenged
is gone: the others are closed without a decision (rejected, with no decider and a note
saying why), and their bidders may object to the new result during its own publicity.
"""

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from core import audit, calendar
from core.auth.models import OrgKind, Role, User
from core.errors import Conflict, NotAllowed
from core.extensions import db
from core.notifications import notify
from core.uploads import save_upload
from credit.operations import subjects as credit_subjects
from credit.operations.lists import PLATFORM_LOCALE
from credit.rules import RecordKind
from market.models import Bid, BidStatus, Job, JobStatus, Objection, ObjectionStatus
from market.operations import selection
from market.operations.agencies import FieldConflict

OPEN = selection.OPEN_OBJECTIONS
OBJECTION_TRANSITIONS = {
    ObjectionStatus.RAISED: frozenset({ObjectionStatus.ANSWERED, ObjectionStatus.UPHELD,
                                       ObjectionStatus.REJECTED}),
    ObjectionStatus.ANSWERED: frozenset({ObjectionStatus.UPHELD, ObjectionStatus.REJECTED}),
    ObjectionStatus.UPHELD: frozenset(),
    ObjectionStatus.REJECTED: frozenset(),
}
REASONS_MAX = 5000


def _snapshot(objection: Objection) -> dict:
    return {"job_id": objection.job_id, "bid_id": objection.bid_id,
            "status": objection.status, "reasons": objection.reasons,
            "evidence_file": objection.evidence_file, "answer_due_at": objection.answer_due_at,
            "owner_answer": objection.owner_answer, "decision_note": objection.decision_note,
            "decided_by_id": objection.decided_by_id}


def _move(objection: Objection, target: ObjectionStatus, **values) -> None:
    """Objection status → target, checked against the table and guarded by the status read."""
    if target not in OBJECTION_TRANSITIONS[objection.status]:
        raise Conflict(_("This objection has already been dealt with."))
    moved = db.session.execute(
        update(Objection).where(Objection.id == objection.id,
                                Objection.status == objection.status)
        .values(status=target, **values).execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise Conflict(_("This objection has already been dealt with."))
    db.session.refresh(objection)


def _required(text: str | None, message: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise FieldConflict(message, field)
    return text


def _link(objection: Objection) -> str:
    return selection.path("market.objection_detail", objection_id=objection.id)


def _notify_org(organisation_id: int, title: str, body: str, objection: Objection) -> None:
    notify(title, body, _link(objection), organisation_id=organisation_id)


def open_objection_of(bid: Bid) -> Objection | None:
    return db.session.scalar(select(Objection).where(Objection.bid_id == bid.id,
                                                     Objection.status.in_(OPEN)))


def is_regulator_of(job: Job, user: User | None) -> bool:
    """The competent regulator: org admins and staff of the service item's department."""
    return bool(user is not None and user.is_authenticated
                and user.org_kind == OrgKind.DEPARTMENT
                and user.role in (Role.ORG_ADMIN, Role.STAFF)
                and user.organisation_id == job.service_item.department_id)


# --- Raising ---------------------------------------------------------------------------------

def raise_objection(job: Job, bid: Bid, reasons: str, evidence: FileStorage | None,
                    now: datetime) -> Objection:
    """A bidder (not the winner) objects to the result during publicity."""
    if bid.job_id != job.id or bid.status == BidStatus.WITHDRAWN:
        raise NotAllowed(_("Only a bidder on this job can object to its result."))
    if bid.id == job.winner_bid_id:
        raise NotAllowed(_("The selected agency cannot object to its own selection."))
    if job.status != JobStatus.PUBLICITY or job.publicity_ends_at is None \
            or now >= job.publicity_ends_at:
        raise Conflict(_("Objections can be raised only while the result is in publicity."))
    if open_objection_of(bid) is not None:
        raise Conflict(_("Your objection to this result is still open."))
    reasons = _required(reasons, _("State the reasons of your objection."), "reasons")
    if not evidence or not evidence.filename:
        raise FieldConflict(_("Attach the evidence (PDF, JPG or PNG)."), "evidence")
    stored = save_upload(evidence)  # checked by content (core.uploads)
    answer_due = calendar.deadline(now, selection.working_days(selection.ANSWER_DAYS))
    objection = Objection(job_id=job.id, bid_id=bid.id, reasons=reasons[:REASONS_MAX],
                          evidence_file=stored.name, raised_at=now, answer_due_at=answer_due)
    db.session.add(objection)
    db.session.flush()
    audit.record("objection.raise", "objection", objection.id, after={
        **_snapshot(objection), "against_bid_id": job.winner_bid_id})
    with force_locale(PLATFORM_LOCALE):
        due = objection.answer_due_at.astimezone(calendar.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        _notify_org(job.owner.organisation_id,
                    _("Objection to the result of job %(number)s", number=job.number),
                    _("%(agency)s objects to the selection result. Answer by %(due)s.",
                      agency=bid.agency.name, due=due), objection)
        _notify_org(job.service_item.department_id,
                    _("Objection to the result of job %(number)s", number=job.number),
                    _("%(agency)s objects to the selection result; the owner answers by "
                      "%(due)s, then you may uphold or reject it.",
                      agency=bid.agency.name, due=due), objection)
    return objection


# --- The owner's answer ------------------------------------------------------------------------

def answer_objection(objection: Objection, organisation_id: int | None, answer: str,
                     now: datetime) -> None:
    job = objection.job
    selection.require_owner(job, organisation_id)
    answer = _required(answer, _("Write your answer."), "answer")
    before = _snapshot(objection)
    _move(objection, ObjectionStatus.ANSWERED, owner_answer=answer[:REASONS_MAX],
          answered_at=now)
    audit.record("objection.answer", "objection", objection.id, before=before,
                 after=_snapshot(objection))
    with force_locale(PLATFORM_LOCALE):
        title = _("The owner answered the objection on job %(number)s", number=job.number)
        _notify_org(objection.bid.agency.organisation_id, title,
                    _("Read the answer; the regulator decides on the objection."), objection)
        _notify_org(job.service_item.department_id, title,
                    _("Uphold or reject the objection."), objection)


# --- The regulator's decision -------------------------------------------------------------------

def decide_objection(objection: Objection, user: User, uphold: bool, note: str,
                     now: datetime) -> None:
    """Reject it, or uphold it: the winner is excluded, credited with an objection_upheld
    record, and the selection runs again without it (or the job fails)."""
    job = objection.job
    if not is_regulator_of(job, user):
        raise NotAllowed(_("Only the competent regulator decides on objections."))
    if objection.status == ObjectionStatus.RAISED and now < objection.answer_due_at:
        raise Conflict(_("The owner may answer until %(due)s; decide after the answer.",
                         due=objection.answer_due_at.astimezone(calendar.LOCAL_TZ)
                         .strftime("%Y-%m-%d %H:%M")))
    note = _required(note, _("Give the reasons of your decision."), "note")
    if uphold and job.status != JobStatus.PUBLICITY:
        raise Conflict(_("The result this objection challenged is no longer in publicity."))
    before = _snapshot(objection)
    target = ObjectionStatus.UPHELD if uphold else ObjectionStatus.REJECTED
    _move(objection, target, decision_note=note[:REASONS_MAX], decided_at=now,
          decided_by_id=user.id)
    after = _snapshot(objection)
    with force_locale(PLATFORM_LOCALE):
        if uphold:
            after.update(_uphold(objection, user, note, now))
        audit.record("objection.decide", "objection", objection.id, before=before, after=after)
        _tell_decision(objection, uphold, note)
        if uphold:
            selection.select_again(job, now, _("an objection was upheld"), strict_minimum=True)


def _uphold(objection: Objection, user: User, note: str, now: datetime) -> dict:
    """Exclude the winner, record it against its credit, close the objections to the same
    result; what happened, for the decision's audit entry."""
    job = objection.job
    winner = db.session.get(Bid, job.winner_bid_id)
    if not selection.exclude_bid(winner, now):
        raise Conflict(_("The selected bid has been excluded already."))
    department = user.organisation
    record = credit_subjects.add_record(
        winner.agency.uscc, RecordKind.OBJECTION_UPHELD,
        _("Objection upheld against the selection of job %(number)s", number=job.number)[:200],
        department.name, source_department_id=department.id, evidence=note,
        reference=job.number)
    superseded = _close_others(objection, now)
    notify(_("Your selection for job %(number)s was withdrawn", number=job.number),
           _("An objection was upheld: %(note)s", note=note),
           selection.path("market.job_detail", number=job.number),
           organisation_id=winner.agency.organisation_id)
    return {"excluded_bid_id": winner.id, "credit_record_id": record.id,
            "superseded_objections": superseded}


def _close_others(objection: Objection, now: datetime) -> list[int]:
    others = list(db.session.scalars(select(Objection).where(
        Objection.job_id == objection.job_id, Objection.id != objection.id,
        Objection.status.in_(OPEN))))
    note = _("Closed without a decision: the result it challenged was replaced when "
             "objection %(id)d was upheld. You may object to the new result during its "
             "publicity.", id=objection.id)
    for other in others:
        _move(other, ObjectionStatus.REJECTED, decision_note=note, decided_at=now)
        _notify_org(other.bid.agency.organisation_id,
                    _("Your objection on job %(number)s was closed",
                      number=objection.job.number), note, other)
    return [other.id for other in others]


def _tell_decision(objection: Objection, uphold: bool, note: str) -> None:
    job = objection.job
    title = (_("Objection upheld on job %(number)s", number=job.number) if uphold
             else _("Objection rejected on job %(number)s", number=job.number))
    _notify_org(objection.bid.agency.organisation_id, title, note, objection)
    _notify_org(job.owner.organisation_id, title, note, objection)
