"""Append-only, hash-chained audit log (全程留痕).

Every state change writes one entry: who, what, when, before → after. Each entry's hash
covers its own content and the previous entry's hash, so editing or deleting any row
breaks the chain from that row on; `intermart audit verify` reports the first break.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow
from core.extensions import db

GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(60), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """One row, locked while appending, so concurrent writers cannot fork the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value  # enums
    return value


def entry_hash(prev_hash: str, at: datetime, actor_id: int | None, actor: str, action: str,
               entity_type: str, entity_id: str, before: Any, after: Any) -> str:
    # The account id is hashed beside the name, so an entry cannot be re-attributed.
    payload = json.dumps(
        [prev_hash, at.isoformat(), actor_id, actor, action, entity_type, entity_id, before,
         after],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _current_actor() -> tuple[int | None, str]:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.username
    return None, "system"


def record(action: str, entity_type: str, entity_id: Any, before: dict | None = None,
           after: dict | None = None, actor: tuple[int | None, str] | None = None) -> AuditEntry:
    """Append one entry to the chain; the caller's transaction commits it with the change."""
    session = db.session
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_hash=GENESIS_HASH)
        session.add(head)
    actor_id, actor_name = actor or _current_actor()
    before, after = _jsonable(before), _jsonable(after)
    at = utcnow()  # microsecond precision survives both SQLite and PostgreSQL
    digest = entry_hash(head.last_hash, at, actor_id, actor_name, action, entity_type,
                        str(entity_id), before, after)
    entry = AuditEntry(at=at, actor_id=actor_id, actor=actor_name, action=action,
                       entity_type=entity_type, entity_id=str(entity_id), before=before,
                       after=after, prev_hash=head.last_hash, hash=digest)
    head.last_hash = digest
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None  # id of the first bad entry
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def verify() -> ChainReport:
    """Walk the chain in order; report the first entry whose link or content does not match."""
    prev = GENESIS_HASH
    checked = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(500):
        if entry.prev_hash != prev:
            return ChainReport(checked, entry.id, "previous hash does not match the chain")
        expected = entry_hash(prev, entry.at, entry.actor_id, entry.actor, entry.action,
                              entry.entity_type, entry.entity_id, entry.before, entry.after)
        if expected != entry.hash:
            return ChainReport(checked, entry.id, "content does not match its hash")
        prev = entry.hash
        checked += 1
    head = db.session.get(AuditChainHead, 1)
    if head is not None and head.last_hash != prev:
        return ChainReport(checked, None, "the newest entries are missing: the chain head "
                                          "does not match the last entry")
    return ChainReport(checked)


def history(entity_type: str, entity_id: Any) -> list[AuditEntry]:
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == entity_type,
                                 AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id)))
