"""The inspection demo data: items, the inspector pool, a conflict and published plans —
the joint plan with a passed and a coming date, and a past plan whose task's rectification
is overdue (flagged) — loaded idempotently."""

from datetime import UTC, datetime

from sqlalchemy import func, select

import core.demo
import credit.demo
import inspection.demo
import market.demo
from core.calendar import LOCAL_TZ
from core.randomness import Draw
from inspection.models import (
    InspectionItem,
    InspectorConflict,
    InspectorProfile,
    PeriodStatus,
    Plan,
    PlanPeriod,
    PlanStatus,
    Task,
    TaskStatus,
)


def _counts(db_session) -> tuple:
    return tuple(db_session.scalar(select(func.count()).select_from(model)) for model in
                 (InspectionItem, InspectorProfile, InspectorConflict, Plan, PlanPeriod, Draw))


def test_demo_loads_once(db_session):
    for module in (core.demo, credit.demo, market.demo):
        module.load()
    logins = inspection.demo.load()
    assert {"zrzy_staff", "zjj_staff", "sthj_staff"} <= {username for username, *_ in logins}
    first = _counts(db_session)
    assert inspection.demo.load() == logins
    assert _counts(db_session) == first

    certificates = list(db_session.scalars(select(InspectorProfile.certificate_no)))
    assert certificates and all(c.startswith("皖执法3415") for c in certificates)
    assert first[2] == 1  # one declared conflict
    plans = list(db_session.scalars(select(Plan).order_by(Plan.id)))
    assert len(plans) == 5 and {p.status for p in plans} == {PlanStatus.PUBLISHED}
    joint = next(p for p in plans if p.joint_departments)
    assert {d.name for d in joint.departments} == {"六安市自然资源和规划局", "六安市市场监督管理局"}
    now = datetime.now(UTC)
    due = [p.due_at.replace(tzinfo=UTC) for p in joint.periods]
    assert len(due) == 2 and due[0] < now < due[1]
    assert all(db_session.get(Draw, p.object_draw_id).drawn_at is None for p in joint.periods)

    (task,) = db_session.scalars(select(Task).where(Task.rectification_flagged_at.is_not(None)))
    assert task.plan.lead_department.name == "六安市水利局"
    assert task.status == TaskStatus.RESULT_ENTERED and task.followed_up_at is None
    assert task.rectification_order.startswith("责令") and task.findings
    assert task.rectification_due_on < datetime.now(LOCAL_TZ).date() < task.publish_due_on
    assert db_session.scalar(select(func.count()).select_from(Task)) == 1

    # 气象局 has no inspector in the pool: its due period shows why it is not drawn
    (stuck,) = db_session.scalars(select(PlanPeriod).where(PlanPeriod.draw_error.is_not(None)))
    assert stuck.plan.lead_department.name == "六安市气象局" and stuck.draw_attempts == 1
    assert stuck.status == PeriodStatus.COMMITTED and "执法检查人员" in stuck.draw_error
