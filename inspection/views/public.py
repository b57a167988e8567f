"""One public (一公开, RULES.md §3): inspection results without sign-in, by plan, by agency
and by department, and each task's public page (the target of the PDFs' QR codes). Only
published results are public; a period's drawn list is public at the draw when the plan
publishes it."""

from flask import abort, render_template

from core.auth.models import Organisation
from core.extensions import db
from inspection import queries
from inspection.models import PeriodStatus, TaskStatus
from inspection.pdf import RECORD_PREFIX, record_pdf
from inspection.result_codes import RESULT_CODES
from inspection.views import bp
from inspection.views.tasks import pdf_response, task_sheet
from market.models import Agency


def _codes() -> dict:
    return {rc.code: rc for rc in RESULT_CODES}


@bp.get("/public/results")
def public_results():
    return render_template("inspection/public_results.html", plans=queries.published_plans(),
                           results=queries.published_results(limit=50), codes=_codes())


@bp.get("/public/plans/<number>")
def public_plan(number: str):
    plan = queries.public_plan(number)
    if plan is None:
        abort(404)
    periods = [p for p in plan.periods if p.status == PeriodStatus.DRAWN]
    drawn = {p.id: queries.drawn_tasks_of_period(p.id) for p in periods} \
        if plan.publish_drawn_list else {}
    # 一公开: each stratum's size, ratio and count are public, so anyone can check
    # ceil(ratio × size) and, with the draw's published rank order, which keys were drawn.
    selections = {p.id: queries.period_selection(p) for p in periods} \
        if plan.publish_drawn_list else {}
    return render_template("inspection/public_plan.html", plan=plan, periods=periods,
                           drawn=drawn, selections=selections,
                           results=queries.published_results(plan_id=plan.id),
                           codes=_codes())


@bp.get("/public/agencies/<int:agency_id>")
def public_agency_results(agency_id: int):
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        abort(404)
    return render_template("inspection/public_agency.html", agency=agency,
                           results=queries.published_results(agency_id=agency.id),
                           codes=_codes())


@bp.get("/public/departments/<int:department_id>")
def public_department_results(department_id: int):
    department: Organisation | None = queries.department(department_id)
    if department is None:
        abort(404)
    return render_template("inspection/public_department.html", department=department,
                           results=queries.published_results(department_id=department.id),
                           codes=_codes())


@bp.get("/public/tasks/<number>")
def public_task(number: str):
    task = queries.public_task(number)
    if task is None:
        abort(404)
    published = task.status == TaskStatus.PUBLISHED
    return render_template("inspection/public_task.html", task=task, published=published,
                           result=_codes().get(task.result_code) if published else None)


@bp.get("/public/tasks/<number>/record.pdf")
def public_task_record_pdf(number: str):
    task = queries.public_task(number)
    if task is None or task.status != TaskStatus.PUBLISHED:
        abort(404)
    return pdf_response(record_pdf(task_sheet(task, RECORD_PREFIX)), f"{task.number}-record.pdf")
