"""In-app notifications: addressed to an organisation, seen by its users only."""

from core import notifications
from core.auth.models import Role
from tests.clients import english_client
from tests.factories import make_agency, make_user


def test_an_organisation_notice_shows_unread_then_read(app, db_session):
    agency = make_agency()
    staff = make_user(Role.STAFF, agency.organisation)
    note = notifications.notify("请于5个工作日内提交合同", "采购项目 LA-2026-001",
                                "/my/agency", organisation_id=agency.organisation_id)
    db_session.commit()
    client = english_client(app, staff)

    page = client.get("/account/notifications").get_data(as_text=True)
    assert "请于5个工作日内提交合同" in page
    assert 'data-testid="unread">1<' in page

    response = client.post(f"/account/notifications/{note.id}/read")
    assert response.status_code == 302 and response.location.endswith("/my/agency")
    assert notifications.unread_count(staff) == 0
    assert 'data-testid="unread"' not in client.get("/account/notifications").get_data(True)


def test_another_organisation_cannot_see_or_mark_it(app, db_session):
    addressee, outsider = make_agency(), make_agency()
    note = notifications.notify("仅限本机构", organisation_id=addressee.organisation_id)
    db_session.commit()
    client = english_client(app, make_user(Role.STAFF, outsider.organisation))

    assert "仅限本机构" not in client.get("/account/notifications").get_data(as_text=True)
    assert client.post(f"/account/notifications/{note.id}/read").status_code == 404
    assert db_session.get(notifications.Notification, note.id).read_at is None


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/account/notifications")
    assert response.status_code == 302 and "/login" in response.location
