"""Pure draw rules (inspection/rules.py, I2 section; RULES.md §3 "Draw")."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from inspection import rules

DEFAULTS = {"A": Decimal(2), "B": Decimal(5), "C": Decimal(20), "D": Decimal(100)}


def test_stratum_counts_are_ceil_of_ratio_times_size():
    counts = rules.stratum_counts({"A": 10, "B": 20, "C": 5, "D": 2}, DEFAULTS, min_count=1)
    assert counts == {"A": 1, "B": 1, "C": 1, "D": 2}
    counts = rules.stratum_counts({"A": 100, "B": 41, "C": 11, "D": 3}, DEFAULTS)
    assert counts == {"A": 2, "B": 3, "C": 3, "D": 3}  # 2, ceil(2.05), ceil(2.2), 3


def test_stratum_counts_use_exact_decimals():
    # 0.1 % × 1000 is exactly 1 (a float product would round up to 2)
    assert rules.stratum_counts({"A": 1000}, {"A": Decimal("0.1")}) == {"A": 1}
    assert rules.stratum_counts({"A": 1001}, {"A": Decimal("0.1")}) == {"A": 2}


def test_empty_or_zero_ratio_strata_draw_nothing_but_a_small_stratum_draws_one():
    counts = rules.stratum_counts({"A": 0, "B": 3, "C": 4}, {"A": 2, "B": 0, "C": 1})
    assert counts == {"A": 0, "B": 0, "C": 1}


def test_minimum_count_tops_up_from_the_highest_risk_strata():
    counts = rules.stratum_counts({"A": 50, "B": 10, "C": 2, "D": 1}, DEFAULTS, min_count=6)
    # ceil gives A 1, B 1, C 1, D 1 = 4; two more: D is full, so C then B
    assert counts == {"A": 1, "B": 2, "C": 2, "D": 1}
    assert rules.stratum_counts({"A": 2}, DEFAULTS, min_count=10) == {"A": 2}


def test_adjust_ratio_for_credit_measures():
    assert rules.adjust_ratio(Decimal(20), raised=True, lowered=False) == Decimal(40)
    assert rules.adjust_ratio(Decimal(80), raised=True, lowered=False) == Decimal(100)
    assert rules.adjust_ratio("2", raised=False, lowered=True) == Decimal(1)
    assert rules.adjust_ratio(5, raised=True, lowered=True) == Decimal(5)
    assert rules.adjust_ratio(5, raised=False, lowered=False) == Decimal(5)


def test_stratum_labels_and_risk_order():
    assert rules.stratum_label("C", True, False) == "C+"
    assert rules.stratum_label("A", False, True) == "A-"
    assert rules.stratum_label("B", True, True) == "B"
    assert rules.stratum_level("C+") == "C"
    assert sorted(["A", "C", "D", "C+", "A-", "B"], key=rules.risk_key) == \
        ["D", "C+", "C", "B", "A", "A-"]


def test_exclude_recent_a_only_drops_a_agencies_inspected_this_year():
    entries = [SimpleNamespace(agency_id=1, level="A"), SimpleNamespace(agency_id=2, level="A"),
               SimpleNamespace(agency_id=3, level="C")]
    kept = rules.exclude_recent_a(entries, {1, 3})
    assert [e.agency_id for e in kept] == [2, 3]


def test_select_per_stratum_takes_each_stratum_in_rank_order():
    ranked = ["B:2", "A:1", "D:9", "B:3", "A:4", "B:5"]
    assert rules.select_per_stratum(ranked, {"A": 1, "B": 2, "D": 1}) == \
        ["B:2", "A:1", "D:9", "B:3"]


def test_teams_have_one_inspector_per_department_and_spread_load():
    departments = {"lead": ["l1", "l2"], "joint": ["j1", "j2", "j3"]}
    order = ["j3", "l2", "j1", "l1", "j2"]
    teams = rules.assign_teams(["o1", "o2", "o3", "o4"], departments, set(), 2, order, {})
    for team in teams.values():
        assert team[0].startswith("l") and team[1].startswith("j")
    assert teams["o1"] == ["l2", "j3"]  # ties go by draw order
    assert teams["o2"] == ["l1", "j1"]  # then the least loaded
    loads = {}
    for team in teams.values():
        for member in team:
            loads[member] = loads.get(member, 0) + 1
    assert loads == {"l1": 2, "l2": 2, "j1": 1, "j2": 1, "j3": 2}
    assert teams["o3"] == ["l2", "j2"] and teams["o4"] == ["l1", "j3"]


def test_teams_respect_current_load_and_team_size():
    teams = rules.assign_teams(["o1"], {"d": ["a", "b", "c"]}, set(), 3, ["a", "b", "c"],
                               {"a": 5})
    assert teams["o1"] == ["b", "c", "a"]


def test_teams_never_include_a_conflicted_inspector():
    departments = {"lead": ["l1", "l2"], "joint": ["j1", "j2"]}
    conflicts = {("l1", "o1"), ("j1", "o1"), ("l2", "o2")}
    teams = rules.assign_teams(["o1", "o2"], departments, conflicts, 2,
                               ["l1", "j1", "l2", "j2"], {})
    assert teams == {"o1": ["l2", "j2"], "o2": ["l1", "j1"]}


def test_a_department_with_every_inspector_conflicted_cannot_form_a_team():
    with pytest.raises(rules.TeamUnavailable) as error:
        rules.assign_teams(["o1"], {"lead": ["l1"], "joint": ["j1"]}, {("j1", "o1")}, 2,
                           ["l1", "j1"], {})
    assert error.value.department == "joint" and error.value.object == "o1"
    with pytest.raises(rules.TeamUnavailable):  # too few for the team size
        rules.assign_teams(["o1"], {"lead": ["l1", "l2"]}, set(), 3, ["l1", "l2"], {})
