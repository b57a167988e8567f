"""Concurrency and fault tests (issue 6). Real concurrency cannot live in the rolled-back
per-test transaction, so these tests run on a separate database, committed for real: a second
database on the throwaway PostgreSQL cluster (INTERMART_TEST_DB=postgresql) or a temporary
SQLite file, migrated by the real migrations on a second app. Each test builds its own owner,
agencies and job there, and asserts only about those (plus the whole audit chain)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from core.extensions import db

ROOT = Path(__file__).resolve().parents[2]
INTERMART = str(Path(sys.executable).parent / "intermart")
OPS_DATABASE = "intermart_ops"


@pytest.fixture(autouse=True)
def db_session():
    """Overrides the harness's rolled-back transaction: nothing here runs inside it."""
    yield None


@pytest.fixture(scope="session")
def ops_url(database_url, tmp_path_factory):
    if database_url.startswith("postgresql"):
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {OPS_DATABASE}"))
            connection.execute(text(f"CREATE DATABASE {OPS_DATABASE}"))
        admin.dispose()
        yield make_url(database_url).set(database=OPS_DATABASE) \
            .render_as_string(hide_password=False)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('ops') / 'ops.db'}"


@pytest.fixture(scope="session")
def ops_home(tmp_path_factory):
    return tmp_path_factory.mktemp("ops-home")


@pytest.fixture(scope="session")
def ops_env(ops_url, ops_home) -> dict:
    """The environment of a platform process on the ops database."""
    return {**os.environ, "DATABASE_URL": ops_url, "SECRET_KEY": "ops-test",
            "UPLOAD_DIR": str(ops_home / "uploads")}


@pytest.fixture(scope="session")
def ops_app(ops_url, ops_home):
    """A second app on the ops database (not TESTING: errors go through the error handlers)."""
    app = create_app({
        "SECRET_KEY": "ops-test",
        "SQLALCHEMY_DATABASE_URI": ops_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10, "max_overflow": 10},
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_DIR": str(ops_home / "uploads"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "BABEL_DEFAULT_LOCALE": "en",
    })
    if ops_url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    with app.app_context():
        upgrade()
        import market.scheduled  # noqa: F401  (registers the sweepers)
    yield app
    with app.app_context():
        db.engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ops_server(ops_app, ops_env, ops_home):
    """`intermart run --no-scheduler` on the ops database, on a free loopback port."""
    port = free_port()
    log = open(ops_home / "server.log", "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen([INTERMART, "run", "--port", str(port), "--no-scheduler"],
                              env=ops_env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"server exited with {server.returncode}")
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')


class Browser:
    """One agency's browser on the live server: its own cookies, no redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def csrf(self, path: str) -> str:
        status, page = self.request(path)
        assert status == 200, (path, status)
        tag = CSRF.search(page).group(0)
        return re.search(r'value="([^"]+)"', tag).group(1)

    def sign_in(self, username: str, password: str) -> None:
        self.request("/lang/en")
        token = self.csrf("/login")
        status, _ = self.request("/login", {"csrf_token": token, "username": username,
                                            "password": password})
        assert status == 302, f"sign-in of {username} answered {status}"


def on_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


SQLITE_WRITERS = ("SQLite serialises every transaction (BEGIN IMMEDIATE, core/db.py), so "
                  "dozens of concurrent writers queue past the busy timeout: this load "
                  "test is for PostgreSQL, which runs it")


def run_two_schedulers(env: dict, log_paths: list[Path], done, what: str,
                       seconds: float = 30) -> None:
    """Two `intermart scheduler` processes (a 5 s lease) until `done()` holds, then one lease
    more, both still running their triggers meanwhile; then both are stopped."""
    env = {**env, "SCHEDULER_LEASE_SECONDS": "5"}
    logs = [open(path, "w") for path in log_paths]  # noqa: SIM115  (closed below)
    processes = [subprocess.Popen([INTERMART, "scheduler"], env=env, cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT) for log in logs]
    try:
        limit = time.monotonic() + seconds
        while not done():
            assert time.monotonic() < limit, f"no scheduler {what} in {seconds:.0f} s"
            assert all(p.poll() is None for p in processes), "a scheduler exited"
            time.sleep(0.5)
        time.sleep(6)  # past one lease
        assert all(p.poll() is None for p in processes)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
