"""Demo data: created through the operations (audited), and loading twice changes nothing.
(Few tests, each loading once or twice: every demo account hashes a password.)"""

from datetime import date

from sqlalchemy import func, select

from core import calendar as work_calendar
from core import demo
from core.audit import AuditEntry, history
from core.auth.models import Organisation, OrgKind, Role, User
from core.calendar import CalendarOverride
from tests.factories import login


def _counts(db_session) -> tuple[int, ...]:
    return tuple(db_session.scalar(select(func.count()).select_from(model))
                 for model in (Organisation, User, CalendarOverride, AuditEntry))


def _user(db_session, username: str) -> User:
    return db_session.scalar(select(User).where(User.username == username))


def test_demo_loads_once_and_is_audited(db_session):
    first = demo.load()
    after_first = _counts(db_session)
    assert demo.load() == first
    assert _counts(db_session) == after_first
    assert len({username for username, _, _ in first}) == len(first)
    assert {password for _, password, _ in first} == {"Demo2026pass"}

    admin = _user(db_session, "admin")
    assert admin.role == Role.PLATFORM_ADMIN and admin.organisation is None
    assert first[0] == ("admin", "Demo2026pass", "platform admin")
    regulator = _user(db_session, "sjj_admin").organisation
    assert (regulator.name, regulator.kind) == ("六安市数据资源管理局", OrgKind.DEPARTMENT)
    inspector = _user(db_session, "zrzy_insp2")
    assert inspector.role == Role.INSPECTOR
    assert inspector.organisation.name == "六安市自然资源和规划局"
    departments = db_session.scalar(select(func.count()).select_from(Organisation)
                                    .where(Organisation.kind == OrgKind.DEPARTMENT))
    assert departments == len(demo.DEPARTMENTS)
    assert all(history("user", u.id)[0].action == "user.create"
               for u in db_session.scalars(select(User)))

    assert work_calendar.is_workday(date(2027, 10, 9))  # a Saturday worked (demo 调休)
    assert not work_calendar.is_workday(date(2027, 10, 6))


def test_demo_logins_work_with_their_roles(db_session, new_client):
    demo.load()
    admin = new_client()
    assert login(admin, "admin", "Demo2026pass").status_code == 302
    assert "六安市生态环境局" in admin.get("/admin/departments").get_data(as_text=True)

    department_admin = new_client()
    assert login(department_admin, "zrzy_admin", "Demo2026pass").status_code == 302
    assert department_admin.get("/admin/").status_code == 403
