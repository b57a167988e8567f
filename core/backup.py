"""Portable logical backup and restore: the same file for SQLite and PostgreSQL.

A backup is JSON lines (gzip-compressed when the path ends in .gz): a header naming the
format, the schema revision and the tables, then one line per row, tables in foreign-key
order (`metadata.sorted_tables`) and rows in primary-key order. Values are encoded by
column type: Decimal as a string, dates and aware datetimes in ISO 8601, enums as their
stored value, JSON columns as JSON.

Restore loads a backup into an EMPTY database migrated to the same revision, in one
transaction, then moves PostgreSQL sequences past the restored ids. The audit chain is
copied verbatim, so it verifies after a restore exactly as before.
"""

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum as PyEnum
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    Enum,
    Integer,
    String,
    TypeDecorator,
    func,
    inspect,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import Connection

from core.extensions import db

FORMAT = "intermart-backup"
VERSION = 1
BATCH = 1000


class BackupError(Exception):
    """The backup cannot be restored here (target not empty, wrong file, other schema)."""


def _open(path: str | Path, mode: str) -> IO[str]:
    if str(path).endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")  # noqa: SIM115


def _schema_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None  # a database built without migrations
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, PyEnum):
        return value.value
    return value


def _python_type(column) -> type | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def _decode(column, value: Any) -> Any:
    if value is None or isinstance(column.type, Enum):
        return value  # enums travel as their stored string, which the Enum type accepts
    kind = _python_type(column)
    if kind is None or kind in (dict, list):
        return value
    if issubclass(kind, datetime):
        return datetime.fromisoformat(value)
    if issubclass(kind, date):
        return date.fromisoformat(value)
    if issubclass(kind, time):
        return time.fromisoformat(value)
    if issubclass(kind, Decimal):
        return Decimal(value)
    if issubclass(kind, bytes):
        return base64.b64decode(value)
    return value


def _readable(column):
    # Enums are read as the string the database stores, not as Python enum members.
    return type_coerce(column, String).label(column.name) if isinstance(column.type, Enum) \
        else column


def backup(path: str | Path) -> dict[str, int]:
    """Write every table to `path`; return the row count per table. Reads inside the
    current session's transaction, so the backup is one consistent snapshot."""
    options = {}
    if not db.session().in_transaction():
        # A fresh transaction: on PostgreSQL make it one snapshot across all the tables
        # (SQLite's read transaction is one already).
        options = {"isolation_level": "REPEATABLE READ"} \
            if db.engine.dialect.name == "postgresql" else {}
    conn = db.session.connection(execution_options=options or None)
    tables = db.metadata.sorted_tables
    counts: dict[str, int] = {}
    with _open(path, "w") as out:
        header = {"format": FORMAT, "version": VERSION, "dialect": conn.dialect.name,
                  "revision": _schema_revision(conn), "tables": [t.name for t in tables]}
        out.write(json.dumps(header, ensure_ascii=False) + "\n")
        for table in tables:
            names = [c.name for c in table.columns]
            query = select(*[_readable(c) for c in table.columns]).order_by(
                *(table.primary_key.columns or table.columns))
            counts[table.name] = 0
            for row in conn.execute(query, execution_options={"yield_per": BATCH}):
                line = {"t": table.name, "r": dict(zip(names, map(_encode, row), strict=True))}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                counts[table.name] += 1
    return counts


def _read(path: str | Path) -> tuple[dict, Iterator[dict]]:
    stream = _open(path, "r")
    try:
        header = json.loads(stream.readline() or "null")
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        stream.close()
        raise BackupError(f"{path} is not an Intermart backup")
    if header.get("version") != VERSION:
        stream.close()
        raise BackupError(f"unsupported backup version {header.get('version')}")

    def rows():
        with stream:
            for line in stream:
                if line.strip():
                    yield json.loads(line)

    return header, rows()


def non_empty_tables(conn: Connection) -> list[str]:
    return [t.name for t in db.metadata.sorted_tables
            if conn.execute(select(func.count()).select_from(t)).scalar()]


def _reset_sequences(conn: Connection) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for table in db.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer) or column.autoincrement is False:
                continue
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": quote(table.name), "c": column.name}).scalar()
            if sequence is None:
                continue
            conn.execute(
                text(f"SELECT setval(:s, COALESCE(MAX({quote(column.name)}), 1), "
                     f"MAX({quote(column.name)}) IS NOT NULL) FROM {quote(table.name)}"),
                {"s": sequence})


def restore(path: str | Path) -> dict[str, int]:
    """Load `path` into the current (empty, migrated) database in one transaction and
    commit; return the row count per table. Raises BackupError and changes nothing when the
    database is not empty, the file is not a backup, or the schema revision differs."""
    header, rows = _read(path)
    conn = db.session.connection()
    revision = _schema_revision(conn)
    if header.get("revision") and revision and header["revision"] != revision:
        raise BackupError(f"the backup is of schema revision {header['revision']}, this "
                          f"database is at {revision}: migrate to the same revision first")
    if busy := non_empty_tables(conn):
        raise BackupError("restore needs an empty database; these tables have rows: "
                          + ", ".join(busy))
    tables = {t.name: t for t in db.metadata.sorted_tables}
    unknown = set(header.get("tables", [])) - set(tables)
    if unknown:
        raise BackupError("the backup has tables this schema does not: "
                          + ", ".join(sorted(unknown)))
    counts = {name: 0 for name in header.get("tables", [])}
    batch: list[dict] = []
    current = None

    def flush():
        if batch:
            conn.execute(tables[current].insert(), batch)
            counts[current] += len(batch)
            batch.clear()

    try:
        for item in rows:
            if item["t"] != current or len(batch) >= BATCH:
                flush()
                current = item["t"]
            table = tables[current]
            batch.append({name: _decode(table.c[name], value)
                          for name, value in item["r"].items()})
        flush()
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts
