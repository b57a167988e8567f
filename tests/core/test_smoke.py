from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.extensions import db


def test_migrations_match_the_models(app, db_session):
    """The schema built by the migrations is the schema the models describe."""
    context = MigrationContext.configure(db_session.connection())
    assert compare_metadata(context, db.metadata) == []


def test_health(client):
    assert client.get("/healthz").json["status"] == "ok"
