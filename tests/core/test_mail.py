"""Email (core.mail): through SMTP only when MAIL_SERVER is configured, after the commit,
never breaking the request; notifications go to the addressed user or the organisation's
active users that have an address. smtplib.SMTP is replaced by a fake server."""

import smtplib

import pytest

from core import mail, notifications
from core.auth.models import Role
from tests.clients import english_client
from tests.factories import make_agency, make_department, make_service_item, make_user
from tests.market.job_builders import make_bidder


class FakeSMTP:
    """Records what a real server would receive."""

    sent: list = []
    instances: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        if FakeSMTP.fail:
            raise ConnectionRefusedError("no server")
        self.host, self.port, self.calls = host, port, []
        FakeSMTP.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.calls.append("starttls")

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(monkeypatch):
    FakeSMTP.sent, FakeSMTP.instances, FakeSMTP.fail = [], [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


@pytest.fixture
def mail_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.gov.cn")
    monkeypatch.setitem(app.config, "MAIL_PORT", 587)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "intermart")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "secret")
    monkeypatch.setitem(app.config, "MAIL_FROM", "noreply@example.gov.cn")


def test_nothing_is_sent_without_a_server(app, smtp):
    assert app.config["MAIL_SERVER"] is None
    assert mail.send_mail(["a@example.com"], "主题", "正文") is False
    assert smtp.instances == [] and smtp.sent == []


def test_a_configured_server_gets_the_mail(app, smtp, mail_configured):
    assert mail.send_mail(["a@example.com", "a@example.com", ""], "合同待确认", "请确认") is True
    [server] = smtp.instances
    assert (server.host, server.port) == ("smtp.example.gov.cn", 587)
    assert server.calls == ["starttls", ("login", "intermart", "secret")]
    [message] = smtp.sent
    assert message["To"] == "a@example.com" and message["From"] == "noreply@example.gov.cn"
    assert message["Subject"] == "合同待确认" and message.get_content().strip() == "请确认"


def test_a_failing_server_is_logged_not_raised(app, smtp, mail_configured, caplog):
    smtp.fail = True
    assert mail.send_mail(["a@example.com"], "主题", "正文") is False
    assert "mail to ['a@example.com'] failed" in caplog.text


def test_notifications_are_mailed_after_the_commit_only(app, db_session, smtp,
                                                        mail_configured):
    agency = make_agency()
    admin = agency.organisation.users[0]
    admin.email = "admin@agency.example"
    make_user(Role.STAFF, agency.organisation).email = "staff@agency.example"
    inactive = make_user(Role.STAFF, agency.organisation)
    inactive.email, inactive.active = "gone@agency.example", False  # inactive: no mail
    make_user(Role.STAFF, agency.organisation)  # no address
    db_session.commit()

    notifications.notify("请确认合同", "采购公告 J4-1", "/jobs/1/contract",
                         organisation_id=agency.organisation_id)
    assert smtp.sent == []  # not before the commit
    db_session.commit()
    [message] = smtp.sent
    assert message["To"] == "admin@agency.example, staff@agency.example"
    assert "/jobs/1/contract" in message.get_content()

    notifications.notify("被回滚的通知", organisation_id=agency.organisation_id)
    db_session.rollback()
    db_session.commit()
    assert len(smtp.sent) == 1  # the rolled-back notification sends nothing

    notifications.notify("只给一人", user_id=admin.id)
    db_session.commit()
    assert smtp.sent[-1]["To"] == "admin@agency.example"


def test_no_mail_is_queued_without_a_server(app, db_session, smtp):
    agency = make_agency()
    agency.organisation.users[0].email = "admin@agency.example"
    notifications.notify("站内通知", organisation_id=agency.organisation_id)
    db_session.commit()
    assert smtp.instances == [] and smtp.sent == []


def test_a_request_that_notifies_mails_with_a_full_link(app, db_session, smtp, mail_configured):
    department = make_department()
    make_user(Role.STAFF, department).email = "regulator@example.gov.cn"
    agency = make_bidder([make_service_item(department)])
    db_session.commit()
    response = english_client(app).post(f"/agencies/{agency.id}/complain", data={
        "name": "王先生", "contact": "13805641234", "content": "收费不合理"})
    assert response.status_code == 302
    [message] = [m for m in smtp.sent if m["To"] == "regulator@example.gov.cn"]
    assert "http://intermart.test/complaints/" in message.get_content()
