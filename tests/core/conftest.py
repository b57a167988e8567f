"""Fixtures of the core tests: clients that start every request afresh and speak English
(messages are asserted as their English msgids, whatever the catalogues later say), and a
signed-in platform admin."""

import pytest
from flask import g
from flask.testing import FlaskClient

from tests.factories import login, make_admin


class FreshRequestClient(FlaskClient):
    """The harness keeps one app context open for the whole test, so Flask reuses its `g`
    for every request; Flask-Login caches the signed-in user there and Flask-Babel the
    locale. Forget both before each request, as a new request in production would."""

    def open(self, *args, **kwargs):
        for cached in ("_login_user", "_flask_babel"):
            g.pop(cached, None)
        return super().open(*args, **kwargs)


@pytest.fixture
def new_client(app):
    """Make another browser: its own cookies, English."""

    def make() -> FreshRequestClient:
        client = FreshRequestClient(app, app.response_class, use_cookies=True)
        client.get("/lang/en")
        return client

    return make


@pytest.fixture
def client(new_client):
    return new_client()


@pytest.fixture
def admin(db_session):
    return make_admin()


@pytest.fixture
def admin_client(client, admin):
    assert login(client, admin).status_code == 302
    return client
