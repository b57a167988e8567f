"""Credit score engine (RULES.md §2 "Credit"): pure and explainable. No database, no Flask.

The score (0–100) is four parts:

    owner (≤ 50) + regulator (≤ 30) + behaviour (≤ 20) + adjustments

and every part is a baseline plus one signed contribution per record:

- owner, regulator: baseline = the part's no-data default (40, 24). A weighted mean splits
  exactly into shares: mean = default + Σ wᵢ·(pointsᵢ − default) / Σ w, so a record's
  contribution is its weight share times how far its points lie from the default;
- behaviour: baseline 20, each deduction −w·points, plus a 'behaviour_floor' line at 0;
- adjustments: baseline 0, displayed penalties and commendations, plus a 'clamp' line that
  brings the total back into 0–100.

"The parts add up to the score shown": all arithmetic is exact (fractions); the flat list of
baselines and contributions is then rounded to cents by running totals (`_round_running`), so
baselines + contributions == each part and the parts sum to the score, to the cent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction


class RecordKind(StrEnum):
    EVALUATION_OWNER = "evaluation_owner"
    EVALUATION_REGULATOR = "evaluation_regulator"
    INSPECTION = "inspection"
    LATE_DELIVERY = "late_delivery"
    COMMITMENT_BROKEN = "commitment_broken"
    COMMITMENT_KEPT = "commitment_kept"
    COMPLAINT_SUBSTANTIATED = "complaint_substantiated"
    OBJECTION_UPHELD = "objection_upheld"
    PENALTY = "penalty"
    COMMENDATION = "commendation"
    LICENCE = "licence"


class InspectionOutcome(StrEnum):
    NO_PROBLEM = "no_problem"
    CORRECTED = "corrected"
    PENDING = "pending"
    FALSE_OR_UNCOOPERATIVE = "false_or_uncooperative"


class Severity(StrEnum):
    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


class Level(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    NEW = "new"


class Part(StrEnum):
    OWNER = "owner"
    REGULATOR = "regulator"
    BEHAVIOUR = "behaviour"
    ADJUSTMENTS = "adjustments"


class ContributionCode(StrEnum):
    """What a contribution line is; the UI translates it."""

    OWNER_RATING = "owner_rating"
    REGULATOR_RATING = "regulator_rating"
    INSPECTION = "inspection"
    LATE_DELIVERY = "late_delivery"
    COMMITMENT_BROKEN = "commitment_broken"
    COMPLAINT_SUBSTANTIATED = "complaint_substantiated"
    OBJECTION_UPHELD = "objection_upheld"
    PENALTY = "penalty"
    COMMENDATION = "commendation"
    COMMENDATION_OVER_CAP = "commendation_over_cap"  # displayed, but beyond the counted five
    NOT_DISPLAYED = "not_displayed"  # penalty/commendation outside its window or repaired
    EXPIRED = "expired"  # decay weight 0
    NOT_SCORED = "not_scored"  # licence, commitment kept: recorded, not in the score model
    BEHAVIOUR_FLOOR = "behaviour_floor"
    CLAMP = "clamp"


RATING_MIN, RATING_MAX = Decimal(1), Decimal(5)
SCORE_MIN, SCORE_MAX = Decimal(0), Decimal(100)
EVALUATION_KINDS = frozenset({RecordKind.EVALUATION_OWNER, RecordKind.EVALUATION_REGULATOR})
BEHAVIOUR_KINDS = frozenset({RecordKind.LATE_DELIVERY, RecordKind.COMMITMENT_BROKEN,
                             RecordKind.COMPLAINT_SUBSTANTIATED, RecordKind.OBJECTION_UPHELD})
GRADED_LEVELS = (Level.A, Level.B, Level.C)  # the ones with a threshold; below C is D


def _decimal(value: object) -> Decimal:
    """Settings may arrive as int, str or float; floats go through str (0.6 stays 0.6)."""
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


@dataclass(frozen=True)
class ScoreInput:
    """One credit record as the score sees it."""

    record_id: int
    kind: RecordKind
    occurred_on: date
    rating: Decimal | None = None  # 1–5, evaluations only
    inspection_outcome: InspectionOutcome | None = None
    severity: Severity | None = None
    publicly_displayed: bool = False  # penalties/commendations: see is_displayed()

    def __post_init__(self) -> None:
        if self.rating is not None:
            object.__setattr__(self, "rating", _decimal(self.rating))
        if self.kind in EVALUATION_KINDS and not (
                self.rating is not None and RATING_MIN <= self.rating <= RATING_MAX):
            raise ValueError(f"record {self.record_id}: an evaluation needs a rating from 1 to 5")
        if self.kind == RecordKind.INSPECTION and self.inspection_outcome is None:
            raise ValueError(f"record {self.record_id}: an inspection needs an outcome")
        if self.kind == RecordKind.PENALTY and self.severity is None:
            raise ValueError(f"record {self.record_id}: a penalty needs a severity")


def _enum_map(enum: type[StrEnum], convert: Callable) -> Callable[[Mapping], dict]:
    return lambda mapping: {enum(key): convert(value) for key, value in mapping.items()}


def _month_range(pair: Iterable) -> tuple[int, int]:
    minimum, maximum = (int(months) for months in pair)
    return minimum, maximum


@dataclass(frozen=True)
class ScoreModel:
    """Every number of the score model; defaults are RULES.md §2, admins override them.

    Treat the mappings as read-only: the model is shared.
    """

    decay_steps: tuple[tuple[int, float], ...] = ((12, 1.0), (24, 0.6), (36, 0.3))
    owner_max: Decimal = Decimal(50)
    owner_default: Decimal = Decimal(40)
    regulator_max: Decimal = Decimal(30)
    regulator_default: Decimal = Decimal(24)
    inspection_points: dict[InspectionOutcome, Decimal] = field(default_factory=lambda: {
        InspectionOutcome.NO_PROBLEM: Decimal(30),
        InspectionOutcome.CORRECTED: Decimal(20),
        InspectionOutcome.PENDING: Decimal(10),
        InspectionOutcome.FALSE_OR_UNCOOPERATIVE: Decimal(0),
    })
    behaviour_max: Decimal = Decimal(20)
    behaviour_deductions: dict[RecordKind, Decimal] = field(default_factory=lambda: {
        RecordKind.LATE_DELIVERY: Decimal(2),
        RecordKind.COMMITMENT_BROKEN: Decimal(5),
        RecordKind.COMPLAINT_SUBSTANTIATED: Decimal(4),
        RecordKind.OBJECTION_UPHELD: Decimal(3),
    })
    penalty_deductions: dict[Severity, Decimal] = field(default_factory=lambda: {
        Severity.MINOR: Decimal(2), Severity.GENERAL: Decimal(10), Severity.SERIOUS: Decimal(30),
    })
    commendation_bonus: Decimal = Decimal(2)
    commendation_cap: int = 5  # how many displayed commendations count (not a cap in points)
    level_thresholds: dict[Level, Decimal] = field(default_factory=lambda: {
        Level.A: Decimal(90), Level.B: Decimal(75), Level.C: Decimal(60),
    })
    new_subject_level: Level = Level.B  # "new" is treated as B
    # (minimum, maximum) months of public display (RULES.md "Disclosure and repair").
    display_months: dict[Severity, tuple[int, int]] = field(default_factory=lambda: {
        Severity.MINOR: (0, 3), Severity.GENERAL: (3, 12), Severity.SERIOUS: (12, 36),
    })

    def __post_init__(self) -> None:
        for name, normalise in _NORMALISERS.items():
            object.__setattr__(self, name, normalise(getattr(self, name)))
        self._check()

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> ScoreModel:
        """The defaults with admin overrides. A mapping setting overrides only the keys it
        names: {"penalty_deductions": {"general": 15}} keeps minor 2 and serious 30."""
        unknown = sorted(set(settings) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown score settings: {', '.join(unknown)}")
        default = cls()
        overrides = {}
        for name, value in settings.items():
            current = getattr(default, name)
            overrides[name] = {**current, **value} if isinstance(current, dict) else value
        return replace(default, **overrides)  # __post_init__ converts and checks the values

    def _check(self) -> None:
        months = [step_months for step_months, _ in self.decay_steps]
        _require(months == sorted(set(months)) and all(m > 0 for m in months),
                 "decay steps need strictly increasing positive months")
        _require(all(0 <= weight <= 1 for _, weight in self.decay_steps),
                 "decay weights lie between 0 and 1")
        _require(0 <= self.owner_default <= self.owner_max, "owner default lies in 0..max")
        _require(0 <= self.regulator_default <= self.regulator_max,
                 "regulator default lies in 0..max")
        _require(set(self.inspection_points) == set(InspectionOutcome),
                 "inspection points need every outcome")
        _require(set(self.behaviour_deductions) == BEHAVIOUR_KINDS,
                 "behaviour deductions need exactly the behaviour kinds")
        _require(set(self.penalty_deductions) == set(Severity), "penalties need every severity")
        _require(set(self.display_months) == set(Severity), "display months need every severity")
        _require(all(0 <= low <= high for low, high in self.display_months.values()),
                 "display months: 0 <= minimum <= maximum")
        _require(self.commendation_cap >= 0, "commendation cap is not negative")
        thresholds = [self.level_thresholds.get(level) for level in GRADED_LEVELS]
        _require(set(self.level_thresholds) == set(GRADED_LEVELS)
                 and thresholds == sorted(thresholds, reverse=True)
                 and len(set(thresholds)) == 3, "level thresholds need A > B > C")
        _require(self.new_subject_level in (*GRADED_LEVELS, Level.D),
                 "a new subject is treated as A, B, C or D")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(f"score model: {message}")


_NORMALISERS: dict[str, Callable] = {
    "decay_steps": lambda steps: tuple((int(months), float(weight)) for months, weight in steps),
    "owner_max": _decimal,
    "owner_default": _decimal,
    "regulator_max": _decimal,
    "regulator_default": _decimal,
    "inspection_points": _enum_map(InspectionOutcome, _decimal),
    "behaviour_max": _decimal,
    "behaviour_deductions": _enum_map(RecordKind, _decimal),
    "penalty_deductions": _enum_map(Severity, _decimal),
    "commendation_bonus": _decimal,
    "commendation_cap": int,
    "level_thresholds": _enum_map(Level, _decimal),
    "new_subject_level": Level,
    "display_months": _enum_map(Severity, _month_range),
}

DEFAULT_MODEL = ScoreModel()


# --- Calendar months ---------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """`day` moved by calendar months; a day the target month lacks becomes its last day
    (2025-01-31 + 1 month = 2025-02-28; 2024-02-29 + 12 months = 2025-02-28)."""
    year, month_index = divmod(day.month - 1 + months, 12)
    year += day.year
    following = date(year + (month_index + 1) // 12, (month_index + 1) % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return date(year, month_index + 1, min(day.day, last_day))


def months_elapsed(start: date, end: date) -> int:
    """Whole calendar months from start to end: n months have elapsed from
    add_months(start, n) on. 0 when end is not after start."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if add_months(start, months) <= end else months - 1


def decay_weight(occurred_on: date, today: date, model: ScoreModel = DEFAULT_MODEL) -> float:
    """RULES.md §2: 1.0 under 12 months, 0.6 under 24, 0.3 under 36, then 0.

    Age is counted in calendar months (months_elapsed): a record of 2025-01-31 is under 12
    months old through 2026-01-30 and weighs 0.6 from 2026-01-31. A record dated after `today`
    (a UTC / Asia/Shanghai date mismatch) counts as new.
    """
    age = months_elapsed(occurred_on, today)
    for months, weight in model.decay_steps:
        if age < months:
            return weight
    return 0.0


# --- Disclosure and repair (RULES.md §2 "Disclosure and repair") ----------------------------

def display_window(severity: Severity, decided_on: date,
                   model: ScoreModel = DEFAULT_MODEL) -> tuple[date, date]:
    """(min_until, max_until): repair is possible from min_until; display stops on max_until."""
    minimum, maximum = model.display_months[severity]
    return add_months(decided_on, minimum), add_months(decided_on, maximum)


def is_displayed(severity: Severity, decided_on: date, today: date,
                 repaired_on: date | None = None, model: ScoreModel = DEFAULT_MODEL) -> bool:
    """Public from the decision date until max_until (exclusive), or until repaired."""
    if repaired_on is not None and repaired_on <= today:
        return False
    return decided_on <= today < display_window(severity, decided_on, model)[1]


def repair_allowed(severity: Severity, decided_on: date, today: date, obligations_met: bool,
                   model: ScoreModel = DEFAULT_MODEL) -> bool:
    """The minimum display period has passed (minor: none) and obligations are met.

    `obligations_met` covers the fulfilled obligations and the new public credit commitment;
    the regulator still decides the application.
    """
    return obligations_met and today >= display_window(severity, decided_on, model)[0]


# --- Levels ---------------------------------------------------------------------------------

def level_for(score: Decimal, model: ScoreModel = DEFAULT_MODEL, vetoed: bool = False,
              has_records: bool = True) -> Level:
    """Veto (严重失信名单) → D whatever the score; no record → "new"; else the thresholds.
    Pass the score as shown (2 decimals), so the level agrees with the number on the page."""
    if vetoed:
        return Level.D
    if not has_records:
        return Level.NEW
    for level in GRADED_LEVELS:
        if score >= model.level_thresholds[level]:
            return level
    return Level.D


def effective_level(level: Level, model: ScoreModel = DEFAULT_MODEL) -> Level:
    """The level measures act on: "new" is treated as B (RULES.md §2 "Levels")."""
    return model.new_subject_level if level == Level.NEW else level


# --- Score ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreParts:
    owner: Decimal
    regulator: Decimal
    behaviour: Decimal
    adjustments: Decimal

    def total(self) -> Decimal:
        return self.owner + self.regulator + self.behaviour + self.adjustments


@dataclass(frozen=True)
class Contribution:
    """How many points one record (record_id None: a floor/clamp line) moved its part."""

    record_id: int | None
    part: Part | None  # None: the record is not in the score model
    points: Decimal
    weight: Decimal
    explanation: str
    code: ContributionCode


@dataclass(frozen=True)
class ScoreResult:
    """baselines.total() + Σ contributions.points == parts.total() == score, to the cent."""

    score: Decimal
    level: Level
    effective_level: Level
    parts: ScoreParts
    baselines: ScoreParts
    contributions: list[Contribution]


@dataclass(frozen=True)
class _Line:
    """A contribution before rounding."""

    record_id: int | None
    code: ContributionCode
    exact: Fraction
    weight: Decimal
    explanation: str


def compute_score(records: Iterable[ScoreInput], today: date,
                  model: ScoreModel = DEFAULT_MODEL, vetoed: bool = False) -> ScoreResult:
    """The score, its level and its explanation (RULES.md §2 "Score")."""
    records = sorted(records, key=lambda record: (record.occurred_on, record.record_id))
    ids = [record.record_id for record in records]
    if len(ids) != len(set(ids)):
        raise ValueError("record ids must be unique")
    segments = {
        Part.OWNER: (model.owner_default, _owner_lines(records, today, model)),
        Part.REGULATOR: (model.regulator_default, _regulator_lines(records, today, model)),
        Part.BEHAVIOUR: (model.behaviour_max, _behaviour_lines(records, today, model)),
        Part.ADJUSTMENTS: (Decimal(0), _adjustment_lines(records, model)),
    }
    total = sum(Fraction(baseline) + sum(line.exact for line in lines)
                for baseline, lines in segments.values())
    segments[Part.ADJUSTMENTS][1].extend(_clamp_lines(total))

    # Round the flat sequence [baseline, lines…] part after part by running totals.
    flat = [exact for baseline, lines in segments.values()
            for exact in (Fraction(baseline), *(line.exact for line in lines))]
    shown = iter(_round_running(flat))
    baselines, parts, contributions = {}, {}, []
    for part, (_, lines) in segments.items():
        baselines[part] = next(shown)
        parts[part] = baselines[part]
        for line in lines:
            points = next(shown)
            parts[part] += points
            contributions.append(Contribution(line.record_id, part, points, line.weight,
                                              line.explanation, line.code))
    contributions.extend(_unscored(records))

    score = _cents(min(max(total, Fraction(SCORE_MIN)), Fraction(SCORE_MAX)))
    level = level_for(score, model, vetoed, has_records=bool(records))
    return ScoreResult(score, level, effective_level(level, model), _parts(parts),
                       _parts(baselines), contributions)


def _parts(values: dict[Part, Decimal]) -> ScoreParts:
    return ScoreParts(**{part.value: value for part, value in values.items()})


def _cents(value: Fraction) -> Decimal:
    """Round to 2 decimals, ROUND_HALF_UP (ties away from zero), exactly."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return Decimal(cents if value >= 0 else -cents).scaleb(-2)


def _round_running(values: list[Fraction]) -> list[Decimal]:
    """Round each value as the difference of its rounded running totals.

    The shown values then add up to the rounded total exactly (the sum telescopes), each is
    within a cent of its exact value, and a value that is already whole cents (a baseline, a
    penalty) shows unchanged. The rounding residue lands where it arises, not on one item.
    """
    shown, running, previous = [], Fraction(0), Decimal("0.00")
    for value in values:
        running += value
        current = _cents(running)
        shown.append(current - previous)
        previous = current
    return shown


def _weight(record: ScoreInput, today: date, model: ScoreModel) -> Decimal:
    return Decimal(str(decay_weight(record.occurred_on, today, model)))


def _rating_points(rating: Decimal, part_max: Decimal) -> Fraction:
    """RULES.md §2: rating r ∈ 1..5 maps to max × (r − 1) / 4."""
    return Fraction(part_max) * Fraction(rating - RATING_MIN) / Fraction(RATING_MAX - RATING_MIN)


def _owner_lines(records, today, model) -> list[_Line]:
    rated = [(record, _rating_points(record.rating, model.owner_max),
              ContributionCode.OWNER_RATING, f"Owner rating {record.rating}")
             for record in records if record.kind == RecordKind.EVALUATION_OWNER]
    return _mean_lines(rated, model.owner_default, today, model)


def _regulator_lines(records, today, model) -> list[_Line]:
    """Regulator ratings and inspection results share one weighted mean (RULES.md §2)."""
    scored = []
    for record in records:
        if record.kind == RecordKind.EVALUATION_REGULATOR:
            scored.append((record, _rating_points(record.rating, model.regulator_max),
                           ContributionCode.REGULATOR_RATING,
                           f"Regulator rating {record.rating}"))
        elif record.kind == RecordKind.INSPECTION:
            points = Fraction(model.inspection_points[record.inspection_outcome])
            scored.append((record, points, ContributionCode.INSPECTION,
                           f"Inspection {record.inspection_outcome}"))
    return _mean_lines(scored, model.regulator_default, today, model)


def _mean_lines(scored, default: Decimal, today, model) -> list[_Line]:
    """Split the decay-weighted mean into default + Σ share × (points − default).

    Records with weight 0 are left out of the mean (an 'expired' line of 0 points).
    """
    weights = [_weight(record, today, model) for record, *_ in scored]
    total_weight = sum(Fraction(weight) for weight in weights)
    lines = []
    for (record, points, code, label), weight in zip(scored, weights, strict=True):
        if not weight:
            lines.append(_expired_line(record))
            continue
        share = Fraction(weight) / total_weight
        lines.append(_Line(
            record.record_id, code, share * (points - Fraction(default)), weight,
            f"{label} = {_cents(points)} points, weight {weight}, "
            f"{_cents(share * 100)}% of the mean, against the default {default}"))
    return lines


def _behaviour_lines(records, today, model) -> list[_Line]:
    """20 minus decayed deductions, floored at 0 (a 'behaviour_floor' line makes up the rest)."""
    lines = []
    for record in records:
        if record.kind not in BEHAVIOUR_KINDS:
            continue
        weight = _weight(record, today, model)
        if not weight:
            lines.append(_expired_line(record))
            continue
        deduction = model.behaviour_deductions[record.kind]
        lines.append(_Line(record.record_id, ContributionCode(record.kind),
                           -Fraction(weight) * Fraction(deduction), weight,
                           f"{_label(record.kind)}: −{deduction} × weight {weight}"))
    below_floor = Fraction(model.behaviour_max) + sum(line.exact for line in lines)
    if below_floor < 0:
        lines.append(_Line(None, ContributionCode.BEHAVIOUR_FLOOR, -below_floor, Decimal(1),
                           "Behaviour part floored at 0"))
    return lines


def _adjustment_lines(records, model) -> list[_Line]:
    """Displayed penalties deduct by severity, no decay; displayed commendations add.

    "At most 5" is read as at most 5 commendations counted (+10 with the default bonus of 2),
    not as +5 points; the most recent ones count.
    """
    displayed = [record for record in records
                 if record.kind == RecordKind.COMMENDATION and record.publicly_displayed]
    counted = {record.record_id for record in displayed[::-1][:model.commendation_cap]}
    lines = []
    for record in records:
        if record.kind not in (RecordKind.PENALTY, RecordKind.COMMENDATION):
            continue
        if not record.publicly_displayed:
            lines.append(_Line(record.record_id, ContributionCode.NOT_DISPLAYED, Fraction(0),
                               Decimal(0), f"{_label(record.kind)} no longer publicly "
                                           "displayed: no effect"))
        elif record.kind == RecordKind.PENALTY:
            deduction = model.penalty_deductions[record.severity]
            lines.append(_Line(record.record_id, ContributionCode.PENALTY, -Fraction(deduction),
                               Decimal(1), f"{_label(record.severity)} penalty publicly "
                                           f"displayed: −{deduction}"))
        elif record.record_id in counted:
            lines.append(_Line(record.record_id, ContributionCode.COMMENDATION,
                               Fraction(model.commendation_bonus), Decimal(1),
                               f"Commendation publicly displayed: +{model.commendation_bonus}"))
        else:
            lines.append(_Line(record.record_id, ContributionCode.COMMENDATION_OVER_CAP,
                               Fraction(0), Decimal(0), f"Commendation not counted: at most "
                                                        f"{model.commendation_cap} count"))
    return lines


def _clamp_lines(total: Fraction) -> list[_Line]:
    """The score is clamped to 0–100; the difference is a line of its own."""
    bounded = min(max(total, Fraction(SCORE_MIN)), Fraction(SCORE_MAX))
    if bounded == total:
        return []
    return [_Line(None, ContributionCode.CLAMP, bounded - total, Decimal(1),
                  f"Score clamped to {SCORE_MIN}–{SCORE_MAX}")]


def _expired_line(record: ScoreInput) -> _Line:
    return _Line(record.record_id, ContributionCode.EXPIRED, Fraction(0), Decimal(0),
                 f"{_label(record.kind)} too old to count: weight 0")


def _unscored(records: list[ScoreInput]) -> list[Contribution]:
    """Licences and kept commitments are credit records but not part of the score model."""
    return [Contribution(record.record_id, None, Decimal("0.00"), Decimal(0),
                         f"{_label(record.kind)}: not part of the score",
                         ContributionCode.NOT_SCORED)
            for record in records
            if record.kind in (RecordKind.LICENCE, RecordKind.COMMITMENT_KEPT)]


def _label(value: StrEnum) -> str:
    return value.replace("_", " ").capitalize()
