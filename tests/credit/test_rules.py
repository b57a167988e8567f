"""The credit score engine (credit/rules.py, RULES.md §2 "Credit"). Pure unit tests."""

import itertools
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from credit.rules import (
    ContributionCode,
    InspectionOutcome,
    Level,
    Part,
    RecordKind,
    ScoreInput,
    ScoreModel,
    Severity,
    add_months,
    compute_score,
    decay_weight,
    display_window,
    is_displayed,
    level_for,
    months_elapsed,
    repair_allowed,
)

TODAY = date(2026, 6, 15)
_ids = itertools.count(1)


def record(kind, occurred_on=TODAY, **fields):
    return ScoreInput(next(_ids), RecordKind(kind), occurred_on, **fields)


def owner(rating, occurred_on=TODAY):
    return record("evaluation_owner", occurred_on, rating=Decimal(str(rating)))


def inspection(outcome, occurred_on=TODAY):
    return record("inspection", occurred_on, inspection_outcome=InspectionOutcome(outcome))


def penalty(severity, displayed=True):
    return record("penalty", severity=Severity(severity), publicly_displayed=displayed)


def commendation(occurred_on=TODAY, displayed=True):
    return record("commendation", occurred_on, publicly_displayed=displayed)


def assert_adds_up(result):
    """The explainability contract: baselines + contributions = each part; parts = score."""
    assert result.parts.total() == result.score
    assert result.baselines.total() + sum(c.points for c in result.contributions) == result.score
    for part in Part:
        in_part = sum(c.points for c in result.contributions if c.part == part)
        assert getattr(result.baselines, part.value) + in_part == getattr(result.parts, part.value)
    for value in [result.score, *(c.points for c in result.contributions)]:
        assert value.as_tuple().exponent == -2


def by_id(result, rec):
    [contribution] = [c for c in result.contributions if c.record_id == rec.record_id]
    return contribution


def test_worked_example_by_hand():
    five = owner(5, date(2025, 12, 15))  # 6 months old → weight 1.0, 50 × (5 − 1) / 4 = 50
    three = owner(3, date(2024, 12, 15))  # 18 months old → weight 0.6, 50 × (3 − 1) / 4 = 25
    corrected = inspection("corrected", date(2026, 3, 1))  # → 20 points, weight 1.0
    late = record("late_delivery", date(2026, 4, 15))  # 2 months old → −2 × 1.0
    general = penalty("general")  # displayed → −10
    licence = record("licence")  # recorded, no effect
    result = compute_score([five, three, corrected, late, general, licence], TODAY)

    # owner: mean (50 × 1.0 + 25 × 0.6) / 1.6 = 40.625 (= 50 × (4.25 − 1) / 4)
    #   as shares against the default 40: 1.0/1.6 × (50 − 40) = +6.25, 0.6/1.6 × (25 − 40) = −5.625
    # regulator: one inspection, 20 = 24 + 1.0/1.0 × (20 − 24)
    # behaviour: 20 − 2 × 1.0 = 18;  adjustments: −10
    # score: 40.625 + 20 + 18 − 10 = 68.625 → 68.63 (ROUND_HALF_UP) → C (60 ≤ 68.63 < 75)
    assert result.score == Decimal("68.63")
    assert result.level == Level.C == "C"
    assert result.effective_level == Level.C
    assert result.parts.owner == Decimal("40.63")
    assert result.parts.regulator == Decimal("20.00")
    assert result.parts.behaviour == Decimal("18.00")
    assert result.parts.adjustments == Decimal("-10.00")
    assert (result.baselines.owner, result.baselines.regulator, result.baselines.behaviour,
            result.baselines.adjustments) == (40, 24, 20, 0)
    # Running-total rounding, oldest record first: 40 − 5.625 = 34.375 → 34.38 shows −5.62,
    # then 34.375 + 6.25 = 40.625 → 40.63 shows +6.25. Together exactly the owner part.
    assert by_id(result, three).points == Decimal("-5.62")
    assert by_id(result, three).weight == Decimal("0.6")
    assert by_id(result, five).points == Decimal("6.25")
    assert by_id(result, five).code == ContributionCode.OWNER_RATING
    assert by_id(result, corrected).points == Decimal("-4.00")
    assert by_id(result, late).points == Decimal("-2.00")
    assert by_id(result, general).points == Decimal("-10.00")
    assert by_id(result, general).code == ContributionCode.PENALTY
    assert by_id(result, licence).points == 0 and by_id(result, licence).part is None
    assert "62.50%" in by_id(result, five).explanation
    assert_adds_up(result)


def test_repeating_shares_still_round_exactly_on_a_tie():
    # 4.51 at 18 months (0.6) → 43.875; 3.73 at 30 months (0.3) → 34.125; shares 2/3 and 1/3:
    # 2/3 × 3.875 = 2.58333…, 1/3 × (−5.875) = −1.95833…, together exactly +0.625.
    # Exact arithmetic keeps the tie a tie: owner 40.625 → 40.63, score 84.625 → 84.63.
    older, newer = owner("3.73", date(2023, 12, 15)), owner("4.51", date(2024, 12, 15))
    result = compute_score([newer, older], TODAY)
    assert result.parts.owner == Decimal("40.63")
    assert result.score == Decimal("84.63")
    # running totals: 40 − 1.958… = 38.041… → 38.04 (−1.96); 40.625 → 40.63 (+2.59)
    assert by_id(result, older).points == Decimal("-1.96")
    assert by_id(result, newer).points == Decimal("2.59")
    assert_adds_up(result)


def test_same_result_whatever_the_input_order():
    records = [owner(5, date(2025, 12, 15)), owner(3, date(2024, 12, 15)), owner(4),
               inspection("pending")]
    assert compute_score(records, TODAY) == compute_score(records[::-1], TODAY)


@pytest.mark.parametrize(("today", "weight"), [
    (date(2026, 1, 30), 1.0),  # 11 months and 30 days
    (date(2026, 1, 31), 0.6),  # exactly 12 months
    (date(2027, 1, 30), 0.6),
    (date(2027, 1, 31), 0.3),  # exactly 24
    (date(2028, 1, 30), 0.3),
    (date(2028, 1, 31), 0.0),  # exactly 36
    (date(2024, 1, 1), 1.0),  # dated after today: counts as new
])
def test_decay_boundaries_in_calendar_months(today, weight):
    assert decay_weight(date(2025, 1, 31), today, ScoreModel()) == weight


@pytest.mark.parametrize(("start", "end", "months"), [
    (date(2025, 1, 31), date(2025, 2, 27), 0),
    (date(2025, 1, 31), date(2025, 2, 28), 1),  # February has no 31st: its last day counts
    (date(2024, 2, 29), date(2025, 2, 28), 12),
    (date(2025, 3, 15), date(2025, 3, 15), 0),
    (date(2025, 3, 15), date(2026, 3, 14), 11),
    (date(2025, 3, 15), date(2026, 3, 15), 12),
])
def test_months_elapsed(start, end, months):
    assert months_elapsed(start, end) == months


def test_add_months_keeps_the_day_or_takes_the_last():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 12, 15), 0) == date(2025, 12, 15)


def test_records_with_weight_zero_are_ignored():
    stale = owner(1, TODAY - timedelta(days=365 * 3 + 1))
    late = record("late_delivery", date(2023, 6, 15))  # exactly 36 months
    result = compute_score([stale, late], TODAY)
    assert result.parts.owner == 40  # the default, as if never rated
    assert result.parts.behaviour == 20
    assert by_id(result, stale).code == by_id(result, late).code == ContributionCode.EXPIRED
    assert result.score == Decimal("84.00")
    assert result.level == Level.B  # records exist: not "new"
    assert_adds_up(result)


def test_no_record_is_new_and_treated_as_b():
    result = compute_score([], TODAY)
    assert result.level == Level.NEW == "new"
    assert result.effective_level == Level.B
    assert result.score == Decimal("84.00")  # 40 + 24 + 20, the defaults
    assert result.contributions == []
    assert_adds_up(result)


def test_veto_forces_d_whatever_the_score():
    # owner 4.6 → 50 × 3.6 / 4 = 45; no problem found → 30; clean behaviour 20: 95
    records = [owner("4.6"), inspection("no_problem")]
    assert compute_score(records, TODAY).level == Level.A
    result = compute_score(records, TODAY, vetoed=True)
    assert result.score == Decimal("95.00")
    assert result.level == result.effective_level == Level.D
    assert compute_score([], TODAY, vetoed=True).level == Level.D


def test_clamp_at_100_is_a_line_of_its_own():
    # 50 + 30 + 20 + 5 × 2 = 110 → clamped to 100
    records = [owner(5), inspection("no_problem"), *(commendation() for _ in range(5))]
    result = compute_score(records, TODAY)
    assert result.score == Decimal("100.00")
    [clamp] = [c for c in result.contributions if c.code == ContributionCode.CLAMP]
    assert clamp.points == Decimal("-10.00") and clamp.record_id is None
    assert result.parts.adjustments == Decimal("0.00")
    assert_adds_up(result)


def test_clamp_at_0_and_behaviour_floor():
    # owner 1 → 0; false information → 0; 5 broken commitments: 20 − 25 → floored to 0
    # (a +5 floor line); serious penalty −30 → −30 → clamped to 0 (a +30 line)
    records = [owner(1), inspection("false_or_uncooperative"),
               *(record("commitment_broken") for _ in range(5)), penalty("serious")]
    result = compute_score(records, TODAY)
    assert result.score == Decimal("0.00")
    assert result.parts.behaviour == Decimal("0.00")
    codes = {c.code: c.points for c in result.contributions if c.record_id is None}
    assert codes == {ContributionCode.BEHAVIOUR_FLOOR: Decimal("5.00"),
                     ContributionCode.CLAMP: Decimal("30.00")}
    assert result.level == Level.D
    assert_adds_up(result)


def test_at_most_five_commendations_count_the_most_recent():
    dates = [TODAY - timedelta(days=days) for days in range(70, 0, -10)]  # 7, oldest first
    commendations = [commendation(day) for day in dates]
    hidden = commendation(displayed=False)
    result = compute_score([*commendations, hidden], TODAY)
    assert result.parts.adjustments == Decimal("10.00")  # 5 × 2, not 7 × 2
    codes = [by_id(result, c).code for c in commendations]
    assert codes == [ContributionCode.COMMENDATION_OVER_CAP] * 2 + [
        ContributionCode.COMMENDATION] * 5
    assert by_id(result, hidden).code == ContributionCode.NOT_DISPLAYED
    assert_adds_up(result)


def test_undisplayed_penalty_has_no_effect():
    result = compute_score([penalty("serious", displayed=False)], TODAY)
    assert result.score == Decimal("84.00")


@pytest.mark.parametrize(("severity", "min_until", "max_until"), [
    ("minor", date(2025, 1, 31), date(2025, 4, 30)),
    ("general", date(2025, 4, 30), date(2026, 1, 31)),
    ("serious", date(2026, 1, 31), date(2028, 1, 31)),
])
def test_display_window_and_repair(severity, min_until, max_until):
    decided = date(2025, 1, 31)
    severity = Severity(severity)
    assert display_window(severity, decided, ScoreModel()) == (min_until, max_until)
    assert not is_displayed(severity, decided, decided - timedelta(days=1), None)
    assert is_displayed(severity, decided, decided, None)
    assert is_displayed(severity, decided, max_until - timedelta(days=1), None)
    assert not is_displayed(severity, decided, max_until, None)  # stops automatically
    repaired = decided + timedelta(days=10)
    assert is_displayed(severity, decided, repaired - timedelta(days=1), repaired)
    assert not is_displayed(severity, decided, repaired, repaired)
    assert repair_allowed(severity, decided, min_until, obligations_met=True)
    assert not repair_allowed(severity, decided, min_until, obligations_met=False)
    if min_until > decided:
        assert not repair_allowed(severity, decided, min_until - timedelta(days=1), True)


def test_minor_penalty_is_repairable_at_once():
    assert repair_allowed(Severity.MINOR, TODAY, TODAY, obligations_met=True)


@pytest.mark.parametrize(("score", "level"), [
    ("90.00", "A"), ("89.99", "B"), ("75.00", "B"), ("74.99", "C"), ("60.00", "C"),
    ("59.99", "D"), ("0.00", "D"),
])
def test_level_thresholds_inclusive(score, level):
    assert level_for(Decimal(score), ScoreModel(), vetoed=False, has_records=True) == level


def test_settings_override_changes_levels_and_points():
    model = ScoreModel.from_settings({"level_thresholds": {"A": 95},
                                      "penalty_deductions": {"general": "15"}})
    assert model.level_thresholds == {Level.A: 95, Level.B: 75, Level.C: 60}
    assert model.penalty_deductions[Severity.MINOR] == 2  # untouched keys keep their default
    assert level_for(Decimal("92"), model, False, True) == Level.B
    records = [owner(5), inspection("no_problem")]  # 100
    assert compute_score(records, TODAY).level == Level.A
    result = compute_score([*records, penalty("general")], TODAY, model)
    assert result.score == Decimal("85.00") and result.level == Level.B
    shorter = ScoreModel.from_settings({"decay_steps": [[6, "1"], [12, 0.5]]})
    assert decay_weight(date(2025, 12, 15), TODAY, shorter) == 0.5
    assert decay_weight(date(2025, 6, 15), TODAY, shorter) == 0.0


@pytest.mark.parametrize("settings", [
    {"no_such_setting": 1},
    {"level_thresholds": {"A": 70}},  # A below B
    {"penalty_deductions": {"huge": 1}},
    {"decay_steps": [[24, 1.0], [12, 0.6]]},
    {"display_months": {"general": [12, 3]}},
    {"owner_default": 60},
])
def test_bad_settings_are_refused(settings):
    with pytest.raises(ValueError):
        ScoreModel.from_settings(settings)


@pytest.mark.parametrize("fields", [
    {"kind": "evaluation_owner"},
    {"kind": "evaluation_regulator", "rating": Decimal(6)},
    {"kind": "inspection"},
    {"kind": "penalty"},
])
def test_incomplete_records_are_refused(fields):
    with pytest.raises(ValueError):
        record(occurred_on=TODAY, **fields)


def _reference_score(records, today, model):
    """The RULES.md §2 formula written directly, in floats."""
    def mean(pairs, default):
        pairs = [(w, p) for w, p in pairs if w]
        return sum(w * p for w, p in pairs) / sum(w for w, _ in pairs) if pairs else default

    def weight(r):
        return decay_weight(r.occurred_on, today, model)

    owner_part = mean([(weight(r), 50 * (float(r.rating) - 1) / 4) for r in records
                       if r.kind == "evaluation_owner"], 40)
    regulator = mean([(weight(r), 30 * (float(r.rating) - 1) / 4) for r in records
                      if r.kind == "evaluation_regulator"]
                     + [(weight(r), float(model.inspection_points[r.inspection_outcome]))
                        for r in records if r.kind == "inspection"], 24)
    behaviour = max(0.0, 20 - sum(weight(r) * float(model.behaviour_deductions[r.kind])
                                  for r in records if r.kind in model.behaviour_deductions))
    penalties = sum(float(model.penalty_deductions[r.severity]) for r in records
                    if r.kind == "penalty" and r.publicly_displayed)
    bonus = 2 * min(5, sum(1 for r in records
                           if r.kind == "commendation" and r.publicly_displayed))
    return min(100.0, max(0.0, owner_part + regulator + behaviour - penalties + bonus))


def _random_record(rng):
    kind = rng.choice(list(RecordKind))
    fields = {"publicly_displayed": rng.random() < 0.6}
    if kind in ("evaluation_owner", "evaluation_regulator"):
        fields["rating"] = Decimal(rng.randint(10, 50)) / 10
    if kind == "inspection":
        fields["inspection_outcome"] = rng.choice(list(InspectionOutcome))
    if kind == "penalty":
        fields["severity"] = rng.choice(list(Severity))
    return record(kind, TODAY - timedelta(days=rng.randint(0, 1500)), **fields)


def test_random_records_add_up_and_match_the_formula():
    """Property test without hypothesis (not installed): 500 seeded random subjects."""
    rng = random.Random(20260615)
    model = ScoreModel()
    for _ in range(500):
        records = [_random_record(rng) for _ in range(rng.randint(0, 25))]
        result = compute_score(records, TODAY, model)
        assert_adds_up(result)
        assert 0 <= result.score <= 100
        assert abs(float(result.score) - _reference_score(records, TODAY, model)) <= 0.005 + 1e-9
        assert len([c for c in result.contributions if c.record_id is not None]) == len(records)
