"""What joint rewards and punishments apply to a subject now (RULES.md §2 "Joint reward and
punishment measures list"): the one question other modules ask credit.

A measure applies when its trigger holds for the subject today: its credit level ("new" is
treated as B), the severe dishonesty list, the honour list, or an exit (清退) in force.
Rewards do not apply while the subject is on the severe list or delisted: a reward for a
good level must not soften a punishment for the same subject.

Callers pass `public_funds` for a job funded with public money (True, also for mixed funding)
or privately (False); measures marked "public funds only" then apply or not. Without it
(None) every measure in force is returned, each saying whether it is public-funds-only,
which is what the subject's credit page shows.

Every time a module applies an effect it calls `record_execution` (一处失信、处处受限).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from core.extensions import db
from credit.models import (
    ApplicationMethod,
    CreditSubject,
    Delisting,
    Effect,
    Execution,
    HonourListing,
    Measure,
    MeasureTrigger,
    SevereListing,
)
from credit.queries.lists import (
    active_measures,
    delisting_in_force,
    honour_in_force,
    severe_in_force,
    subject_ids_with,
)
from credit.queries.subjects import effective_level_sql, local_today, score_model
from credit.rules import Level, effective_level


@dataclass(frozen=True)
class Restriction:
    """One effect in force for a subject and the measure behind it."""

    effect: Effect
    measure_id: int
    code: str
    content: str
    legal_basis: str
    method: ApplicationMethod
    is_reward: bool
    public_funds_only: bool
    trigger: MeasureTrigger
    trigger_value: str | None

    @property
    def delisted(self) -> bool:
        """Applies because the subject is delisted (清退): hide it from the directory too."""
        return self.trigger == MeasureTrigger.DELISTED

    @property
    def blocks(self) -> bool:
        """The system refuses the action; otherwise it flags it for review or informs."""
        return self.method == ApplicationMethod.AUTOMATIC_BLOCK

    @classmethod
    def of(cls, measure: Measure) -> "Restriction":
        return cls(measure.effect, measure.id, measure.code, measure.content,
                   measure.legal_basis, measure.method, measure.is_reward,
                   measure.public_funds_only, measure.trigger, measure.trigger_value)


@dataclass(frozen=True)
class _Standing:
    """What can trigger a measure for one subject today."""

    level: str  # A–D, "new" already mapped
    severe: bool
    honour: bool
    delisted: bool

    @property
    def punished_by_list(self) -> bool:
        return self.severe or self.delisted

    def triggers(self, measure: Measure) -> bool:
        if measure.is_reward and self.punished_by_list:
            return False
        match measure.trigger:
            case MeasureTrigger.LEVEL:
                return (measure.trigger_value or "").upper() == self.level
            case MeasureTrigger.SEVERE_LIST:
                return self.severe
            case MeasureTrigger.HONOUR_LIST:
                return self.honour
            case MeasureTrigger.DELISTED:
                return self.delisted
        return False


def _funding_allows(measure: Measure, public_funds: bool | None) -> bool:
    return public_funds is None or public_funds or not measure.public_funds_only


def _order(restriction: Restriction) -> tuple:
    """Punishments first, blocking ones before flags, then by code."""
    return restriction.is_reward, not restriction.blocks, restriction.code


def _standings(usccs: Iterable[str], today: date) -> dict[str, _Standing]:
    rows = db.session.execute(select(CreditSubject.id, CreditSubject.uscc, CreditSubject.level)
                              .where(CreditSubject.uscc.in_(set(usccs)))).all()
    ids = [row.id for row in rows]
    severe = subject_ids_with(severe_in_force(today), SevereListing.subject_id, ids)
    honour = subject_ids_with(honour_in_force(today), HonourListing.subject_id, ids)
    delisted = subject_ids_with(delisting_in_force(today), Delisting.subject_id, ids)
    model = score_model()
    return {row.uscc: _Standing(effective_level(Level(row.level), model).value,
                                row.id in severe, row.id in honour, row.id in delisted)
            for row in rows}


def restrictions_for_many(usccs: Iterable[str], public_funds: bool | None = None,
                          today: date | None = None) -> dict[str, list[Restriction]]:
    """`restrictions_for` for many subjects in a few queries (e.g. a whole directory page).
    A USCC credit does not know maps to no restriction."""
    standings = _standings(usccs, today or local_today())
    measures = [m for m in active_measures() if _funding_allows(m, public_funds)]
    return {uscc: sorted((Restriction.of(m) for m in measures if standing.triggers(m)),
                         key=_order)
            for uscc, standing in standings.items()}


def restrictions_for(uscc: str, public_funds: bool | None = None,
                     today: date | None = None) -> list[Restriction]:
    """The effects in force now for `uscc`, each with its measure."""
    return restrictions_for_many([uscc], public_funds, today).get(uscc, [])


def _subject_holds(model, in_force) -> ColumnElement[bool]:
    """The credit_subject row of the enclosing query has a `model` row in force."""
    return exists().where(model.subject_id == CreditSubject.id, in_force) \
        .correlate(CreditSubject)


def effect_applies_sql(effect: Effect, today: date | None = None) -> ColumnElement[bool]:
    """SQL twin of `restrictions_for_many` for one effect, whatever the funding: true where a
    measure in force gives `effect` to the credit_subject row of the enclosing query (outer-
    joined; a code credit does not know has no restriction). Market ranks its whole
    directory by DIRECTORY_PRIORITY / DIRECTORY_DEMOTION with it; it mirrors
    `_Standing.triggers`, rewards included (none while severe-listed or delisted)."""
    today = today or local_today()
    severe = _subject_holds(SevereListing, severe_in_force(today))
    delisted = _subject_holds(Delisting, delisting_in_force(today))
    by_list = {MeasureTrigger.SEVERE_LIST: severe, MeasureTrigger.DELISTED: delisted,
               MeasureTrigger.HONOUR_LIST: _subject_holds(HonourListing, honour_in_force(today))}
    conditions = []
    for measure in active_measures():
        if measure.effect != effect:
            continue
        if measure.trigger == MeasureTrigger.LEVEL:
            condition = and_(CreditSubject.id.is_not(None),
                             effective_level_sql() == (measure.trigger_value or "").upper())
        else:
            condition = by_list[measure.trigger]
        if measure.is_reward:
            condition = and_(condition, ~severe, ~delisted)
        conditions.append(condition)
    return or_(false(), *conditions)


def has_effect(uscc: str, effect: Effect, public_funds: bool | None = None,
               today: date | None = None) -> Restriction | None:
    """The measure that gives `uscc` this effect now (a blocking one if several), or None."""
    return next((r for r in restrictions_for(uscc, public_funds, today) if r.effect == effect),
                None)


def record_execution(uscc: str, measure: "int | Restriction | Measure", module: str,
                     context: str) -> Execution:
    """Record that `module` applied `measure` to `uscc` (a write: see
    credit.operations.lists.record_execution; the caller commits)."""
    # Imported here: credit.operations imports credit.queries, so a module-level import
    # would be circular.
    from credit.operations.lists import record_execution as write

    return write(uscc, measure, module, context)
