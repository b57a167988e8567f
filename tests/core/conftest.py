"""Fixtures of the core tests: clients that start every request afresh and speak English
(messages are asserted as their English msgids, whatever the catalogues later say), and a
signed-in platform admin."""

import pytest

from tests.clients import FreshRequestClient, english_client
from tests.factories import login, make_admin


@pytest.fixture
def new_client(app):
    """Make another browser: its own cookies, English."""

    def make() -> FreshRequestClient:
        return english_client(app)

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
