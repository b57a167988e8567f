"""`intermart backup` / `intermart restore`: a logical backup written from one database and
restored into a second, empty, migrated one (SQLite file or a second PostgreSQL database on
the same throwaway cluster) finds every row and the audit chain intact."""

import contextlib
import uuid
from importlib import import_module

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from app import DEMO_LOADERS, create_app
from core import audit
from core.backup import BackupError, backup, restore
from core.extensions import db
from tests.factories import make_agency, make_service_item


@contextlib.contextmanager
def _second_database(database_url, tmp_path):
    """The URL of a new, empty database beside the test database; dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"intermart_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def _app_on(url, monkeypatch):
    """A second app on `url`, migrated, with a real session of its own (the harness has
    replaced db.session with one bound to the test database's connection)."""
    other = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        upgrade()
        session = scoped_session(sessionmaker(bind=db.engine))
        with monkeypatch.context() as patch:
            patch.setattr(db, "session", session)
            try:
                yield other
            finally:
                session.remove()
                db.engine.dispose()


def _counts() -> dict[str, int]:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables}


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[1:]  # without the header


@pytest.fixture
def loaded(db_session):
    for name in DEMO_LOADERS:
        import_module(name).load()
    make_agency(items=[make_service_item()])
    db_session.flush()
    return _counts()


def test_backup_restores_every_row_and_the_audit_chain(loaded, database_url, tmp_path,
                                                       monkeypatch, runner):
    assert loaded["audit_entry"] > 0 and loaded["agency"] > 0
    source_chain = audit.verify()
    assert source_chain.ok
    written = backup(tmp_path / "backup.jsonl.gz")
    assert written == loaded
    plain = tmp_path / "backup.jsonl"
    backup(plain)

    with _second_database(database_url, tmp_path) as url, _app_on(url, monkeypatch):
        assert set(_counts().values()) == {0}
        assert restore(tmp_path / "backup.jsonl.gz") == loaded
        db.session.remove()
        assert _counts() == loaded
        report = audit.verify()
        assert report.ok, report.reason
        assert report.checked == source_chain.checked == loaded["audit_entry"]
        # Every value comes back as it was: a backup of the copy is the same file.
        backup(tmp_path / "again.jsonl")
        db.session.rollback()
        assert _lines(tmp_path / "again.jsonl") == _lines(plain)
        # New rows continue after the restored ids (PostgreSQL sequences were moved on).
        last_id = db.session.scalar(select(func.max(audit.AuditEntry.id)))
        entry = audit.record("backup.restored", "system", "1")
        db.session.commit()
        assert entry.id == last_id + 1
        assert audit.verify().ok

        # A second restore into the now non-empty database is refused and changes nothing.
        before = _counts()
        with pytest.raises(BackupError, match="needs an empty database"):
            restore(plain)
        db.session.rollback()
        assert _counts() == before


def test_restore_command_refuses_a_database_with_rows(loaded, tmp_path, runner):
    path = tmp_path / "b.jsonl"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 1
    assert "restore needs an empty database" in result.output
    assert "audit_entry" in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(db_session, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(BackupError, match="not an Intermart backup"):
        restore(path)
