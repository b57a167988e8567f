"""Shared builders for the inspection tests. Each engineer's builders live in their own
section; they go through the operations where one exists."""

# --- I1: items, inspectors, plans (through inspection/operations) ---------------------------

import itertools
from datetime import UTC, datetime, timedelta

from core.auth.models import Role
from core.calendar import LOCAL_TZ
from inspection.models import ItemKind, PlanStatus, ScheduleKind
from inspection.operations import catalogue as catalogue_ops
from inspection.operations import plans as plan_ops
from tests.factories import make_admin, make_user

_seq = itertools.count(1)


def make_inspection_item(department, code: str | None = None, service_item=None,
                         kind: ItemKind = ItemKind.GENERAL, name: str | None = None):
    """An active item of `department`'s inspection item list."""
    n = next(_seq)
    return catalogue_ops.create_item(make_admin(), catalogue_ops.ItemInput(
        code=code or f"CC-T{n:04d}", name=name or f"中介机构执业情况检查{n}",
        legal_basis="《中华人民共和国测绘法》第二十七条", department_id=department.id,
        kind=kind, method="书面检查、实地核查",
        service_item_id=service_item.id if service_item else None))


def make_inspector(department, certificate_no: str | None = None, available: bool = True):
    """An inspector-role user of `department` in the inspector pool (its profile)."""
    n = next(_seq)
    user = make_user(Role.INSPECTOR, department, username=f"insp-i1-{n}")
    return catalogue_ops.save_inspector_profile(
        make_admin(), user, certificate_no or f"皖执法3415{n:07d}", "测绘", available)


def plan_input(lead, joint=(), items=None, ratios=None, dates=None, cron: str | None = None,
               now: datetime | None = None, **fields) -> "plan_ops.PlanInput":
    """Valid plan input: one item of the lead's list unless given; one date 30 days on."""
    now = now or datetime.now(UTC)
    items = items if items is not None else [make_inspection_item(lead)]
    if cron is None and dates is None:
        dates = [now.astimezone(LOCAL_TZ).date() + timedelta(days=30)]
    fields.setdefault("team_size", max(2, 1 + len(joint)))
    return plan_ops.PlanInput(
        name=fields.pop("name", f"双随机抽查计划{next(_seq)}"), item_ids=[i.id for i in items],
        joint_department_ids=[d.id for d in joint], ratios=ratios or {},
        schedule_kind=ScheduleKind.CRON if cron else ScheduleKind.DATES, cron=cron or "",
        dates=dates or [], **fields)


def make_plan(lead, joint=(), items=None, ratios=None, dates=None, cron: str | None = None,
              status: PlanStatus = PlanStatus.PUBLISHED, now: datetime | None = None, **fields):
    """A plan of `lead` drafted by a staff user, approved by an org admin and published
    (or stopped at `status`), through the operations: publishing commits its periods."""
    drafter = make_user(Role.STAFF, lead)
    plan = plan_ops.draft(drafter, plan_input(lead, joint, items, ratios, dates, cron, now,
                                              **fields), now=now)
    if status in (PlanStatus.APPROVED, PlanStatus.PUBLISHED, PlanStatus.CLOSED):
        plan_ops.approve(make_user(Role.ORG_ADMIN, lead), plan, now=now)
    if status in (PlanStatus.PUBLISHED, PlanStatus.CLOSED):
        plan_ops.publish(drafter, plan, now=now)
    if status == PlanStatus.CLOSED:
        plan_ops.close(make_user(Role.ORG_ADMIN, lead), plan, now=now)
    return plan


# --- I3: a drawn task built directly (tasks, publication, PDFs, dashboard tests) -----------

import itertools as _itertools  # noqa: E402
from datetime import UTC as _UTC  # noqa: E402
from datetime import date as _date  # noqa: E402
from datetime import datetime as _datetime  # noqa: E402

from core import randomness as _randomness  # noqa: E402
from core.auth.models import Role as _Role  # noqa: E402
from core.extensions import db as _db  # noqa: E402
from credit.operations.subjects import register_subject as _register_subject  # noqa: E402
from inspection import models as _im  # noqa: E402
from tests import factories as _f  # noqa: E402

_task_seq = _itertools.count(1)
TASK_DRAWN_AT = _datetime(2026, 3, 2, 1, 0, tzinfo=_UTC)  # Monday 09:00 in Beijing


def make_task_inspector(department, name: str | None = None) -> "_im.InspectorProfile":
    """An inspector-role user of `department` with a profile in the inspector pool."""
    n = next(_task_seq)
    user = _f.make_user(_Role.INSPECTOR, department, username=name or f"inspector{n}x")
    profile = _im.InspectorProfile(user_id=user.id, certificate_no=f"ZF{n:08d}",
                                   expertise="测绘")
    _db.session.add(profile)
    _db.session.flush()
    return profile


def make_task(agency=None, lead=None, inspectors=None, item=None, plan=None,
              drawn_at: _datetime = TASK_DRAWN_AT, window_ends_on: _date = _date(2026, 3, 30),
              publish_drawn_list: bool = True) -> "_im.Task":
    """A drawn, assigned task of a published plan led by `lead`, with a two-inspector team
    (both of `lead`), built directly; the agency is registered with credit."""
    n = next(_task_seq)
    lead = lead or (plan.lead_department if plan else _f.make_department())
    if plan is None:
        item = item or _im.InspectionItem(
            code=f"JCSX{n:04d}", name=f"中介服务收费检查{n}", legal_basis="《价格法》第十二条",
            department_id=lead.id, method="书面检查")
        plan = _im.Plan(number=f"JCJH-2026-{n:04d}", name=f"2026年中介服务抽查计划{n}",
                        lead_department_id=lead.id, ratios={"A": "2", "B": "5", "C": "20",
                                                            "D": "100"},
                        schedule_kind=_im.ScheduleKind.DATES, dates=["2026-03-02"],
                        publish_drawn_list=publish_drawn_list,
                        status=_im.PlanStatus.PUBLISHED, published_at=drawn_at)
        plan.items = [item]
        _db.session.add(plan)
        _db.session.flush()
    agency = agency or _f.make_agency()
    _register_subject(agency.uscc, agency.name)
    draw = _randomness.commit("inspection.objects", f"inspection-test:{n}")
    period = _im.PlanPeriod(plan_id=plan.id, period_key=f"2026-03-02T09:00#{n}",
                            due_at=drawn_at, status=_im.PeriodStatus.DRAWN,
                            object_draw_id=draw.id, drawn_at=drawn_at)
    _db.session.add(period)
    _db.session.flush()
    task = _im.Task(number=f"JCRW-2026-{900000 + n:06d}", plan_id=plan.id,
                    period_id=period.id, agency_id=agency.id, stratum="B",
                    window_ends_on=window_ends_on)
    _db.session.add(task)
    _db.session.flush()
    for profile in inspectors or [make_task_inspector(lead), make_task_inspector(lead)]:
        _db.session.add(_im.TaskInspector(task_id=task.id, inspector_id=profile.id,
                                          department_id=lead.id))
    _db.session.flush()
    _db.session.refresh(task)
    return task
