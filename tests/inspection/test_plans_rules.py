"""Pure plan rules (inspection/rules.py, I1 section): transitions, ratios, team size, dates,
cron occurrences and period keys."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from inspection import rules

BEIJING = ZoneInfo("Asia/Shanghai")


def test_transition_table():
    assert rules.plan_transition("draft", "approve") == "approved"
    assert rules.plan_transition("approved", "publish") == "published"
    assert rules.plan_transition("published", "close") == "closed"
    assert rules.plan_transition("draft", "delete") is None
    for status, action in [("draft", "publish"), ("published", "approve"),
                           ("closed", "publish"), ("approved", "delete")]:
        with pytest.raises(KeyError):
            rules.plan_transition(status, action)


def test_ratio_problems():
    assert rules.ratio_problems({"A": 2, "B": "5", "C": 20, "D": 100}) == []
    assert rules.ratio_problems({"A": 0, "B": "0.5", "C": 100, "D": 100}) == []
    assert rules.ratio_problems({"A": 2, "B": 5, "C": 20}) != []
    assert rules.ratio_problems({"A": 2, "B": 5, "C": 20, "D": "x"}) == [
        "ratio of D is not a number"]
    assert rules.ratio_problems({"A": -0.1, "B": 5, "C": 20, "D": 100.5}) == [
        "ratio of A must lie within 0–100", "ratio of D must lie within 0–100"]
    with pytest.raises(ValueError):
        rules.check_ratios([2, 5, 20, 100])


@pytest.mark.parametrize(("team", "departments", "ok"),
                         [(2, 1, True), (2, 2, True), (1, 1, False), (2, 3, False),
                          (3, 3, True)])
def test_team_size(team, departments, ok):
    assert (rules.team_size_problem(team, departments) is None) is ok


def test_parse_dates_sorts_and_drops_repeats():
    assert rules.parse_dates("2026-12-01, 2026-09-01\n2026-12-01，2027-01-05\n") == [
        date(2026, 9, 1), date(2026, 12, 1), date(2027, 1, 5)]
    assert rules.parse_dates("  ") == []
    with pytest.raises(ValueError, match="2026-13-01"):
        rules.parse_dates("2026-12-01,2026-13-01")


def test_cron_occurrences_are_in_beijing_time_and_strictly_after():
    after = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # exactly 2026-07-01 09:00 in Beijing
    times = rules.next_cron_times("0 9 1 */3 *", after, 2)
    assert [t.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") for t in times] == [
        "2026-10-01 09:00", "2027-01-01 09:00"]
    with pytest.raises(ValueError):
        rules.cron_trigger("0 9 1 */3")


def test_period_key_is_the_minute_in_beijing():
    due = datetime(2026, 12, 1, 1, 0, 59, tzinfo=UTC).astimezone(BEIJING)
    assert rules.period_key(due) == "2026-12-01T09:00"
