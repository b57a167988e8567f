"""Tasks after the draw (RULES.md §3 "Task", "One public"): result entry by the team,
rectification follow-up, publication by the lead department, and the two overdue flags
(publication, rectification without follow-up).

A task moves assigned → result_entered → published (TASK_TRANSITIONS). Publication is one
path only: a user of the plan's lead department publishes an entered result; publishing makes
the credit record (credit.operations.subjects.add_record), so the agency's score, level and
next draw stratum change. Each operation flushes and writes one audit entry; the caller
commits.
"""

from datetime import date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from core import audit, settings
from core.auth.models import User
from core.calendar import add_working_days
from core.db import utcnow
from core.errors import Conflict, NotAllowed
from core.extensions import db
from core.uploads import save_upload
from credit.operations.lists import PLATFORM_LOCALE
from credit.operations.subjects import add_record
from credit.rules import RecordKind
from inspection import queries
from inspection.models import (
    Task,
    TaskAttachment,
    TaskInspector,
    TaskStatus,
)
from inspection.result_codes import result_code
from market.operations.agencies import FieldConflict
from market.operations.contracts import DELIVERABLE_KINDS, link, local_day, notify_org

PUBLISH_WORKING_DAYS = ("inspection.publish_working_days", 20)  # RULES.md §3 "One public"

TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.ASSIGNED: frozenset({TaskStatus.RESULT_ENTERED}),
    TaskStatus.RESULT_ENTERED: frozenset({TaskStatus.PUBLISHED}),
    TaskStatus.PUBLISHED: frozenset(),
}


def _at_least_one(value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("a whole number of at least 1")


def declare_settings() -> None:
    settings.declare(PUBLISH_WORKING_DAYS[0], PUBLISH_WORKING_DAYS[1],
                     _l("Inspection results public within (working days)"), _at_least_one)



def _move(task: Task, target: TaskStatus) -> None:
    if target not in TASK_TRANSITIONS[task.status]:
        raise Conflict(_("This task is %(status)s; it cannot become %(target)s.",
                         status=task.status.value, target=target.value))
    task.status = target


# --- Who may act ------------------------------------------------------------------------

def team_member(task: Task, user: User | None) -> TaskInspector | None:
    """The user's current (not replaced) place on the task's team, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((m for m in task.team
                 if m.replaced_at is None and m.inspector.user_id == user.id), None)


def is_plan_department_user(task: Task, user: User | None) -> bool:
    """A user of the lead or a joint department of the task's plan."""
    org_id = getattr(user, "organisation_id", None) if user is not None else None
    return org_id is not None and org_id in {d.id for d in task.plan.departments}


def is_lead_department_user(task: Task, user: User | None) -> bool:
    org_id = getattr(user, "organisation_id", None) if user is not None else None
    return org_id is not None and org_id == task.plan.lead_department_id


def is_agency_user(task: Task, user: User | None) -> bool:
    org_id = getattr(user, "organisation_id", None) if user is not None else None
    return org_id is not None and org_id == task.agency.organisation_id


def _require_member(task: Task, user: User) -> TaskInspector:
    member = team_member(task, user)
    if member is None:
        raise NotAllowed(_("Only the task's team may do this."))
    return member


# --- Result entry -------------------------------------------------------------------------

def _snapshot(task: Task) -> dict:
    return {"status": task.status, "result_code": task.result_code, "findings": task.findings,
            "inspected_on": task.inspected_on,
            "rectification_order": task.rectification_order,
            "rectification_due_on": task.rectification_due_on,
            "publish_due_on": task.publish_due_on, "published_at": task.published_at,
            "credit_record_id": task.credit_record_id}


def _checked_result(task: Task, code: str, findings: str, inspected_on: date | None,
                    order: str, due_on: date | None, today: date):
    rc = result_code(code)
    if rc is None:
        raise FieldConflict(_("Choose a result code."), "result_code")
    findings = (findings or "").strip()
    if not findings:
        raise FieldConflict(_("Describe what the inspection found."), "findings")
    if inspected_on is None or inspected_on > today:
        raise FieldConflict(_("The inspection cannot end after today."), "inspected_on")
    drawn_on = local_day(task.period.drawn_at) if task.period.drawn_at else None
    if drawn_on and inspected_on < drawn_on:
        raise FieldConflict(_("The inspection cannot end before the draw."), "inspected_on")
    order = (order or "").strip()
    if rc.needs_rectification:
        if not order:
            raise FieldConflict(_("A problem was found: give the rectification order."),
                                "rectification_order")
        if due_on is None or due_on < inspected_on:
            raise FieldConflict(_("Give a rectification due date on or after the inspection."),
                                "rectification_due_on")
    else:
        order, due_on = "", None
    return rc, findings, order or None, due_on


def enter_result(task: Task, user: User, code: str, findings: str, inspected_on: date | None,
                 rectification_order: str = "", rectification_due_on: date | None = None,
                 attachments: list[FileStorage] = (), now: datetime | None = None) -> Task:
    """The team enters the one result of the task; publication is due within
    `inspection.publish_working_days` working days of the inspection's end (RULES.md §3)."""
    now = now or utcnow()
    _require_member(task, user)
    if queries.members_awaiting_replacement(task):
        raise Conflict(_("A team member has declared a conflict of interest and awaits a "
                         "replacement: the result can be entered once it is drawn."))
    before = _snapshot(task)
    rc, findings, order, due_on = _checked_result(
        task, code, findings, inspected_on, rectification_order, rectification_due_on,
        local_day(now))
    _move(task, TaskStatus.RESULT_ENTERED)
    task.result_code, task.findings, task.inspected_on = rc.code, findings, inspected_on
    task.rectification_order, task.rectification_due_on = order, due_on
    task.result_entered_at = now
    task.publish_due_on = publication_due(inspected_on)
    for upload in attachments:
        if upload and upload.filename:
            stored = save_upload(upload, DELIVERABLE_KINDS)
            db.session.add(TaskAttachment(task_id=task.id, stored_name=stored.name,
                                          original_name=upload.filename[:200],
                                          mime=stored.mime))
    db.session.flush()
    audit.record("inspection.task.result", "inspection_task", task.id, before=before,
                 after=_snapshot(task))
    with force_locale(PLATFORM_LOCALE):
        notify_org(task.plan.lead_department_id,
                   _("Inspection result entered: %(number)s", number=task.number),
                   _("%(agency)s: %(result)s. Publish it by %(due)s.", agency=task.agency.name,
                     result=rc.name_zh, due=task.publish_due_on.isoformat()),
                   link("inspection.task_detail", task_id=task.id))
    return task


def record_follow_up(task: Task, user: User, note: str, now: datetime | None = None) -> Task:
    """The rectification follow-up (整改跟踪), once, by the team or the lead department."""
    now = now or utcnow()
    if team_member(task, user) is None and not is_lead_department_user(task, user):
        raise NotAllowed(_("Only the task's team or its lead department may do this."))
    if not task.rectification_order:
        raise Conflict(_("This task has no rectification order to follow up."))
    if task.followed_up_at is not None:
        raise Conflict(_("The follow-up has already been recorded."))
    note = (note or "").strip()
    if not note:
        raise FieldConflict(_("Describe how the rectification was checked."), "follow_up")
    task.follow_up, task.followed_up_at = note, now
    db.session.flush()
    audit.record("inspection.task.follow_up", "inspection_task", task.id,
                 before={"follow_up": None}, after={"follow_up": note, "followed_up_at": now})
    return task


# --- Publication (一公开) ------------------------------------------------------------------

def _credit_title(task: Task) -> str:
    items = "、".join(item.name for item in task.plan.items)
    return f"{task.plan.name}：{items}" if items else task.plan.name


def _legal_basis(task: Task) -> str:
    return "；".join(dict.fromkeys(item.legal_basis for item in task.plan.items))


def publish_result(task: Task, user: User, now: datetime | None = None) -> Task:
    """The lead department publishes the entered result; the result becomes a credit record
    (RULES.md §3 "One public"), unless its code makes none (result_codes)."""
    now = now or utcnow()
    if not is_lead_department_user(task, user):
        raise NotAllowed(_("Only the plan's lead department may publish its results."))
    before = _snapshot(task)
    _move(task, TaskStatus.PUBLISHED)
    task.published_at = now
    rc = result_code(task.result_code)
    lead = task.plan.lead_department
    if rc.outcome is not None:
        record = add_record(
            task.agency.uscc, RecordKind.INSPECTION, _credit_title(task), lead.name,
            source_department_id=lead.id, legal_basis=_legal_basis(task),
            evidence=f"{rc.name_zh}：{task.findings}", occurred_on=task.inspected_on,
            inspection_outcome=rc.outcome, reference=task.number)
        task.credit_record_id = record.id
    db.session.flush()
    audit.record("inspection.task.publish", "inspection_task", task.id, before=before,
                 after=_snapshot(task))
    _notify_published(task, rc)
    return task


def _notify_published(task: Task, rc) -> None:
    where = link("inspection.public_task", number=task.number)
    with force_locale(PLATFORM_LOCALE):
        notify_org(task.agency.organisation_id,
                   _("Inspection result published: %(number)s", number=task.number),
                   _("Result: %(result)s.", result=rc.name_zh), where)
        if rc.refer_severe_list:
            # RULES.md §3: serious non-cooperation is severe; listing is the department's
            # own procedure (credit), never automatic.
            notify_org(task.plan.lead_department_id,
                       _("Consider the severe dishonesty list: %(agency)s",
                         agency=task.agency.name),
                       _("Task %(number)s found serious refusal to cooperate. Decide whether "
                         "to start the severe dishonesty list procedure.",
                         number=task.number), where)


# --- Overdue publication (sweeper body) ---------------------------------------------------

def _publication_working_days() -> int:
    return int(settings.get(PUBLISH_WORKING_DAYS[0], PUBLISH_WORKING_DAYS[1]))


def publication_due(inspection_ended_on: date, working_days: int | None = None) -> date:
    """一公开: results are public within 20 working days (setting) of the inspection's end."""
    return add_working_days(inspection_ended_on, working_days or _publication_working_days())


def _overdue_task_ids(today: date) -> list[int]:
    """Unflagged tasks past their publication date: an entered result past publish_due_on,
    or no result at all 20 working days after the inspection window closed."""
    entered = db.session.scalars(
        select(Task.id).where(Task.status == TaskStatus.RESULT_ENTERED,
                              Task.overdue_flagged_at.is_(None), Task.publish_due_on < today))
    unentered = db.session.execute(
        select(Task.id, Task.window_ends_on).where(Task.status == TaskStatus.ASSIGNED,
                                                   Task.overdue_flagged_at.is_(None),
                                                   Task.window_ends_on < today))
    days = _publication_working_days()  # read once, not per task
    return sorted([*entered, *(task_id for task_id, window_end in unentered
                               if publication_due(window_end, days) < today)])


def _flag_once(task_id: int, flag, *still, now: datetime) -> Task | None:
    """Set the `flag` column of one task to `now`, guarded by the flag being unset and by
    `still` (the conditions that made it due), so a rerun or a second scheduler flags it
    only once. The task, fresh, when this call flagged it; None when another run did."""
    changed = db.session.execute(
        update(Task).where(Task.id == task_id, flag.is_(None), *still)
        .values({flag: now})
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return None
    task = db.session.get(Task, task_id)
    db.session.refresh(task)
    return task


def flag_unpublished_results(now: datetime | None = None) -> int:
    """Flag tasks overdue for publication, once each, and tell the lead department.
    The UPDATE is guarded by status and by the flag, so reruns flag nothing again."""
    now = now or utcnow()
    flagged = 0
    for task_id in _overdue_task_ids(local_day(now)):
        task = _flag_once(task_id, Task.overdue_flagged_at,
                          Task.status.in_([TaskStatus.ASSIGNED, TaskStatus.RESULT_ENTERED]),
                          now=now)
        if task is None:
            continue  # another run flagged it first
        due = task.publish_due_on or publication_due(task.window_ends_on)
        audit.record("inspection.task.publication_overdue", "inspection_task", task.id,
                     before={"overdue_flagged_at": None},
                     after={"overdue_flagged_at": now, "publish_due_on": due})
        with force_locale(PLATFORM_LOCALE):
            notify_org(task.plan.lead_department_id,
                       _("Inspection result overdue for publication: %(number)s",
                         number=task.number),
                       _("It was due to be public by %(due)s.", due=due.isoformat()))
        flagged += 1
    return flagged


# --- Overdue rectification (sweeper body) -------------------------------------------------

def flag_overdue_rectifications(now: datetime | None = None) -> int:
    """Flag tasks whose rectification deadline passed without a follow-up, once each, and
    tell the lead department. The UPDATE is guarded by the flag and by the follow-up, so
    reruns (and a follow-up recorded meanwhile) flag nothing again."""
    now = now or utcnow()
    today = local_day(now)
    flagged = 0
    candidates = db.session.scalars(
        select(Task.id).where(*queries.rectification_overdue(today),
                              Task.rectification_flagged_at.is_(None)).order_by(Task.id))
    for task_id in list(candidates):
        task = _flag_once(task_id, Task.rectification_flagged_at,
                          Task.followed_up_at.is_(None), now=now)
        if task is None:
            continue  # another run flagged it first, or the follow-up came in
        due = task.rectification_due_on
        audit.record("inspection.task.rectification_overdue", "inspection_task", task.id,
                     before={"rectification_flagged_at": None},
                     after={"rectification_flagged_at": now, "rectification_due_on": due})
        with force_locale(PLATFORM_LOCALE):
            notify_org(task.plan.lead_department_id,
                       _("Rectification overdue without follow-up: %(number)s",
                         number=task.number),
                       _("%(agency)s was to rectify by %(due)s; no follow-up has been "
                         "recorded.", agency=task.agency.name, due=due.isoformat()))
        flagged += 1
    return flagged
