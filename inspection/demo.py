"""Inspection demo data (RULES.md §3): the item list, the demo inspectors in the pool, one
declared conflict, and one published plan per lead department — among them a joint plan of
自然资源和规划局 and 市场监督管理局 whose first draw date has passed (the scheduler draws it at
once) and whose second is ahead — and one past plan of 水利局 with 生态环境局 whose drawn task
has a result entered weeks ago and a rectification deadline that passed without a follow-up,
flagged as overdue (RULES.md §3 "rectification order with deadline and follow-up"); and a
plan of 气象局, which has no inspector yet, whose due period could not be drawn.

Idempotent: what exists (item codes, profiles, the conflict, plans by name) is left alone.
Everything goes through the operations. Runs after core, credit and market demo data.
"""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from core.auth import operations as auth_ops
from core.auth.models import Organisation, Role, User
from core.calendar import LOCAL_TZ, add_working_days, is_workday
from core.demo import DEPARTMENTS, PASSWORD
from core.extensions import db
from inspection import data, queries
from inspection.models import PeriodStatus, Plan, ScheduleKind
from inspection.operations import catalogue as catalogue_ops
from inspection.operations import draws as draw_ops
from inspection.operations import plans as plan_ops
from inspection.operations import tasks as task_ops
from inspection.scheduled import draw_or_record_failure
from market import queries as market_queries
from market.models import Agency

# (lead department, drafting staff username, plan name, joint departments, item codes,
#  schedule: ("dates", days from today…) or ("cron", expression))
PLANS = [
    (data.ZRZY, "zrzy_staff", "2026年度测绘及中介收费跨部门联合抽查", [data.SC],
     ["CC-ZRZY-001", "CC-SC-001"], ("dates", -1, 30)),
    (data.ZJ, "zjj_staff", "建设工程中介服务机构季度随机抽查", [],
     ["CC-ZJ-001", "CC-ZJ-002"], ("cron", "0 9 1 */3 *")),
    (data.STHJ, "sthj_staff", "环评与安全评价机构联合抽查", [data.YJ],
     ["CC-STHJ-001", "CC-YJ-001"], ("dates", 45, 135)),
]


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _load_profiles(admin: User) -> None:
    """Every demo inspector (usernames ending _insp1/_insp2) joins the pool."""
    inspectors = db.session.scalars(select(User).where(User.role == Role.INSPECTOR)
                                    .order_by(User.username))
    for n, user in enumerate(inspectors, start=1):
        if user.username.rsplit("_", 1)[-1] in ("insp1", "insp2") \
                and queries.profile_of_user(user.id) is None:
            catalogue_ops.save_inspector_profile(admin, user, f"皖执法341500{12340 + n}",
                                                 expertise="中介服务机构执业监督检查")


def _load_conflict() -> None:
    inspector = _user("zrzy_insp1")
    profile = queries.profile_of_user(inspector.id) if inspector else None
    pool = queries.object_pool(queries.PoolFilters())
    if profile is None or not pool or queries.conflicts(inspector_id=profile.id):
        return
    agency = db.session.get(Agency, pool[0].agency_id)
    catalogue_ops.declare_conflict(profile, agency, "本人配偶在该机构任职，依法申请回避。")


def _staff(username: str, department: Organisation) -> User:
    return _user(username) or auth_ops.create_user(username, PASSWORD, "计划编制员",
                                                   Role.STAFF, department)


def _plan_input(name, joint, codes, schedule, today) -> plan_ops.PlanInput:
    items = [i for i in queries.items() if i.code in codes]
    kind, *rest = schedule
    return plan_ops.PlanInput(
        name=name, item_ids=[i.id for i in items],
        joint_department_ids=[data.department(d).id for d in joint],
        team_size=len(joint) + 1 if joint else 2, min_count=2,
        schedule_kind=ScheduleKind(kind), cron=rest[0] if kind == "cron" else "",
        dates=[today + timedelta(days=n) for n in rest] if kind == "dates" else [])


def _load_plan(lead_name, staff_name, name, joint, codes, schedule) -> list:
    lead = data.department(lead_name)
    admin = _user(f"{_prefix(lead_name)}_admin")
    if lead is None or admin is None or any(data.department(d) is None for d in joint):
        return []
    staff = _staff(staff_name, lead)
    login = [(staff_name, PASSWORD, f"department staff · {lead_name}")]
    if db.session.scalar(select(Plan).where(Plan.name == name)) is not None:
        return login
    # Drafted, approved and published a few days ago, so the first date may have passed.
    then = datetime.now(UTC) - timedelta(days=3)
    plan = plan_ops.draft(staff, _plan_input(name, joint, codes, schedule,
                                             datetime.now(LOCAL_TZ).date()), now=then)
    plan_ops.approve(admin, plan, now=then)
    plan_ops.publish(staff, plan, now=then)
    return login


# A published plan whose department has no inspector in the pool yet: its due period cannot be
# drawn, and the plan page tells 气象局 why (RULES.md §3 "Draw"; retried by the scheduler).
UNDRAWABLE = (data.QX, "qxj_staff", "2026年雷电防护装置检测资质单位“双随机”抽查", [],
              ["CC-QX-001"], ("dates", -1, 60))


def _load_undrawable() -> list:
    login = _load_plan(*UNDRAWABLE)
    plan = db.session.scalar(select(Plan).where(Plan.name == UNDRAWABLE[2]))
    now = datetime.now(UTC)
    for period in plan.periods if plan else []:
        if period.status == PeriodStatus.COMMITTED and period.due_at <= now \
                and not period.draw_attempts:
            draw_or_record_failure(period.id, now)
    return login


# A plan drawn in the past whose task's rectification is overdue: (lead, drafting staff, name,
# joint, item codes, service item of the pool, inspector entering the result, result code,
# findings, rectification order, and the timing: the draw that many days ago, the inspection's
# end that many working days after it, the rectification due that many days after that).
OVERDUE_RECTIFICATION = (
    data.SL, "slj_staff", "水土保持方案编制单位技术服务专项抽查", [data.STHJ], ["CC-SL-001"],
    "ZJ-SL-001", "slj_insp1", "corrected",
    "抽查该机构近一年编制的3份生产建设项目水土保持方案，其中1份弃渣场选址论证不充分、"
    "拦挡措施工程量与设计图纸不一致，编制人员未按规定签署。",
    "责令10日内修改完善该方案弃渣场论证和拦挡措施工程量，补签编制人员签字，并报送书面整改报告。",
    (26, 4, 10),
)


def _workday_on_or_before(day):
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def _load_overdue_rectification() -> list:
    """Draft, approve and publish the plan before its draw date, draw it on that date, enter
    the team's result, then flag what is overdue now — all through the operations, at the
    dates they would have happened."""
    (lead_name, staff_name, name, joint, codes, service_code, inspector_name, code, findings,
     order, (drawn_days_ago, inspection_working_days, rectify_days)) = OVERDUE_RECTIFICATION
    lead, admin = data.department(lead_name), _user(f"{_prefix(lead_name)}_admin")
    inspector = _user(inspector_name)
    service_item = market_queries.service_item_by_code(service_code)
    if None in (lead, admin, inspector, service_item) \
            or any(data.department(d) is None for d in joint):
        return []
    staff = _staff(staff_name, lead)
    login = [(staff_name, PASSWORD, f"department staff · {lead_name}")]
    if db.session.scalar(select(Plan).where(Plan.name == name)) is not None:
        return login
    today = datetime.now(LOCAL_TZ).date()
    draw_day = _workday_on_or_before(today - timedelta(days=drawn_days_ago))
    inspected_on = add_working_days(draw_day, inspection_working_days)
    drafted_at = datetime.combine(draw_day - timedelta(days=3), time(10), LOCAL_TZ)
    plan_input = _plan_input(name, joint, codes, ("dates", 3), draw_day - timedelta(days=3))
    plan_input.service_item_id, plan_input.min_count = service_item.id, 1
    plan = plan_ops.draft(staff, plan_input, now=drafted_at)
    plan_ops.approve(admin, plan, now=drafted_at)
    plan_ops.publish(staff, plan, now=drafted_at)
    (period,) = plan.periods
    for task in draw_ops.draw_period(period, now=period.due_at.replace(tzinfo=UTC)):
        if task_ops.team_member(task, inspector) is not None:
            entered_at = datetime.combine(inspected_on, time(16), LOCAL_TZ)
            task_ops.enter_result(task, inspector, code, findings, inspected_on, order,
                                  inspected_on + timedelta(days=rectify_days), now=entered_at)
    task_ops.flag_overdue_rectifications()
    return login


def _prefix(department_name: str) -> str:
    return next(row[0] for row in DEPARTMENTS if row[1] == department_name)


def load() -> list[tuple[str, str, str]]:
    admin = _user("admin")
    if admin is None:
        return []
    data.load_items(admin)
    _load_profiles(admin)
    _load_conflict()
    logins = []
    for entry in PLANS:
        logins += _load_plan(*entry)
    logins += _load_overdue_rectification()
    logins += _load_undrawable()
    return logins
