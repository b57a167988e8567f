"""The inspection demo data: items, the inspector pool, a conflict and published plans —
the joint plan with a passed and a coming date — loaded idempotently."""

from datetime import UTC, datetime

from sqlalchemy import func, select

import core.demo
import credit.demo
import inspection.demo
import market.demo
from core.randomness import Draw
from inspection.models import (
    InspectionItem,
    InspectorConflict,
    InspectorProfile,
    Plan,
    PlanPeriod,
    PlanStatus,
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
    assert len(plans) == 3 and {p.status for p in plans} == {PlanStatus.PUBLISHED}
    joint = next(p for p in plans if p.joint_departments)
    assert {d.name for d in joint.departments} == {"六安市自然资源和规划局", "六安市市场监督管理局"}
    now = datetime.now(UTC)
    due = [p.due_at.replace(tzinfo=UTC) for p in joint.periods]
    assert len(due) == 2 and due[0] < now < due[1]
    assert all(db_session.get(Draw, p.object_draw_id).drawn_at is None for p in joint.periods)
