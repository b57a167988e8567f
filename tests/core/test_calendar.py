"""Working days across statutory holidays, adjusted workdays (调休) and admin overrides."""

from datetime import UTC, date, datetime

import holidays
import pytest

from core import calendar as work_calendar
from core.audit import history
from core.calendar import add_working_days, deadline, is_workday, working_days_between


@pytest.fixture(autouse=True)
def fresh_library_cache():
    work_calendar.library_year.cache_clear()
    yield
    work_calendar.library_year.cache_clear()


# --- 2026: the library has the State Council's arrangement ------------------------------


def test_national_day_2026_is_off_and_the_adjusted_saturday_is_worked():
    assert [is_workday(date(2026, 10, d)) for d in range(1, 12)] == [
        False, False, False, False, False, False, False,  # 1–7 October off
        True, True,  # Thursday 8, Friday 9
        True,  # Saturday 10: 调休, worked
        False,  # Sunday 11
    ]
    assert is_workday(date(2026, 9, 20))  # Sunday worked before the holiday


def test_counting_across_the_national_day_holiday():
    last_day_before = date(2026, 9, 30)
    assert add_working_days(last_day_before, 1) == date(2026, 10, 8)
    assert add_working_days(last_day_before, 3) == date(2026, 10, 10)  # the 调休 Saturday
    assert add_working_days(last_day_before, 4) == date(2026, 10, 12)
    assert working_days_between(last_day_before, date(2026, 10, 12)) == 4
    assert working_days_between(date(2026, 10, 12), last_day_before) == -4
    assert add_working_days(last_day_before, 0) == last_day_before
    with pytest.raises(ValueError):
        add_working_days(last_day_before, -1)


def test_deadline_is_the_end_of_the_working_day_in_beijing_time():
    # 18:00 in Beijing on 30 September; three working days later is Saturday 10 October.
    assert deadline(datetime(2026, 9, 30, 10, 0, tzinfo=UTC), 3) == \
        datetime(2026, 10, 10, 15, 59, 59, tzinfo=UTC)
    # 17:00 UTC on 30 September is already 1 October in Beijing: counting starts there.
    assert deadline(datetime(2026, 9, 30, 17, 0, tzinfo=UTC), 1) == \
        datetime(2026, 10, 8, 15, 59, 59, tzinfo=UTC)
    with pytest.raises(ValueError):
        deadline(datetime(2026, 9, 30, 10, 0), 1)


def test_an_override_beats_the_library(db_session):
    saturday_worked = date(2026, 10, 10)
    work_calendar.add_override(saturday_worked, False, "typhoon")
    assert not is_workday(saturday_worked)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 12)


# --- years the library lacks ------------------------------------------------------------


def test_2099_knows_statutory_holidays_but_no_adjusted_workdays():
    assert not is_workday(date(2099, 10, 1))  # National Day, computed by the library
    assert not is_workday(date(2099, 10, 3))  # Saturday
    assert is_workday(date(2099, 10, 6))  # Tuesday: nobody published a 调休 for it
    assert work_calendar.library_year(2099).workdays == frozenset()


def test_2099_with_admin_overrides(db_session):
    work_calendar.add_override(date(2099, 10, 6), False, "国庆节调休")
    work_calendar.add_override(date(2099, 10, 10), True, "调休上班")  # a Saturday
    assert not is_workday(date(2099, 10, 6))
    assert is_workday(date(2099, 10, 10))
    # Wed 30 Sep → Fri 2 Oct (holiday) … Tue 6 (override off), Wed 7, Thu 8, Fri 9, Sat 10.
    assert add_working_days(date(2099, 9, 30), 4) == date(2099, 10, 10)


def test_9999_is_weekends_only_plus_overrides(db_session):
    assert len(work_calendar.library_year(9999).holidays) == 0
    assert is_workday(date(9999, 10, 1))  # a Friday: no holiday known
    assert not is_workday(date(9999, 10, 2))  # a Saturday
    work_calendar.add_override(date(9999, 10, 1), False, "far future")
    assert not is_workday(date(9999, 10, 1))
    assert add_working_days(date(9999, 9, 30), 1) == date(9999, 10, 4)


def test_a_library_failure_falls_back_to_weekends(monkeypatch):
    def broken(**_kwargs):
        raise NotImplementedError("no data")

    monkeypatch.setattr(holidays, "China", broken)
    assert is_workday(date(2026, 10, 1))  # Thursday: the library cannot tell us otherwise
    assert not is_workday(date(2026, 10, 10))


# --- override writes are audited ----------------------------------------------------------


def test_override_writes_are_audited_and_duplicates_refused(db_session):
    from core.errors import Conflict

    override = work_calendar.add_override(date(2027, 10, 9), True, "调休上班")
    with pytest.raises(Conflict):
        work_calendar.add_override(date(2027, 10, 9), False)
    work_calendar.update_override(override, False, "changed")
    work_calendar.delete_override(override)
    assert work_calendar.override_for(date(2027, 10, 9)) is None
    entries = history("calendar_override", "2027-10-09")
    assert [e.action for e in entries] == [
        "calendar.override.add", "calendar.override.update", "calendar.override.delete"]
    assert entries[1].before["is_workday"] is True and entries[1].after["note"] == "changed"
