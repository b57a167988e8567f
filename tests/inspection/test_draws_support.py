"""Builders for the draw and scheduling tests (no tests here): a pool of agencies at given
credit levels, inspectors, a published plan and its committed periods."""

import itertools
from datetime import UTC, datetime

from sqlalchemy import select

from core import randomness
from core.auth.models import Role
from core.calendar import LOCAL_TZ
from core.extensions import db
from credit.operations.subjects import register_subject
from credit.queries.subjects import subject_for
from inspection import rules
from inspection.models import (
    InspectionItem,
    InspectorProfile,
    PlanPeriod,
    PlanStatus,
    ScheduleKind,
    Task,
)
from inspection.models import Plan as PlanModel
from tests.factories import make_agency, make_department, make_user

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Beijing
DEFAULT_RATIOS = {"A": "2", "B": "5", "C": "20", "D": "100"}
_seq = itertools.count(1)


def make_pool(sizes: dict[str, int]) -> dict[str, list]:
    """Agencies per credit level; the level is set on their credit subject."""
    pool = {}
    for level, size in sizes.items():
        pool[level] = []
        for _ in range(size):
            agency = make_agency(with_user=False)
            subject = subject_for(agency.uscc) or register_subject(agency.uscc, agency.name)
            subject.level = level
            pool[level].append(agency)
    db.session.flush()
    return pool


def make_inspectors(department, count: int) -> list[InspectorProfile]:
    profiles = []
    for _ in range(count):
        n = next(_seq)
        user = make_user(Role.INSPECTOR, department, username=f"draw-inspector{n}")
        profile = InspectorProfile(user=user, certificate_no=f"ZF{n:06d}")
        db.session.add(profile)
        profiles.append(profile)
    db.session.flush()
    return profiles


def make_item(department) -> InspectionItem:
    n = next(_seq)
    item = InspectionItem(code=f"DRAW-{n}", name=f"中介服务收费检查{n}", legal_basis="《价格法》",
                          department_id=department.id, method="书面检查")
    db.session.add(item)
    db.session.flush()
    return item


def make_published_plan(joint: bool = False, ratios: dict | None = None, team_size: int = 2,
                        window_working_days: int = 20, min_count: int = 1, items=None):
    """A published plan of a new lead department (and a joint one); its ratios are the
    defaults overridden by `ratios`."""
    lead = make_department()
    joint_department = make_department() if joint else None
    n = next(_seq)
    plan = PlanModel(number=f"JCJH-2026-9{n:05d}", name=f"抽查计划{n}", lead_department_id=lead.id,
                     ratios=DEFAULT_RATIOS | (ratios or {}), min_count=min_count,
                     team_size=team_size, schedule_kind=ScheduleKind.DATES, dates=[],
                     window_working_days=window_working_days, status=PlanStatus.PUBLISHED,
                     published_at=NOW)
    plan.lead_department = lead
    plan.joint_departments = [joint_department] if joint else []
    plan.items = items if items is not None else [make_item(lead)]
    db.session.add(plan)
    db.session.flush()
    return plan, (lead, joint_department)


def make_period(plan, due_at: datetime = NOW) -> PlanPeriod:
    """A committed period: the object and team draws' seed hashes published in advance."""
    key = rules.period_key(due_at.astimezone(LOCAL_TZ))
    objects = randomness.commit("inspection.objects", f"plan:{plan.number}:{key}")
    teams = randomness.commit("inspection.teams", f"plan:{plan.number}:{key}")
    period = PlanPeriod(plan_id=plan.id, period_key=key, due_at=due_at,
                        object_draw_id=objects.id, team_draw_id=teams.id)
    db.session.add(period)
    db.session.flush()
    return period


def period_tasks(period) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.period_id == period.id)))
