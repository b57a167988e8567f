"""Test harness: one app per run, on SQLite or on a throwaway PostgreSQL cluster
(INTERMART_TEST_DB=postgresql), schema built by the real Alembic migrations, and each test
inside a transaction that is rolled back at the end."""

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from core.extensions import db
from tests.clients import FreshRequestClient
from tests.pg import postgres_cluster


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if os.environ.get("INTERMART_TEST_DB") == "postgresql":
        with postgres_cluster() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,  # the csrf_enforced fixture turns it back on
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "SERVER_NAME": "intermart.test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # hashing speed is not under test
        # Tests assert messages as their English msgids; the Chinese default is tested apart
        # (tests/core/test_translations.py switches it back).
        "BABEL_DEFAULT_LOCALE": "en",
    })
    app.test_client_class = FreshRequestClient
    with app.app_context():
        upgrade()  # the real migrations, not create_all: they are under test too
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def db_session(app):
    """Bind the session to one connection inside a transaction; commits in views become
    savepoint releases, and everything is rolled back after the test."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        session = scoped_session(sessionmaker(bind=connection,
                                              join_transaction_mode="create_savepoint"))
        original, db.session = db.session, session
        try:
            yield session
        finally:
            session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_enforced(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()

