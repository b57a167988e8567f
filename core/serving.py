"""Production serving: gunicorn through its application API, several worker processes.

The web workers never run the scheduler; production runs `intermart scheduler` once beside
them (the lease makes a second one harmless). Behind a reverse proxy, set PROXY_FIX=1.
"""

import contextlib
import os
from collections.abc import Callable

from gunicorn.app.base import BaseApplication

MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """WEB_CONCURRENCY if set, else 2 × cores + 1, capped at 8."""
    if env := os.environ.get("WEB_CONCURRENCY"):
        return max(1, int(env))
    return min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS)


class IntermartServer(BaseApplication):
    """Gunicorn serving the WSGI app `load_app()` returns, built once per worker."""

    def __init__(self, load_app: Callable, options: dict | None = None):
        self.load_app = load_app
        self.options = options or {}
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self):
        return self.load_app()


def gunicorn_options(bind: str, workers: int, timeout: int = 60) -> dict:
    return {
        "bind": bind,
        "workers": workers,
        "timeout": timeout,
        "accesslog": "-",
        "errorlog": "-",
        # Each worker builds its own app (and its own connection pool) after the fork.
        "preload_app": False,
    }


def serve(load_app: Callable, bind: str = "127.0.0.1:8000", workers: int | None = None,
          timeout: int = 60) -> None:
    IntermartServer(load_app, gunicorn_options(bind, workers or default_workers(),
                                               timeout)).run()


def health() -> dict:
    """The database answers SELECT 1; the scheduler lease as it stands (reported, not judged:
    the web can serve while the scheduler restarts)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from core.db import utcnow
    from core.extensions import db
    from core.scheduler import LEASE_NAME, SchedulerLease

    try:
        db.session.execute(text("SELECT 1"))
        lease = db.session.get(SchedulerLease, LEASE_NAME)
    except SQLAlchemyError as exc:
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        return {"status": "error", "database": "unreachable", "error": type(exc).__name__}
    scheduler = {"holder": None, "expires_at": None, "current": False}
    if lease is not None:
        scheduler = {"holder": lease.holder, "expires_at": lease.expires_at.isoformat(),
                     "current": lease.expires_at > utcnow()}
    return {"status": "ok", "database": "ok", "scheduler": scheduler}
