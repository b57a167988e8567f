"""Signing in: success, wrong password, lockout, disabled accounts, password strength."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from core.audit import AuditEntry
from core.auth import operations as auth_ops
from core.auth.models import Role
from core.db import utcnow
from tests.factories import PASSWORD, login, make_department, make_user


def _signed_in(client) -> bool:
    response = client.get("/account/password")
    return response.status_code == 200


def test_right_password_signs_in_and_follows_next(client, db_session):
    user = make_user(Role.ORG_ADMIN, make_department())
    response = client.post("/login?next=/account/password",
                           data={"username": user.username.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"
    assert user.last_login_at is not None
    assert _signed_in(client)


def test_next_to_another_site_is_not_followed(client, db_session):
    user = make_user(Role.ORG_ADMIN, make_department())
    response = client.post("/login?next=//evil.example/x",
                           data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_wrong_password_is_refused_and_counted(client, db_session):
    user = make_user(Role.ORG_ADMIN, make_department())
    response = login(client, user, "Wrong2026pass")
    assert response.status_code == 200
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert user.failed_logins == 1
    assert not _signed_in(client)


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, db_session):
    response = login(client, "nobody_here", "Wrong2026pass")
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_lockout_after_max_failures_refuses_even_the_right_password(app, client, db_session):
    user = make_user(Role.ORG_ADMIN, make_department())
    failures = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(failures - 1):
        assert "Wrong username" in login(client, user, "Wrong2026pass").get_data(as_text=True)
    assert user.locked_until is None
    page = login(client, user, "Wrong2026pass").get_data(as_text=True)
    assert "this account is locked" in page
    assert user.locked_until > utcnow()

    page = login(client, user, PASSWORD).get_data(as_text=True)
    assert "this account is locked" in page
    assert not _signed_in(client)
    lock = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "user.lock"))
    assert lock.entity_id == str(user.id) and lock.actor == "system"

    minutes = app.config["LOGIN_LOCKOUT_MINUTES"]
    with time_machine.travel(utcnow() + timedelta(minutes=minutes, seconds=1)):
        assert login(client, user, PASSWORD).status_code == 302
        assert _signed_in(client)  # inside: a session signed "in the future" is refused


def test_disabled_account_cannot_sign_in_and_loses_its_session(client, db_session):
    user = make_user(Role.ORG_ADMIN, make_department())
    assert login(client, user).status_code == 302
    auth_ops.set_active(user, False)
    assert not _signed_in(client)  # the session it already had no longer works
    page = login(client, user).get_data(as_text=True)
    assert "This account has been disabled." in page


def test_weak_new_password_is_refused_with_the_field_message(client, db_session):
    user = make_user(Role.ORG_ADMIN, make_department())
    login(client, user)
    old_hash = user.password_hash
    for weak, message in [("short1", "At least 8 characters."),
                          ("onlyletters", "Use both letters and digits."),
                          ("password1", "This password is too easy to guess."),
                          (f"{user.username}99x", "This password is too easy to guess.")]:
        response = client.post("/account/password", data={
            "current": PASSWORD, "password": weak, "confirm": weak})
        assert response.status_code == 200
        assert f'data-field="password">{message}' in response.get_data(as_text=True), weak
    assert user.password_hash == old_hash

    response = client.post("/account/password", data={
        "current": PASSWORD, "password": "Better2027pass", "confirm": "Better2027pass"})
    assert response.status_code == 302
    assert auth_ops.authenticate(user.username, "Better2027pass")[0] is user
