"""Who may open the admin pages; the error pages; CSRF on every form."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from core.auth import operations as auth_ops
from core.auth.models import OrgKind, Role
from core.calendar import CalendarOverride
from tests.factories import PASSWORD, login, make_agency, make_department, make_uscc, make_user

ADMIN_PAGES = ["/admin/", "/admin/departments", "/admin/departments/new", "/admin/users",
               "/admin/users/new", "/admin/holidays", "/admin/holidays/new", "/admin/audit",
               "/admin/audit/verify"]


def _agency_user():
    return make_agency().organisation.users[0]


def _owner_user():
    owner = auth_ops.create_organisation(OrgKind.OWNER, "六安市测试城投有限公司", make_uscc())
    return make_user(Role.ORG_ADMIN, owner)


def _department_admin():
    return make_user(Role.ORG_ADMIN, make_department())


def _inspector():
    return make_user(Role.INSPECTOR, make_department())


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_anonymous_post_changes_nothing(client, db_session):
    response = client.post("/admin/holidays/new", data={"day": "2027-01-04", "is_workday": "0"})
    assert response.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(CalendarOverride)) == 0


@pytest.mark.parametrize("make", [_agency_user, _owner_user, _department_admin, _inspector],
                         ids=["agency", "owner", "department", "inspector"])
def test_other_users_are_forbidden(client, db_session, make):
    login(client, make())
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You do not have permission" in response.get_data(as_text=True)


def test_platform_admin_opens_every_admin_page(admin_client):
    for url in ADMIN_PAGES:
        assert admin_client.get(url).status_code == 200, url


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unknown_admin_objects_are_404(admin_client, db_session):
    agency_org = make_agency().organisation
    for url in ["/admin/users/999999", "/admin/holidays/999999",
                f"/admin/departments/{agency_org.id}/rename"]:  # not a department
        assert admin_client.get(url).status_code == 404, url


# --- CSRF ---------------------------------------------------------------------------------


def _token(client, url: str) -> str:
    """The token a browser finds in the page's form."""
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_login_without_token_is_refused(client, db_session, csrf_enforced):
    user = make_user(Role.ORG_ADMIN, make_department())
    response = login(client, user)
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert user.last_login_at is None


def test_admin_post_without_token_is_refused_and_writes_nothing(client, admin, db_session,
                                                              csrf_enforced):
    response = client.post("/login", data={"username": admin.username, "password": PASSWORD,
                                           "csrf_token": _token(client, "/login")})
    assert response.status_code == 302

    form = {"day": "2027-01-04", "is_workday": "0", "note": "x"}
    assert client.post("/admin/holidays/new", data=form).status_code == 400
    assert client.post(f"/admin/users/{admin.id}/disable").status_code == 400
    assert db_session.scalar(select(func.count()).select_from(CalendarOverride)) == 0
    assert admin.active

    # The same request with the page's token goes through: the token was the only problem.
    form["csrf_token"] = _token(client, "/admin/holidays/new")
    assert client.post("/admin/holidays/new", data=form).status_code == 302
    saved = db_session.scalar(select(CalendarOverride))
    assert saved.day == date(2027, 1, 4) and not saved.is_workday
