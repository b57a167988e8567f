"""Rectification order with a deadline and follow-up (RULES.md §3 "Task"): a deadline passed
without a follow-up is flagged to the lead department once (sweeper), listed on the
department's dashboard and marked on the task page."""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from core import scheduler
from core.audit import AuditEntry
from core.auth.models import Role
from core.extensions import db
from core.notifications import Notification
from inspection.models import Task
from inspection.operations import tasks as operations
from tests.clients import english_client
from tests.factories import make_agency, make_department, make_user
from tests.inspection.builders import make_task

BEIJING = ZoneInfo("Asia/Shanghai")
SWEEPER = "inspection.flag_overdue_rectifications"
INSPECTED_ON = date(2026, 3, 10)
DUE_ON = date(2026, 3, 20)  # rectify by Friday 20 March


def entered(task, code: str = "corrected", due_on: date = DUE_ON):
    operations.enter_result(task, task.team[0].inspector.user, code,
                            "抽查2份成果文件，1份未按规定加盖执业印章。", INSPECTED_ON,
                            "责令10日内补正成果文件签章并报送整改报告。", due_on,
                            now=datetime(2026, 3, 10, 8, tzinfo=UTC))
    return task


def _notices(department_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.organisation_id == department_id))


def _audits() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "inspection.task.rectification_overdue"))


def _overdue_list(page: str) -> str:
    return re.search(r'data-testid="overdue-rectifications">(.*?)</ul>', page, re.S)[1]


def test_a_rectification_past_its_deadline_without_follow_up_is_flagged_once(db_session):
    task = entered(make_task())
    plan = task.plan
    followed_up = entered(make_task(plan=plan, agency=make_agency()))
    operations.record_follow_up(followed_up, followed_up.team[0].inspector.user,
                                "复查确认已补正签章，整改到位。",
                                now=datetime(2026, 3, 18, 2, tzinfo=UTC))
    not_yet_due = entered(make_task(plan=plan, agency=make_agency()), due_on=date(2026, 4, 30))
    no_order = entered(make_task(plan=plan, agency=make_agency()), code="no_problem")
    db_session.commit()
    ids = task.id, followed_up.id, not_yet_due.id, no_order.id
    department_id = plan.lead_department_id
    notices_before = _notices(department_id)

    with time_machine.travel(datetime(2026, 3, 20, 23, 0, tzinfo=BEIJING), tick=False):
        assert scheduler.run_sweeper(SWEEPER) == 0  # due today: not yet overdue
    flagged_at = datetime(2026, 3, 21, 0, 5, tzinfo=BEIJING)
    with time_machine.travel(flagged_at, tick=False):
        assert scheduler.run_sweeper(SWEEPER) == 1
        assert scheduler.run_sweeper(SWEEPER) == 0  # a second scheduler, the same minute
    with time_machine.travel(datetime(2026, 3, 23, 9, tzinfo=BEIJING), tick=False):
        assert scheduler.run_sweeper(SWEEPER) == 0

    task, followed_up, not_yet_due, no_order = (db.session.get(Task, i) for i in ids)
    assert task.rectification_flagged_at == flagged_at.astimezone(UTC)
    assert task.followed_up_at is None
    assert followed_up.rectification_flagged_at is None
    assert not_yet_due.rectification_flagged_at is None
    assert no_order.rectification_flagged_at is None and no_order.rectification_order is None
    assert task.overdue_flagged_at is None  # the publication flag is another matter
    assert _notices(department_id) == notices_before + 1
    notice = db.session.scalars(select(Notification).where(
        Notification.organisation_id == department_id).order_by(Notification.id.desc())).first()
    assert task.number in notice.title and "2026-03-20" in notice.body
    assert _audits() == 1
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "inspection.task.rectification_overdue")).one()
    assert entry.after["rectification_due_on"] == "2026-03-20"


def test_a_follow_up_recorded_before_the_sweep_is_not_flagged(db_session):
    task = entered(make_task())
    db_session.commit()
    with time_machine.travel(datetime(2026, 3, 25, 9, tzinfo=BEIJING), tick=False):
        operations.record_follow_up(task, task.team[0].inspector.user, "逾期后复查，已整改。")
        assert operations.flag_overdue_rectifications() == 0
    assert task.rectification_flagged_at is None and _audits() == 0


def test_the_flag_shows_on_the_dashboard_and_the_task_page(app, db_session):
    task = entered(make_task())
    plan = task.plan
    joint = make_department("六安市市场监督管理局")
    plan.joint_departments = [joint]
    other = entered(make_task(agency=make_agency()))  # overdue too, in another department
    lead_user = make_user(Role.STAFF, plan.lead_department)
    joint_user = make_user(Role.STAFF, joint)
    db_session.commit()
    with time_machine.travel(datetime(2026, 3, 21, 0, 5, tzinfo=BEIJING), tick=False):
        assert operations.flag_overdue_rectifications() == 2
    db_session.commit()

    client = english_client(app, lead_user)
    page = client.get("/inspection/dashboard?year=2026").get_data(as_text=True)
    overdue = _overdue_list(page)
    assert f'href="/inspection/tasks/{task.id}"' in overdue and task.number in overdue
    assert task.agency.name in overdue and "2026-03-20" in overdue
    assert other.number not in overdue  # not a plan of the viewer's department
    assert "Rectification overdue (1)" in page
    joint_page = english_client(app, joint_user).get("/inspection/dashboard").get_data(
        as_text=True)
    assert task.number in _overdue_list(joint_page)

    detail = client.get(f"/inspection/tasks/{task.id}").get_data(as_text=True)
    badge = re.search(r'data-testid="rectification-overdue">(.*?)</span>', detail, re.S)[1]
    assert badge == "Rectification overdue since 2026-03-20"

    operations.record_follow_up(task, lead_user, "复查确认已补正签章，整改到位。")
    db_session.commit()
    detail = client.get(f"/inspection/tasks/{task.id}").get_data(as_text=True)
    assert 'data-testid="rectification-overdue"' not in detail
    page = client.get("/inspection/dashboard?year=2026").get_data(as_text=True)
    assert task.number not in _overdue_list(page)
