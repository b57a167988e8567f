"""Core demo data: the platform admin, a city's departments with their users, and a few
holiday overrides. Everything goes through the operations, so it is validated and audited.

Idempotent: what exists (by username, department name or day) is left alone, and the same
logins are returned every time. The `seed-demo` command commits.
"""

from datetime import date

from sqlalchemy import select

from core import calendar as work_calendar
from core.auth import operations as auth_ops
from core.auth.models import Organisation, OrgKind, Role
from core.extensions import db

PASSWORD = "Demo2026pass"  # every demo account; passes the strength rule

# (username prefix, department, its admin's name, its inspectors' names)
DEPARTMENTS = [
    ("sjj", "六安市数据资源管理局", "周文静", ()),  # the platform's regulator
    ("fgw", "六安市发展和改革委员会", "陈志强", ()),
    ("zrzy", "六安市自然资源和规划局", "王海峰", ("李建国", "张慧敏")),
    ("sthj", "六安市生态环境局", "刘晓东", ("赵磊",)),
    ("zjj", "六安市住房和城乡建设局", "孙丽华", ("吴俊杰", "郑雪梅")),
    ("scjg", "六安市市场监督管理局", "黄明辉", ("何静",)),
    ("yjj", "六安市应急管理局", "马云飞", ("高鹏",)),
    ("qxj", "六安市气象局", "林秀英", ()),
    ("slj", "六安市水利局", "徐长江", ("胡文斌",)),
    ("wlj", "六安市文化和旅游局", "杨春燕", ()),
]
PLATFORM_REGULATOR = "sjj"

# An example of entering an arrangement the holiday library does not know yet.
_NOTE = "（演示数据，以国务院办公厅通知为准）"
OVERRIDES = [
    (date(2027, 9, 26), True, "国庆节调休上班" + _NOTE),
    (date(2027, 10, 6), False, "国庆节调休放假" + _NOTE),
    (date(2027, 10, 7), False, "国庆节调休放假" + _NOTE),
    (date(2027, 10, 9), True, "国庆节调休上班" + _NOTE),
]


def _department(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(
        Organisation.kind == OrgKind.DEPARTMENT, Organisation.name == name))


def _ensure_user(username: str, display_name: str, role: Role,
                 department: Organisation | None = None) -> None:
    if not auth_ops.username_taken(username):
        auth_ops.create_user(username, PASSWORD, display_name, role, department)


def _load_department(prefix: str, name: str, admin_name: str,
                     inspectors: tuple[str, ...]) -> list[tuple[str, str, str]]:
    admin_username = f"{prefix}_admin"
    department = _department(name)
    if department is None:
        department, _admin = auth_ops.create_department(name, None, admin_username, PASSWORD,
                                                        admin_name)
    else:
        _ensure_user(admin_username, admin_name, Role.ORG_ADMIN, department)
    who = "platform regulator" if prefix == PLATFORM_REGULATOR else "department admin"
    logins = [(admin_username, PASSWORD, f"{who} · {name}")]
    for n, inspector_name in enumerate(inspectors, start=1):
        username = f"{prefix}_insp{n}"
        _ensure_user(username, inspector_name, Role.INSPECTOR, department)
        logins.append((username, PASSWORD, f"inspector · {name}"))
    return logins


def load() -> list[tuple[str, str, str]]:
    _ensure_user("admin", "平台管理员", Role.PLATFORM_ADMIN)
    logins = [("admin", PASSWORD, "platform admin")]
    for prefix, name, admin_name, inspectors in DEPARTMENTS:
        logins += _load_department(prefix, name, admin_name, inspectors)
    for day, is_workday, note in OVERRIDES:
        if work_calendar.override_for(day) is None:
            work_calendar.add_override(day, is_workday, note)
    return logins
