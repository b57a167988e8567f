"""Admin-changeable settings kept in the database (RULES.md: "Defaults are settings an
admin can change"). Domains declare each setting with its default, a label and a check;
a row in `setting` overrides the default; the admin edits them on one page."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import Base
from core.errors import Conflict
from core.extensions import db


class Setting(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


@dataclass(frozen=True)
class Declared:
    key: str
    default: Any
    label: Any  # lazy_gettext string
    check: Callable[[Any], None] | None = None  # raises ValueError when a value is unusable


DECLARED: dict[str, Declared] = {}


def declare(key: str, default: Any, label, check: Callable[[Any], None] | None = None) -> None:
    DECLARED[key] = Declared(key, _plain(default), label, check)


def _plain(value: Any) -> Any:
    """JSON-friendly form of a default (Decimals, enums, tuples)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def get(key: str, default: Any = None) -> Any:
    row = db.session.get(Setting, key)
    if row is not None:
        return row.value
    return DECLARED[key].default if default is None and key in DECLARED else default


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


def update_from_text(key: str, text: str) -> None:
    """Set a declared setting from the admin's JSON text, refusing what its check refuses."""
    declared = DECLARED.get(key)
    if declared is None:
        raise Conflict(_("There is no setting %(key)s.", key=key))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise Conflict(_("This is not valid JSON: %(error)s (line %(line)d).",
                         error=error.msg, line=error.lineno)) from error
    if declared.check is not None:
        try:
            declared.check(value)
        except (ValueError, TypeError) as error:
            # The rules explain themselves in English (they are pure code); say so.
            raise Conflict(_("The rules refuse this value: %(reason)s", reason=str(error))) \
                from error
    put(key, value)


def reset(key: str) -> None:
    row = db.session.get(Setting, key)
    if row is not None:
        before = {"value": row.value}
        db.session.delete(row)
        db.session.flush()
        audit.record("setting.reset", "setting", key, before=before, after=None)
