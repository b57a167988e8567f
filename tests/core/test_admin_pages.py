"""The platform admin at work: departments, users, holiday overrides, through the pages.
Each change is checked in the database and in the audit log."""

from datetime import date, timedelta

from sqlalchemy import select

from core import admin_views
from core import calendar as work_calendar
from core.audit import history
from core.auth import operations as auth_ops
from core.auth.models import Organisation, OrgKind, Role, User
from core.db import utcnow
from tests.factories import PASSWORD, login, make_agency, make_department, make_uscc, make_user


def _user(db_session, username: str) -> User | None:
    return db_session.scalar(select(User).where(User.username == username))


def _department(db_session, name: str) -> Organisation | None:
    return db_session.scalar(select(Organisation).where(Organisation.name == name))


def _errors(response) -> str:
    return response.get_data(as_text=True)


# --- dashboard ----------------------------------------------------------------------------


def test_dashboard_counts_and_domain_links(admin_client, db_session, monkeypatch):
    make_department()
    make_agency()
    monkeypatch.setattr(admin_views, "ADMIN_LINKS", [])
    admin_views.register_admin_link("admin.holidays", "Catalogue of test things")
    admin_views.register_admin_link("admin.holidays", "Catalogue of test things")  # once only
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="count-department">1<' in page
    assert 'data-testid="count-agency">1<' in page
    assert 'data-testid="count-users">2<' in page  # the admin and the agency's user
    assert page.count("Catalogue of test things") == 1


# --- departments --------------------------------------------------------------------------


def _department_form(**changes) -> dict:
    return {"name": "六安市测试管理局", "uscc": "", "username": "csj_admin",
            "display_name": "王测试", "password": "Strong2026pw", "confirm": "Strong2026pw",
            **changes}


def test_admin_creates_a_department_with_its_admin(admin_client, admin, db_session,
                                                   new_client):
    uscc = make_uscc()
    response = admin_client.post("/admin/departments/new",
                                 data=_department_form(uscc=uscc.lower()))
    assert response.status_code == 302
    department = _department(db_session, "六安市测试管理局")
    assert department.kind == OrgKind.DEPARTMENT and department.uscc == uscc
    head = _user(db_session, "csj_admin")
    assert head.role == Role.ORG_ADMIN and head.organisation is department
    assert login(new_client(), head, "Strong2026pw").status_code == 302

    created = history("organisation", department.id)[0]
    assert created.action == "organisation.create" and created.actor == admin.username
    assert history("user", head.id)[0].after["role"] == "org_admin"
    assert "六安市测试管理局" in admin_client.get("/admin/departments").get_data(as_text=True)


def test_department_form_explains_each_problem(admin_client, db_session):
    taken = make_department("六安市已有局")
    make_user(Role.STAFF, taken, username="taken_name")
    auth_ops.create_organisation(OrgKind.AGENCY, "某机构", uscc := make_uscc())
    bad_uscc = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    cases = [
        ({"username": "taken_name"}, "This username is already taken."),
        ({"username": "TAKEN_NAME"}, "This username is already taken."),
        ({"password": "abcdefgh", "confirm": "abcdefgh"}, "Use both letters and digits."),
        ({"password": "csj_admin1", "confirm": "csj_admin1"},
         "This password is too easy to guess."),
        ({"confirm": "Other2026pw"}, "The passwords do not match."),
        ({"uscc": bad_uscc}, "This is not a valid unified social credit code."),
        ({"uscc": uscc}, "This unified social credit code is already registered."),
        ({"name": "六安市已有局"}, "A department with this name already exists."),
    ]
    for changes, message in cases:
        response = admin_client.post("/admin/departments/new", data=_department_form(**changes))
        assert response.status_code == 200, changes
        assert message in _errors(response), changes
    assert _department(db_session, "六安市测试管理局") is None
    assert _user(db_session, "csj_admin") is None


def test_rename_department_and_refuse_a_taken_name(admin_client, db_session):
    department = make_department("六安市旧名局")
    make_department("六安市另一局")
    db_session.commit()  # earlier requests' work: the refused request rolls back its own only
    url = f"/admin/departments/{department.id}/rename"
    response = admin_client.post(url, data={"name": "六安市另一局"})
    assert response.status_code == 409
    assert "A department named 六安市另一局 already exists." in _errors(response)
    assert department.name == "六安市旧名局"

    assert admin_client.post(url, data={"name": "六安市新名局"}).status_code == 302
    assert department.name == "六安市新名局"
    renamed = history("organisation", department.id)[-1]
    assert renamed.action == "organisation.rename"
    assert (renamed.before, renamed.after) == ({"name": "六安市旧名局"}, {"name": "六安市新名局"})


# --- users --------------------------------------------------------------------------------


def _new_user_form(department_id: int, **changes) -> dict:
    return {"department": department_id, "role": "inspector", "username": "zf_insp9",
            "display_name": "执法员甲", "phone": "0564-3337788", "email": "zf@example.cn",
            "password": "Strong2026pw", "confirm": "Strong2026pw", **changes}


def test_admin_creates_an_inspector_for_a_department(admin_client, admin, db_session):
    department = make_department()
    form_page = admin_client.get(f"/admin/users/new?department={department.id}")
    assert f'<option selected value="{department.id}">' in form_page.get_data(as_text=True)

    response = admin_client.post("/admin/users/new", data=_new_user_form(department.id))
    inspector = _user(db_session, "zf_insp9")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/users/{inspector.id}")
    assert inspector.role == Role.INSPECTOR and inspector.organisation is department
    assert inspector.email == "zf@example.cn"
    entry = history("user", inspector.id)[0]
    assert entry.action == "user.create" and entry.actor == admin.username
    assert entry.after["organisation_id"] == department.id


def test_new_user_form_refuses_bad_input(admin_client, db_session):
    department = make_department()
    agency_org = make_agency().organisation
    make_user(Role.STAFF, department, username="taken_name")
    for changes, message in [
        ({"username": "taken_name"}, "This username is already taken."),
        ({"password": "zf_insp9ab", "confirm": "zf_insp9ab"},
         "This password is too easy to guess."),
        ({"role": "platform_admin"}, "Not a valid choice"),
        ({"department": agency_org.id}, "Not a valid choice"),  # departments only
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"username": "空格 name"}, "Use letters, digits, dot, dash or underscore only."),
    ]:
        response = admin_client.post("/admin/users/new",
                                     data=_new_user_form(department.id, **changes))
        assert response.status_code == 200, changes
        assert message in _errors(response), changes
    assert _user(db_session, "zf_insp9") is None


def test_user_list_filters_and_pages(admin_client, db_session):
    land = make_department("六安市自然资源测试局")
    water = make_department("六安市水利测试局")
    make_user(Role.INSPECTOR, land, username="land_insp")
    make_user(Role.ORG_ADMIN, water, username="water_admin")
    for n in range(admin_views.PAGE_SIZE + 1):
        make_user(Role.STAFF, water, username=f"bulk{n:02d}")

    def names(query: str) -> str:
        return admin_client.get("/admin/users" + query).get_data(as_text=True)

    page = names("?role=inspector")
    assert "land_insp" in page and "water_admin" not in page
    page = names(f"?org={land.id}")
    assert "land_insp" in page and "bulk00" not in page
    page = names("?q=水利测试")  # the organisation's name
    assert "water_admin" in page and "land_insp" not in page
    assert "land_insp" in names("?q=LAND_")
    assert "No users match." in names("?q=100%25")  # LIKE wildcards are plain text
    assert "land_insp" in names("?role=nonsense&org=x")  # bad filters are ignored

    first, second = names("?q=bulk"), names("?q=bulk&page=2")
    assert "bulk29" in first and "bulk30" not in first
    assert "bulk30" in second and "bulk00" not in second


def test_edit_user_details_and_role(admin_client, db_session):
    department = make_department()
    user = make_user(Role.STAFF, department)
    response = admin_client.post(f"/admin/users/{user.id}", data={
        "display_name": "新名字", "role": "inspector", "phone": "13800000000", "email": ""})
    assert response.status_code == 302
    assert (user.display_name, user.role, user.phone, user.email) == \
        ("新名字", Role.INSPECTOR, "13800000000", None)
    entry = history("user", user.id)[-1]
    assert entry.action == "user.update"
    assert (entry.before["role"], entry.after["role"]) == ("staff", "inspector")

    agency_user = make_agency().organisation.users[0]
    response = admin_client.post(f"/admin/users/{agency_user.id}", data={
        "display_name": "x", "role": "inspector"})
    assert "Not a valid choice" in _errors(response)  # agencies have no inspectors
    assert agency_user.role == Role.ORG_ADMIN


def test_disable_and_enable_a_user(admin_client, db_session, new_client):
    user = make_user(Role.ORG_ADMIN, make_department())
    assert admin_client.post(f"/admin/users/{user.id}/disable").status_code == 302
    assert not user.active
    assert "This account has been disabled." in _errors(
        login(new_client(), user))
    assert admin_client.post(f"/admin/users/{user.id}/enable").status_code == 302
    assert user.active
    assert [e.action for e in history("user", user.id)][-2:] == ["user.disable", "user.enable"]


def test_the_last_platform_admin_cannot_be_disabled(admin_client, admin, db_session):
    response = admin_client.post(f"/admin/users/{admin.id}/disable")
    assert response.status_code == 409
    assert "The last active platform admin cannot be disabled." in _errors(response)
    assert admin.active


def test_unlock_a_locked_user(app, admin_client, db_session, new_client):
    user = make_user(Role.INSPECTOR, make_department())
    other = new_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(other, user, "Wrong2026pass")
    assert user.locked_until > utcnow()
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Unlock" in page

    assert admin_client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert user.locked_until is None and user.failed_logins == 0
    entry = history("user", user.id)[-1]
    assert entry.action == "user.unlock" and entry.after == {"locked_until": None,
                                                             "failed_logins": 0}
    assert login(other, user).status_code == 302


def test_reset_password(admin_client, db_session):
    user = make_user(Role.STAFF, make_department(), username="resetme")
    url = f"/admin/users/{user.id}/password"
    response = admin_client.post(url, data={"password": "resetme2026", "confirm": "resetme2026"})
    assert "This password is too easy to guess." in _errors(response)  # holds the username
    assert admin_client.post(url, data={"password": "Fresh2026pw",
                                        "confirm": "Fresh2026pw"}).status_code == 302
    assert auth_ops.authenticate("resetme", "Fresh2026pw")[0] is user
    assert auth_ops.authenticate("resetme", PASSWORD)[0] is None
    assert history("user", user.id)[-1].action == "user.password"


# --- holiday overrides --------------------------------------------------------------------


def test_holidays_page_shows_the_library_and_overrides(admin_client, db_session):
    page = admin_client.get("/admin/holidays?year=2026").get_data(as_text=True)
    assert "National Day" in page
    assert "2026-10-10" in page  # the 调休 Saturday
    assert 'data-testid="no-adjusted-days"' not in page

    assert 'href="/admin/holidays/new?day=2026-10-10"' in page
    form = admin_client.get("/admin/holidays/new?day=2026-10-10").get_data(as_text=True)
    assert 'value="2026-10-10"' in form

    page = admin_client.get("/admin/holidays?year=2099").get_data(as_text=True)
    assert 'data-testid="no-adjusted-days"' in page
    admin_client.get("/lang/zh_CN")
    assert "国庆节" in admin_client.get("/admin/holidays?year=2026").get_data(as_text=True)
    admin_client.get("/lang/en")
    page = admin_client.get("/admin/holidays?year=9999").get_data(as_text=True)
    assert "The holiday library knows no holidays for this year" in page
    assert admin_client.get("/admin/holidays?year=-5").status_code == 404


def test_admin_adds_edits_and_deletes_an_override(admin_client, admin, db_session):
    day = date(2099, 10, 6)  # a Tuesday the library thinks is a working day
    assert work_calendar.is_workday(day)
    response = admin_client.post("/admin/holidays/new", data={
        "day": day.isoformat(), "is_workday": "0", "note": " 国庆节调休 "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/holidays?year=2099")
    override = work_calendar.override_for(day)
    assert (override.is_workday, override.note) == (False, "国庆节调休")
    assert not work_calendar.is_workday(day)
    assert work_calendar.add_working_days(day - timedelta(days=1), 1) == day + timedelta(days=1)
    page = admin_client.get("/admin/holidays?year=2099").get_data(as_text=True)
    assert "国庆节调休" in page

    response = admin_client.post("/admin/holidays/new", data={
        "day": day.isoformat(), "is_workday": "1"})
    assert response.status_code == 409
    assert "already has an override" in _errors(response)

    assert admin_client.post(f"/admin/holidays/{override.id}", data={
        "is_workday": "1", "note": "改为上班"}).status_code == 302
    assert work_calendar.is_workday(day)

    assert admin_client.post(f"/admin/holidays/{override.id}/delete").status_code == 302
    assert work_calendar.override_for(day) is None
    entries = history("calendar_override", day.isoformat())
    assert [e.action for e in entries] == [
        "calendar.override.add", "calendar.override.update", "calendar.override.delete"]
    assert {e.actor for e in entries} == {admin.username}


def test_override_form_needs_a_real_date(admin_client, db_session):
    response = admin_client.post("/admin/holidays/new", data={"day": "2027-02-30",
                                                              "is_workday": "0"})
    assert response.status_code == 200
    assert "Not a valid date value." in _errors(response)
    assert work_calendar.overrides_for_year(2027) == []
    assert admin_client.get("/admin/holidays/new?day=someday").status_code == 200
