"""Declarative base, naming convention and the column types every domain shares.

Money is Decimal in yuan stored as Numeric(14, 2); times are timezone-aware UTC
(ARCHITECTURE.md "Conventions").
"""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, MetaData, Numeric, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite forgets the zone, so we re-attach it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Money = Numeric(14, 2, asdecimal=True)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime(), Decimal: Money})


def utcnow() -> datetime:
    return datetime.now(UTC)


def configure_sqlite(engine) -> None:
    """Enforce foreign keys, wait up to 10 s on locks, use WAL for file databases (several
    worker processes), and let SQLAlchemy own transactions (savepoints work).

    pysqlite's own BEGIN handling breaks SAVEPOINT; this is the recipe from the
    SQLAlchemy SQLite dialect documentation.
    """
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database
    wal = bool(database) and database != ":memory:" and not database.startswith("file::memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if wal:
            # Readers do not block the writer (several gunicorn workers on one file);
            # persistent in the file, so setting it on every connection is cheap.
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE: take the write lock up front. A deferred transaction that reads, then
        # writes after another writer committed fails at once with "database is locked"
        # (the busy timeout cannot help it), which broke the embedded scheduler's threads.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
