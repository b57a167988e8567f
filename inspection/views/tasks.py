"""Tasks after the draw (RULES.md §3 "Task", "One public"): the task lists, the task page,
result entry, conflict declaration, follow-up, publication and the two PDFs.

Who sees a task: its current team, users of the plan's departments and the inspected
agency's users; anyone else gets 403. Results are entered by the team only; publication by
the lead department only. Form → operation → commit → flash → redirect.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.admin_forms import ConfirmForm
from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.pdf import document_number
from core.uploads import send_upload
from inspection import queries
from inspection.forms.tasks import ConflictForm, FollowUpForm, PublishForm, ResultForm
from inspection.models import Task, TaskStatus
from inspection.operations import draws
from inspection.operations import tasks as operations
from inspection.pdf import (
    NOTICE_PREFIX,
    RECORD_PREFIX,
    SheetInspector,
    SheetItem,
    TaskSheet,
    notice_pdf,
    record_pdf,
)
from inspection.result_codes import RESULT_CODES, result_code
from inspection.views import bp
from market.views.contracts import attempt

signed_in = roles_required()
inspector = roles_required(Role.INSPECTOR, org_kind=OrgKind.DEPARTMENT)
department_user = roles_required(Role.ORG_ADMIN, Role.STAFF, Role.INSPECTOR,
                                 org_kind=OrgKind.DEPARTMENT)
department_staff = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.DEPARTMENT)


def task_status_labels() -> dict[TaskStatus, str]:
    return {TaskStatus.ASSIGNED: _("Assigned"), TaskStatus.RESULT_ENTERED: _("Result entered"),
            TaskStatus.PUBLISHED: _("Published")}


def _task(task_id: int) -> Task:
    task = queries.task(task_id)
    if task is None:
        abort(404)
    return task


def _may_see(task: Task) -> bool:
    return (operations.team_member(task, current_user) is not None
            or operations.is_plan_department_user(task, current_user)
            or operations.is_agency_user(task, current_user))


def _visible_task(task_id: int) -> Task:
    task = _task(task_id)
    if not _may_see(task):
        abort(403)
    return task


@bp.get("/tasks/mine")
@signed_in
def tasks_mine():
    """Inspectors: their team tasks; agencies: their inspections; department staff: the
    tasks of plans their department leads."""
    status = request.args.get("status") or None
    if current_user.org_kind == OrgKind.AGENCY:
        tasks = queries.tasks_of_agency_organisation(current_user.organisation_id)
    elif current_user.role == Role.INSPECTOR:
        tasks = queries.tasks_of_inspector(current_user.id)
    elif current_user.org_kind == OrgKind.DEPARTMENT:
        tasks = queries.tasks_of_lead_department(current_user.organisation_id, status)
    else:
        abort(403)
    if status:
        tasks = [t for t in tasks if t.status == status]
    return render_template("inspection/tasks_list.html", tasks=tasks, status=status,
                           status_labels=task_status_labels(),
                           codes={rc.code: rc for rc in RESULT_CODES})


def _detail(task: Task, result_form: ResultForm | None = None,
            follow_up_form: FollowUpForm | None = None,
            conflict_form: ConflictForm | None = None, status: int = 200):
    member = operations.team_member(task, current_user)
    lead = operations.is_lead_department_user(task, current_user)
    awaiting = queries.members_awaiting_replacement(task) if task.status in \
        draws.REDRAW_ALLOWED else set()
    open_task = task.status == TaskStatus.ASSIGNED
    forms = {
        "result_form": result_form or (ResultForm(formdata=None)
                                       if member and open_task and not awaiting else None),
        "conflict_form": conflict_form or (ConflictForm(formdata=None)
                                           if member and open_task and member.id not in awaiting
                                           else None),
        "replace_form": ConfirmForm(formdata=None)
        if lead and awaiting and current_user.role != Role.INSPECTOR else None,
        "follow_up_form": (follow_up_form or FollowUpForm(formdata=None))
        if (member or lead) and task.rectification_order and task.followed_up_at is None
        else None,
        "publish_form": PublishForm(formdata=None)
        if lead and task.status == TaskStatus.RESULT_ENTERED else None,
    }
    return render_template(
        "inspection/tasks_detail.html", task=task, member=member, awaiting=awaiting,
        status_labels=task_status_labels(),
        is_department=operations.is_plan_department_user(task, current_user),
        result=result_code(task.result_code), attachments=queries.task_attachments(task.id),
        **forms), status


@bp.get("/tasks/<int:task_id>")
@signed_in
def task_detail(task_id: int):
    return _detail(_visible_task(task_id))


@bp.post("/tasks/<int:task_id>/result")
@inspector
def task_result(task_id: int):
    task = _task(task_id)
    if operations.team_member(task, current_user) is None:
        abort(403)
    form = ResultForm()
    if form.validate_on_submit() and attempt(form, lambda: operations.enter_result(
            task, current_user, form.result_code.data, form.findings.data,
            form.inspected_on.data, form.rectification_order.data,
            form.rectification_due_on.data, form.attachments.data or [])):
        flash(_("The result has been entered; the lead department publishes it."), "success")
        return redirect(url_for("inspection.task_detail", task_id=task.id))
    return _detail(task, result_form=form, status=400)


@bp.post("/tasks/<int:task_id>/conflict")
@inspector
def task_conflict(task_id: int):
    """A member declares a conflict of interest after the draw: a recorded redraw replaces
    them (RULES.md §3 "Draw")."""
    task = _task(task_id)
    member = operations.team_member(task, current_user)
    if member is None:
        abort(403)
    form = ConflictForm()
    replaced = []
    if form.validate_on_submit() and attempt(
            form, lambda: replaced.append(draws.redraw_member(member, form.reason.data))):
        if replaced[0] is None:
            flash(_("Your conflict is recorded. No other eligible inspector of your department "
                    "is available now: the lead department has been asked to draw a "
                    "replacement."), "warning")
            return redirect(url_for("inspection.task_detail", task_id=task.id))
        flash(_("Your conflict is recorded; a replacement was drawn."), "success")
        return redirect(url_for("inspection.tasks_mine"))
    return _detail(task, conflict_form=form, status=400)


@bp.post("/tasks/<int:task_id>/team/<int:member_id>/replace")
@department_staff
def task_replace_member(task_id: int, member_id: int):
    """The lead department's staff (not its inspectors) draw the replacement of a member who
    declared a conflict when nobody was eligible (RULES.md §3 "Draw")."""
    task = _task(task_id)
    if not operations.is_lead_department_user(task, current_user):
        abort(403)
    member = next((m for m in task.team if m.id == member_id), None)
    if member is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit() and attempt(form, lambda: draws.retry_replacement(member)):
        flash(_("A replacement was drawn."), "success")
    for error in form.form_errors:
        flash(error, "danger")
    return redirect(url_for("inspection.task_detail", task_id=task.id))


@bp.post("/tasks/<int:task_id>/follow-up")
@department_user
def task_follow_up(task_id: int):
    task = _task(task_id)
    form = FollowUpForm()
    if form.validate_on_submit() and attempt(form, lambda: operations.record_follow_up(
            task, current_user, form.follow_up.data)):
        flash(_("The rectification follow-up has been recorded."), "success")
        return redirect(url_for("inspection.task_detail", task_id=task.id))
    return _detail(task, follow_up_form=form, status=400)


@bp.post("/tasks/<int:task_id>/publish")
@department_user
def task_publish(task_id: int):
    task = _task(task_id)
    form = PublishForm()
    if form.validate_on_submit() and attempt(
            form, lambda: operations.publish_result(task, current_user)):
        flash(_("The result is public and recorded in the agency's credit file."), "success")
        return redirect(url_for("inspection.task_detail", task_id=task.id))
    for error in form.form_errors:
        flash(error, "danger")
    return redirect(url_for("inspection.task_detail", task_id=task.id))


@bp.get("/tasks/<int:task_id>/attachments/<int:attachment_id>")
@department_user
def task_attachment(task_id: int, attachment_id: int):
    task = _task(task_id)
    if not operations.is_plan_department_user(task, current_user) \
            and operations.team_member(task, current_user) is None:
        abort(403)
    attachment = queries.task_attachment(task.id, attachment_id)
    if attachment is None:
        abort(404)
    return send_upload(attachment.stored_name)


# --- PDFs -----------------------------------------------------------------------------------

def task_sheet(task: Task, prefix: str) -> TaskSheet:
    """The loaded, labelled data of a task's PDFs (inspection.pdf does no queries)."""
    drawn_at = task.period.drawn_at
    year = drawn_at.year if drawn_at else task.window_ends_on.year
    rc = result_code(task.result_code)
    team = [m for m in task.team if m.replaced_at is None]
    return TaskSheet(
        document_number=document_number(prefix, year, task.id),
        verify_url=url_for("inspection.public_task", number=task.number, _external=True),
        task_number=task.number, plan_number=task.plan.number, plan_name=task.plan.name,
        lead_department=task.plan.lead_department.name, agency_name=task.agency.name,
        agency_uscc=task.agency.uscc, agency_address=task.agency.address or "",
        window_ends_on=task.window_ends_on,
        items=tuple(SheetItem(i.code, i.name, i.legal_basis, i.method)
                    for i in task.plan.items),
        team=tuple(SheetInspector(m.inspector.user.display_name,
                                  _department_name(task, m.department_id),
                                  m.inspector.certificate_no) for m in team),
        result=rc.name_zh if rc else "", findings=task.findings or "",
        inspected_on=task.inspected_on, rectification_order=task.rectification_order or "",
        rectification_due_on=task.rectification_due_on, follow_up=task.follow_up or "")


def _department_name(task: Task, department_id: int) -> str:
    return next((d.name for d in task.plan.departments if d.id == department_id), "")


def pdf_response(content: bytes, filename: str):
    return content, 200, {"Content-Type": "application/pdf",
                          "Content-Disposition": f'inline; filename="{filename}"'}


@bp.get("/tasks/<int:task_id>/notice.pdf")
@signed_in
def task_notice_pdf(task_id: int):
    """For the agency's users, the team and the plan's departments."""
    task = _visible_task(task_id)
    return pdf_response(notice_pdf(task_sheet(task, NOTICE_PREFIX)), f"{task.number}-notice.pdf")


@bp.get("/tasks/<int:task_id>/record.pdf")
@signed_in
def task_record_pdf(task_id: int):
    """For the team and the plan's departments; the public one is on the public page."""
    task = _task(task_id)
    if operations.team_member(task, current_user) is None \
            and not operations.is_plan_department_user(task, current_user):
        abort(403)
    return pdf_response(record_pdf(task_sheet(task, RECORD_PREFIX)), f"{task.number}-record.pdf")
