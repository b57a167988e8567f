"""Complaints (投诉举报, RULES.md §1 "Complaints").

Anyone may complain about an agency, signed in or not, with a name and a way to be reached,
the content and optional evidence (PDF, JPG or PNG). The agency is told of the complaint
(not of who made it) and the competent departments of the services it offers are asked to
rule. Any regulator (org admin or staff of a department) may rule, since an agency offering
several items has several competent departments; the ruling department is recorded.
Substantiated: a `complaint_substantiated` credit record, then credit checks whether it is
the third within 12 months, which starts the exit (RULES.md §2 "Exit").
"""

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from core import audit
from core.auth.models import Organisation, OrgKind, User
from core.db import utcnow
from core.errors import Conflict, NotAllowed
from core.extensions import db
from core.notifications import notify
from core.uploads import save_upload
from credit.operations.lists import PLATFORM_LOCALE, check_complaints_exit
from credit.operations.subjects import add_record
from credit.rules import RecordKind
from market import rules
from market.models import Agency, AgencyService, Complaint, ComplaintStatus, Job, ServiceItem
from market.operations.agencies import FieldConflict
from market.operations.contracts import DELIVERABLE_KINDS, link, notify_org

COMPLAINT_TRANSITIONS = {
    ComplaintStatus.SUBMITTED: frozenset({ComplaintStatus.SUBSTANTIATED,
                                          ComplaintStatus.UNSUBSTANTIATED}),
    ComplaintStatus.SUBSTANTIATED: frozenset(),
    ComplaintStatus.UNSUBSTANTIATED: frozenset(),
}


def _required(text: str | None, message: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise FieldConflict(message, field)
    return text


def _snapshot(complaint: Complaint) -> dict:
    return {"agency_id": complaint.agency_id, "job_id": complaint.job_id,
            "complainant_name": complaint.complainant_name,
            "complainant_contact": complaint.complainant_contact,
            "complainant_user_id": complaint.complainant_user_id,
            "content": complaint.content, "evidence_file": complaint.evidence_file,
            "status": complaint.status, "department_id": complaint.department_id,
            "ruling": complaint.ruling}


def competent_department_ids(agency: Agency, job: Job | None = None) -> list[int]:
    """The departments asked to rule: the job's item's department when the complaint names
    a job, else those of every item the agency offers."""
    if job is not None:
        return [job.service_item.department_id]
    return list(db.session.scalars(
        select(ServiceItem.department_id).join(AgencyService)
        .where(AgencyService.agency_id == agency.id).distinct()))


def submit_complaint(agency: Agency, name: str, contact: str, content: str,
                     evidence: FileStorage | None = None, user: User | None = None,
                     job: Job | None = None) -> Complaint:
    name = _required(name, _("Give your name."), "name")
    contact = _required(contact, _("Give a phone number or email address to reach you."),
                        "contact")
    content = _required(content, _("Describe what you complain about."), "content")
    if job is not None and job.winner_bid_id is None:
        job = None  # only a job the agency worked on ties the complaint to a department
    stored = save_upload(evidence, DELIVERABLE_KINDS) if evidence else None
    complaint = Complaint(agency_id=agency.id, job_id=job.id if job else None,
                          complainant_name=name, complainant_contact=contact,
                          complainant_user_id=user.id if user else None, content=content,
                          evidence_file=stored.name if stored else None)
    db.session.add(complaint)
    db.session.flush()
    audit.record("complaint.submit", "complaint", complaint.id, after=_snapshot(complaint))
    with force_locale(PLATFORM_LOCALE):
        notify_org(agency.organisation_id, _("A complaint about your agency"),
                   _("A complaint was filed; the competent department will rule on it. "
                     "It reads: %(content)s", content=content))
        where = link("market.complaint_detail", complaint_id=complaint.id)
        for department_id in competent_department_ids(agency, job):
            notify_org(department_id, _("A complaint to rule on"),
                       _("About %(agency)s.", agency=agency.name), where)
    return complaint


def rule_complaint(complaint: Complaint, department: Organisation, substantiated: bool,
                   ruling: str) -> None:
    """The regulator's ruling; substantiated → credit record → exit check."""
    if department is None or department.kind != OrgKind.DEPARTMENT:
        raise NotAllowed(_("Only a department rules on complaints."))
    ruling = _required(ruling, _("Write the ruling."), "ruling")
    target = ComplaintStatus.SUBSTANTIATED if substantiated \
        else ComplaintStatus.UNSUBSTANTIATED
    if target not in COMPLAINT_TRANSITIONS[complaint.status]:
        raise Conflict(_("This complaint has been ruled on already."))
    before = _snapshot(complaint)
    moved = db.session.execute(
        update(Complaint).where(Complaint.id == complaint.id,
                                Complaint.status == ComplaintStatus.SUBMITTED)
        .values(status=target, ruling=ruling, department_id=department.id, ruled_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        raise Conflict(_("This complaint has been ruled on already."))
    db.session.refresh(complaint)
    audit.record("complaint.rule", "complaint", complaint.id, before=before,
                 after=_snapshot(complaint))
    agency = complaint.agency
    today = rules.local_today()
    with force_locale(PLATFORM_LOCALE):
        if substantiated:
            add_record(agency.uscc, RecordKind.COMPLAINT_SUBSTANTIATED,
                       _("Substantiated complaint no. %(id)d", id=complaint.id),
                       department.name, source_department_id=department.id, evidence=ruling,
                       occurred_on=today, reference=f"complaint-{complaint.id}")
        title = (_("Complaint no. %(id)d: substantiated", id=complaint.id) if substantiated
                 else _("Complaint no. %(id)d: not substantiated", id=complaint.id))
        notify_org(agency.organisation_id, title, ruling)
        if complaint.complainant_user_id:
            notify(title, ruling, user_id=complaint.complainant_user_id)
    if substantiated:
        check_complaints_exit(agency.uscc, today)
