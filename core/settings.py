"""Admin-changeable settings kept in the database (RULES.md: "Defaults are settings an
admin can change"). Domains declare their defaults in code; a row overrides one key."""

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import Base
from core.extensions import db


class Setting(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


def get(key: str, default: Any = None) -> Any:
    row = db.session.get(Setting, key)
    return default if row is None else row.value


def get_group(prefix: str) -> dict[str, Any]:
    """Every stored setting under `prefix.`, keyed without the prefix."""
    rows = db.session.query(Setting).filter(Setting.key.startswith(prefix + ".")).all()
    return {row.key[len(prefix) + 1:]: row.value for row in rows}


def put(key: str, value: Any) -> None:
    row = db.session.get(Setting, key)
    before = None if row is None else {"value": row.value}
    if row is None:
        row = Setting(key=key, value=value)
        db.session.add(row)
    else:
        row.value = value
    db.session.flush()
    audit.record("setting.put", "setting", key, before=before, after={"value": value})
