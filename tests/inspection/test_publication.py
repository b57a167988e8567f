"""One public (RULES.md §3): the overdue-publication sweeper and the public result pages,
which show published results only."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from core import scheduler
from core.audit import AuditEntry
from core.auth.models import Role
from core.extensions import db
from core.notifications import Notification
from inspection.models import Task, TaskStatus
from inspection.operations import tasks as operations
from tests.clients import english_client
from tests.factories import make_agency, make_department, make_user
from tests.inspection.builders import make_task

BEIJING = ZoneInfo("Asia/Shanghai")
INSPECTED_ON = date(2026, 3, 10)  # publication due by Wednesday 8 April (20 working days,
# Qingming 4–6 April off)


def entered(task, code: str = "no_problem", findings: str = "未见违规。"):
    operations.enter_result(task, task.team[0].inspector.user, code, findings, INSPECTED_ON,
                            "限期整改。", date(2026, 3, 20),
                            now=datetime(2026, 3, 10, 8, tzinfo=UTC))
    return task


def published(task, code: str = "no_problem", findings: str = "未见违规。"):
    entered(task, code, findings)
    lead_user = make_user(Role.STAFF, task.plan.lead_department)
    operations.publish_result(task, lead_user, now=datetime(2026, 3, 12, 2, tzinfo=UTC))
    return task


def _notices(department_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.organisation_id == department_id))


def test_an_unpublished_result_past_20_working_days_is_flagged_once(db_session):
    task = entered(make_task())
    late = published(make_task(), "corrected")  # published: never flagged
    db_session.commit()
    task_id, department_id, late_id = task.id, task.plan.lead_department_id, late.id
    assert task.publish_due_on == date(2026, 4, 8)
    notices_before = _notices(department_id)

    with time_machine.travel(datetime(2026, 4, 8, 23, 0, tzinfo=BEIJING), tick=False):
        assert scheduler.run_sweeper("inspection.flag_unpublished_results") == 0  # due today
    flagged_at = datetime(2026, 4, 9, 0, 5, tzinfo=BEIJING)
    with time_machine.travel(flagged_at, tick=False):
        assert scheduler.run_sweeper("inspection.flag_unpublished_results") == 1
    with time_machine.travel(datetime(2026, 4, 10, 9, tzinfo=BEIJING), tick=False):
        assert scheduler.run_sweeper("inspection.flag_unpublished_results") == 0

    task = db.session.get(Task, task_id)
    assert task.overdue_flagged_at == flagged_at.astimezone(UTC)
    assert task.status == TaskStatus.RESULT_ENTERED
    assert db.session.get(Task, late_id).overdue_flagged_at is None
    assert _notices(department_id) == notices_before + 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "inspection.task.publication_overdue")) == 1


def test_a_task_with_no_result_20_working_days_after_its_window_is_flagged_once(db_session):
    """No result at all is the worst case of an unpublished one: it must not slip through."""
    task = make_task(window_ends_on=INSPECTED_ON)
    db_session.commit()
    task_id, department_id = task.id, task.plan.lead_department_id
    notices_before = _notices(department_id)

    with time_machine.travel(datetime(2026, 4, 8, 23, 0, tzinfo=BEIJING), tick=False):
        assert scheduler.run_sweeper("inspection.flag_unpublished_results") == 0  # due today
    with time_machine.travel(datetime(2026, 4, 9, 0, 5, tzinfo=BEIJING), tick=False):
        assert scheduler.run_sweeper("inspection.flag_unpublished_results") == 1
        assert scheduler.run_sweeper("inspection.flag_unpublished_results") == 0

    task = db.session.get(Task, task_id)
    assert task.status == TaskStatus.ASSIGNED and task.overdue_flagged_at is not None
    assert _notices(department_id) == notices_before + 1
    overdue = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "inspection.task.publication_overdue")).one()
    assert overdue.after["publish_due_on"] == "2026-04-08"


def test_public_pages_show_published_results_only(app, db_session):
    public = published(make_task(), "corrected", "公开的检查发现")
    plan = public.plan
    hidden = entered(make_task(plan=plan, agency=make_agency()), "pending", "尚未公开的发现")
    db_session.commit()
    client = english_client(app)

    plan_page = client.get(f"/inspection/public/plans/{plan.number}").get_data(as_text=True)
    assert "公开的检查发现" not in plan_page  # the list shows codes, not findings
    assert public.number in plan_page and "发现问题已责令改正" in plan_page
    assert hidden.number in plan_page  # drawn list: the plan publishes it
    assert "发现问题待后续处理" not in plan_page

    page = client.get(f"/inspection/public/tasks/{public.number}").get_data(as_text=True)
    assert "公开的检查发现" in page
    page = client.get(f"/inspection/public/tasks/{hidden.number}")
    assert page.status_code == 200
    assert "尚未公开的发现" not in page.get_data(as_text=True)
    assert "the result is not public yet" in page.get_data(as_text=True)

    agency_page = client.get(f"/inspection/public/agencies/{hidden.agency_id}")
    assert hidden.number not in agency_page.get_data(as_text=True)
    agency_page = client.get(f"/inspection/public/agencies/{public.agency_id}")
    assert public.number in agency_page.get_data(as_text=True)

    department_page = client.get(
        f"/inspection/public/departments/{plan.lead_department_id}").get_data(as_text=True)
    assert public.number in department_page and hidden.number not in department_page
    index = client.get("/inspection/public/results").get_data(as_text=True)
    assert public.number in index and hidden.number not in index


def test_a_joint_inspection_is_listed_under_each_of_its_departments(app, db_session):
    task = make_task()
    joint = make_department("六安市市场监督管理局")
    task.plan.joint_departments = [joint]
    published(task, "corrected")
    other = make_department("六安市水利局")
    db_session.commit()
    client = english_client(app)
    for department_id in (task.plan.lead_department_id, joint.id):
        page = client.get(f"/inspection/public/departments/{department_id}")
        assert task.number in page.get_data(as_text=True), department_id
    page = client.get(f"/inspection/public/departments/{other.id}")
    assert task.number not in page.get_data(as_text=True)


def test_without_a_published_drawn_list_an_unpublished_task_is_not_public(app, db_session):
    task = entered(make_task(publish_drawn_list=False))
    db_session.commit()
    client = english_client(app)
    assert client.get(f"/inspection/public/tasks/{task.number}").status_code == 404
    plan_page = client.get(f"/inspection/public/plans/{task.plan.number}")
    assert plan_page.status_code == 200 and task.number not in plan_page.get_data(as_text=True)


def test_a_draft_plan_is_not_public(app, db_session):
    task = make_task()
    task.plan.status = "draft"
    db_session.commit()
    client = english_client(app)
    assert client.get(f"/inspection/public/plans/{task.plan.number}").status_code == 404
    assert client.get(f"/inspection/public/tasks/{task.number}").status_code == 404
