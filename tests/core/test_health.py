"""/healthz: the database answers and the scheduler lease is reported; 503 when the
database does not answer."""

from datetime import timedelta

from sqlalchemy.exc import OperationalError

from core import scheduler
from core.db import utcnow


def test_healthy_without_a_scheduler(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok",
                             "scheduler": {"holder": None, "expires_at": None,
                                           "current": False}}


def test_reports_the_scheduler_lease(client, db_session):
    assert scheduler.acquire_lease("host:abc", 60)
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["scheduler"]["holder"] == "host:abc"
    assert body["scheduler"]["current"] is True

    lease = db_session.get(scheduler.SchedulerLease, scheduler.LEASE_NAME)
    lease.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    body = client.get("/healthz").json
    assert body["status"] == "ok"  # the web serves while the scheduler restarts
    assert body["scheduler"]["current"] is False


def test_unreachable_database_is_503(client, db_session, monkeypatch):
    def lost(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection lost"))

    monkeypatch.setattr(db_session, "execute", lost)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable",
                             "error": "OperationalError"}
