"""Working days (工作日): weekends, statutory holidays and adjusted workdays (调休).

The `holidays` library knows the State Council's published arrangements; for years it has no
official data it still computes the statutory holidays, and for years out of its range it
knows nothing. Admin overrides (`CalendarOverride`) win over the library for any year, so an
admin can enter an arrangement the library lacks (ARCHITECTURE.md "Conventions").
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
from flask_babel import gettext as _
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import Base, utcnow
from core.errors import Conflict
from core.extensions import db

log = logging.getLogger(__name__)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)


class CalendarOverride(Base):
    """An admin's word on one day: a working day or a day off, whatever the library says."""

    __tablename__ = "calendar_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class LibraryYear:
    """What the `holidays` library says about one year."""

    holidays: Mapping[date, str]  # day off → name
    workdays: frozenset[date]  # weekend days that are working days (调休)


@lru_cache(maxsize=64)
def library_year(year: int, language: str = "zh_CN") -> LibraryYear:
    """`language` only names the holidays: zh_CN, zh_TW or en_US."""
    try:
        china = holidays.China(years=year, language=language)
        days_off = {day: name for day, name in china.items() if day.year == year}
        # weekend_workdays also lists days of other years; keep this year's only.
        workdays = frozenset(day for day in china.weekend_workdays if day.year == year)
    except Exception:  # a year the library cannot compute must not stop deadlines
        log.warning("holidays library has no data for %s: weekends only", year, exc_info=True)
        days_off, workdays = {}, frozenset()
    return LibraryYear(MappingProxyType(days_off), workdays)


def _library_says_workday(day: date) -> bool:
    known = library_year(day.year)
    if day in known.workdays:
        return True
    return day.weekday() < 5 and day not in known.holidays


def overrides_for_year(year: int) -> list[CalendarOverride]:
    return list(db.session.scalars(
        select(CalendarOverride)
        .where(CalendarOverride.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(CalendarOverride.day)))


def _workday_checker() -> Callable[[date], bool]:
    """is_workday for many days with one override query per year touched."""
    overrides: dict[int, dict[date, bool]] = {}

    def check(day: date) -> bool:
        if day.year not in overrides:
            overrides[day.year] = {o.day: o.is_workday for o in overrides_for_year(day.year)}
        override = overrides[day.year].get(day)
        return _library_says_workday(day) if override is None else override

    return check


def is_workday(day: date) -> bool:
    return _workday_checker()(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` itself when n is 0)."""
    if n < 0:
        raise ValueError("n must not be negative")
    check = _workday_checker()
    day = start
    while n:
        day += timedelta(days=1)
        if check(day):
            n -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; negative when end < start."""
    if end < start:
        return -working_days_between(end, start)
    check = _workday_checker()
    return sum(check(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def deadline(start_utc: datetime, n: int) -> datetime:
    """End (23:59:59 Beijing time) of the n-th working day after `start_utc`, as aware UTC."""
    if start_utc.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware time")
    local_start = start_utc.astimezone(LOCAL_TZ).date()
    last_day = add_working_days(local_start, n)
    return datetime.combine(last_day, END_OF_DAY, LOCAL_TZ).astimezone(UTC)


# --- writes (flush and audit; the caller commits) ---------------------------------------


def _snapshot(override: CalendarOverride) -> dict:
    return {"day": override.day, "is_workday": override.is_workday, "note": override.note}


def override_for(day: date) -> CalendarOverride | None:
    return db.session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))


def add_override(day: date, is_workday: bool, note: str = "") -> CalendarOverride:
    if override_for(day) is not None:
        raise Conflict(_("%(day)s already has an override; edit it instead.", day=day))
    override = CalendarOverride(day=day, is_workday=is_workday, note=note)
    db.session.add(override)
    db.session.flush()
    audit.record("calendar.override.add", "calendar_override", day, after=_snapshot(override))
    return override


def update_override(override: CalendarOverride, is_workday: bool, note: str) -> None:
    before = _snapshot(override)
    override.is_workday, override.note = is_workday, note
    db.session.flush()
    audit.record("calendar.override.update", "calendar_override", override.day,
                 before=before, after=_snapshot(override))


def delete_override(override: CalendarOverride) -> None:
    before = _snapshot(override)
    db.session.delete(override)
    db.session.flush()
    audit.record("calendar.override.delete", "calendar_override", before["day"], before=before)
