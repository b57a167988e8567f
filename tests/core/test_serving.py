"""Production serving: gunicorn options, worker count, the serve command, ProxyFix, and
SQLite in WAL mode for several worker processes."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import request
from sqlalchemy import create_engine, text
from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app
from core import config as core_config
from core import serving
from core.db import configure_sqlite


def test_default_workers(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(serving.os, "cpu_count", lambda: 2)
    assert serving.default_workers() == 5
    monkeypatch.setattr(serving.os, "cpu_count", lambda: 64)
    assert serving.default_workers() == 8
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert serving.default_workers() == 3


def test_gunicorn_application_takes_the_options():
    built = []
    server = serving.IntermartServer(lambda: built.append(1) or "wsgi-app",
                                     serving.gunicorn_options("127.0.0.1:8123", 3))
    assert server.cfg.workers == 3
    assert server.cfg.bind == ["127.0.0.1:8123"]
    assert server.cfg.preload_app is False
    assert server.load() == "wsgi-app" and built == [1]


def test_serve_command_runs_gunicorn_without_the_scheduler(runner, monkeypatch):
    calls = {}
    monkeypatch.setattr(serving, "serve", lambda load_app, **kw: calls.update(kw, app=load_app))
    started = []
    monkeypatch.setattr("core.scheduler.start", lambda *a, **k: started.append(a))
    result = runner.invoke(args=["serve", "--workers", "4", "--bind", "127.0.0.1:9001"])
    assert result.exit_code == 0, result.output
    assert calls["workers"] == 4 and calls["bind"] == "127.0.0.1:9001"
    assert calls["app"] is create_app  # each worker builds its own app after the fork
    assert started == []


@pytest.mark.parametrize("value, expected", [("1", True), ("", False)])
def test_proxy_fix_flag_from_the_environment(monkeypatch, tmp_path, value, expected):
    monkeypatch.setenv("PROXY_FIX", value)
    monkeypatch.setenv("SECRET_KEY", "x")
    assert core_config.load(tmp_path)["PROXY_FIX"] is expected


def test_proxy_fix_trusts_the_proxy_headers():
    proxied = create_app({"TESTING": True, "SECRET_KEY": "t", "PROXY_FIX": True,
                          "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert isinstance(proxied.wsgi_app, ProxyFix)

    @proxied.get("/_whoami")
    def whoami():
        return {"ip": request.remote_addr, "scheme": request.scheme}

    response = proxied.test_client().get(
        "/_whoami", environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert response.json == {"ip": "203.0.113.7", "scheme": "https"}


def test_no_proxy_fix_by_default(app):
    assert not isinstance(app.wsgi_app, ProxyFix)


def test_sqlite_file_database_is_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    configure_sqlite(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_sqlite_memory_database_keeps_its_journal(tmp_path):
    engine = create_engine("sqlite://")
    configure_sqlite(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "memory"
    engine.dispose()


def test_sqlite_read_then_write_transactions_queue_instead_of_failing(tmp_path):
    """The embedded scheduler's threads and the web's all read, then write (the audit chain
    head, a status guard). With a deferred BEGIN the second writer fails at once with
    "database is locked"; BEGIN IMMEDIATE makes it wait for the lock instead."""
    engine = create_engine(f"sqlite:///{tmp_path / 'race.db'}")
    configure_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))

    def read_then_write():
        with engine.begin() as conn:
            n = conn.execute(text("SELECT n FROM counter")).scalar()
            time.sleep(0.05)  # the others read meanwhile, unless they wait for the lock
            conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    with ThreadPoolExecutor(8) as pool:
        errors = [f.exception() for f in [pool.submit(read_then_write) for _ in range(8)]]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 8
    assert errors == [None] * 8
    engine.dispose()
