"""Verifiable draws (ARCHITECTURE.md "Conventions"): every random choice the platform makes.

1. `commit()` picks a secret 256-bit seed and publishes only SHA-256(seed) — e.g. when a job
   or an inspection plan is published.
2. `draw()` fixes the candidate list, then reveals the seed and ranks the candidates by
   SHA-256(seed ‖ ":" ‖ key) read as a big-endian number, lowest first; the first `pick` win.
   The order of a subset is the full order with the others left out, so a caller that draws
   every candidate (pick = all) can later re-run a selection without someone, or take the
   next-ranked, with no new draw. The weighted variant (Efraimidis–Spirakis) ranks by
   ln(u) / weight, highest first, u = (hash + 1) / (2²⁵⁶ + 1), in exact decimal arithmetic.
3. Choices derived from the same seed (e.g. the optimal-price coefficient) take
   options[SHA-256(seed ‖ ":" ‖ label) mod len(options)] (`choose()`).
4. Anyone recomputes the result from the published seed and candidates (`verify()`, the
   public page /draws/<id>, `intermart verify-draw`), and checks the seed against the hash
   published before the candidates were known. `verify()` also compares the row with what
   the hash-chained audit log recorded when the hash was published and the draw made, so a
   rewritten seed, hash or candidate list shows even when the result still recomputes.
5. A domain that derives more from a draw (a selection per stratum, teams) registers a check
   of it by purpose (`register_check`), so the same three doors report it too; a domain
   whose draw lists must stay private (an inspection plan that does not publish who is
   drawn) registers who may see them (`register_disclosure`).
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal

from flask_babel import gettext as _
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import Base, utcnow
from core.errors import Conflict
from core.extensions import db

ALGORITHM = "sha256-rank-v1"
WEIGHTED_ALGORITHM = "sha256-weighted-es-v1"
ALGORITHMS = (ALGORITHM, WEIGHTED_ALGORITHM)
_TWO_256 = 2 ** 256
# Correctly rounded ln and division (General Decimal Arithmetic): the same on every machine.
_WEIGHTED_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)


class Draw(Base):
    __tablename__ = "draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(60))  # e.g. "job.random", "inspection.objects"
    reference: Mapped[str] = mapped_column(String(80), index=True)  # e.g. "job:12"
    seed_hash: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str | None] = mapped_column(String(64))  # secret until drawn_at
    algorithm: Mapped[str | None] = mapped_column(String(40))
    candidates: Mapped[list | None] = mapped_column(JSON)  # [{"key", "label", "weight"?}]
    pick: Mapped[int | None]
    result: Mapped[list | None] = mapped_column(JSON)  # winning keys, in rank order
    committed_at: Mapped[datetime] = mapped_column(default=utcnow)
    drawn_at: Mapped[datetime | None]

    @property
    def public_seed(self) -> str | None:
        return self.seed if self.drawn_at else None


# purpose → check(record) → [(passed, what was checked)]; purpose → may_see(record) → bool.
# Registered by the domains on import, so core never imports them.
DERIVED_CHECKS: dict[str, Callable[[Draw], list[tuple[bool, str]]]] = {}
DISCLOSURES: dict[str, Callable[[Draw], bool]] = {}


def register_check(purpose: str, check: Callable[[Draw], list[tuple[bool, str]]]) -> None:
    DERIVED_CHECKS[purpose] = check


def register_disclosure(purpose: str, may_see: Callable[[Draw], bool]) -> None:
    DISCLOSURES[purpose] = may_see


def disclosed(record: Draw) -> bool:
    """Whether the current viewer may see the seed, candidates and result (default: all)."""
    may_see = DISCLOSURES.get(record.purpose)
    return may_see is None or may_see(record)


@dataclass(frozen=True)
class Candidate:
    key: str  # stable identifier, e.g. the agency's USCC
    label: str = ""
    weight: Decimal | None = None


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def ticket_hex(seed: str, key: str) -> str:
    """SHA-256(seed ":" key) in hex: what `printf '%s' 'seed:key' | sha256sum` prints."""
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def ticket(seed: str, key: str) -> int:
    return int(ticket_hex(seed, key), 16)


def rank(seed: str, keys: list[str]) -> list[str]:
    """Candidates in draw order: ascending SHA-256(seed:key); ties impossible in practice,
    broken by key for determinism."""
    return sorted(keys, key=lambda k: (ticket(seed, k), k))


def weighted_rank(seed: str, weights: dict[str, Decimal]) -> list[str]:
    """Efraimidis–Spirakis: highest ln(u) / weight first (the same order as u ** (1/weight)).
    Weight 0 never comes before a positive weight; those come last, in plain rank order."""
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("draw weights cannot be negative")
    positive = [key for key, weight in weights.items() if weight > 0]
    zero = [key for key, weight in weights.items() if weight == 0]

    def score(key: str) -> Decimal:
        u = _WEIGHTED_CONTEXT.divide(Decimal(ticket(seed, key) + 1), Decimal(_TWO_256 + 1))
        return _WEIGHTED_CONTEXT.divide(_WEIGHTED_CONTEXT.ln(u), Decimal(weights[key]))

    return sorted(positive, key=lambda k: (-score(k), k)) + rank(seed, zero)


def choose(seed: str, label: str, options: list | tuple):
    """One of `options`, derived from the seed: options[SHA-256(seed:label) mod n]."""
    if not options:
        raise ValueError("nothing to choose from")
    return options[ticket(seed, label) % len(options)]


def recompute(seed: str, algorithm: str, candidates: list[dict], pick: int | None) -> list[str]:
    if algorithm == ALGORITHM:
        return rank(seed, [c["key"] for c in candidates])[:pick]
    if algorithm == WEIGHTED_ALGORITHM:
        return weighted_rank(seed, {c["key"]: Decimal(str(c["weight"])) for c in candidates})[:pick]
    raise ValueError(f"unknown draw algorithm {algorithm}")


def commit(purpose: str, reference: str) -> Draw:
    """Choose the seed now and publish only its hash."""
    seed = secrets.token_hex(32)
    record = Draw(purpose=purpose, reference=reference, seed=seed, seed_hash=seed_hash(seed))
    db.session.add(record)
    db.session.flush()
    audit.record("draw.commit", "draw", record.id,
                 after={"purpose": purpose, "reference": reference, "seed_hash": record.seed_hash})
    return record


def draw(record: Draw, candidates: list[Candidate], pick: int = 1,
         weighted: bool = False) -> list[str]:
    """Fix the candidates, reveal the seed and return the winning keys in rank order.
    A draw happens once: a second call is a conflict, not a re-roll."""
    if record.drawn_at is not None:
        raise Conflict(_("This draw has already been made; it cannot be made again."))
    keys = [c.key for c in candidates]
    if not keys:
        raise ValueError("a draw needs at least one candidate")
    if len(set(keys)) != len(keys):
        raise ValueError("candidate keys must be unique")
    if pick < 1:
        raise ValueError("a draw picks at least one candidate")
    record.candidates = [_candidate_json(c, weighted) for c in candidates]
    record.algorithm = WEIGHTED_ALGORITHM if weighted else ALGORITHM
    record.pick = min(pick, len(candidates))
    record.result = recompute(record.seed, record.algorithm, record.candidates, record.pick)
    record.drawn_at = utcnow()
    db.session.flush()
    audit.record("draw.made", "draw", record.id, after=_made(record))
    return list(record.result)


def _candidate_json(candidate: Candidate, weighted: bool) -> dict:
    data = {"key": candidate.key, "label": candidate.label}
    if weighted:
        data["weight"] = str(candidate.weight if candidate.weight is not None else 1)
    return data


def _made(record: Draw) -> dict:
    """What the audit log keeps when the draw is made."""
    return {"seed": record.seed, "algorithm": record.algorithm, "candidates": record.candidates,
            "pick": record.pick, "result": record.result}


@dataclass
class Verification:
    drawn: bool
    seed_matches_hash: bool = False  # SHA-256(seed) is the hash published at commit
    result_matches: bool = False  # recomputing from seed and candidates gives the result
    matches_audit: bool = False  # hash, seed, candidates, result as the audit log recorded
    recomputed: list[str] = field(default_factory=list)
    derived: list[tuple[bool, str]] = field(default_factory=list)  # the domain's checks
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.drawn and self.seed_matches_hash and self.result_matches \
            and self.matches_audit and all(passed for passed, _ in self.derived)

    @property
    def reason(self) -> str:
        return "; ".join(self.problems)


def verify(record: Draw) -> Verification:
    """Recompute a made draw from what is published about it, and compare the row with the
    audit log written when its hash was published and when it was made."""
    if record.drawn_at is None or record.seed is None:
        return Verification(False, problems=["the draw has not been made yet"])
    check = Verification(True)
    check.seed_matches_hash = seed_hash(record.seed) == record.seed_hash
    if not check.seed_matches_hash:
        check.problems.append("the seed does not match its published hash")
    try:
        check.recomputed = recompute(record.seed, record.algorithm or "",
                                     record.candidates or [], record.pick)
    except (ValueError, KeyError, ArithmeticError) as error:
        check.problems.append(f"the draw cannot be recomputed: {error}")
    check.result_matches = bool(check.recomputed) and check.recomputed == record.result
    if check.recomputed and not check.result_matches:
        check.problems.append("the stored result differs from the recomputed one")
    audit_problem = _audit_mismatch(record)
    check.matches_audit = audit_problem is None
    if audit_problem:
        check.problems.append(audit_problem)
    derived_check = DERIVED_CHECKS.get(record.purpose)
    check.derived = derived_check(record) if derived_check else []
    check.problems += [f"failed: {text}" for passed, text in check.derived if not passed]
    return check


def _audit_mismatch(record: Draw) -> str | None:
    entries = {e.action: e.after for e in audit.history("draw", record.id)}
    committed, made = entries.get("draw.commit"), entries.get("draw.made")
    if committed is None or made is None:
        return "the audit log has no record of this draw"
    if committed.get("seed_hash") != record.seed_hash:
        return "the seed hash differs from the one recorded when it was published"
    if made != _made(record):
        return "the seed, candidates or result differ from those recorded at the draw"
    return None


def published(record: Draw, disclose: bool = True) -> str:
    """The draw as anyone may download it to recompute it elsewhere (JSON). Before the draw
    only the hash of the seed is public; so it stays when the draw is not `disclose`d."""
    drawn = record.drawn_at is not None and disclose
    return json.dumps({
        "id": record.id, "purpose": record.purpose, "reference": record.reference,
        "seed_hash": record.seed_hash,
        "committed_at": record.committed_at.isoformat() if record.committed_at else None,
        "drawn_at": record.drawn_at.isoformat() if record.drawn_at else None,
        "seed": record.public_seed if drawn else None,
        "algorithm": record.algorithm if drawn else None,
        "candidates": record.candidates if drawn else None,
        "pick": record.pick if drawn else None,
        "result": record.result if drawn else None,
    }, ensure_ascii=False, indent=2)


def describe(record: Draw, check: Verification) -> str:
    """Plain-text report of a verification (the `intermart verify-draw` output)."""
    lines = [f"draw {record.id}: {record.purpose} {record.reference}",
             f"seed hash  {record.seed_hash} (published {record.committed_at.isoformat()})"]
    if not check.drawn:
        return "\n".join(lines + ["not drawn yet: only the hash is public; nothing to verify"])
    lines += [f"seed       {record.seed}",
              f"algorithm  {record.algorithm}",
              f"candidates {len(record.candidates or [])}, pick {record.pick}",
              f"result     {', '.join(record.result or [])}",
              f"recomputed {', '.join(check.recomputed)}"]
    for ok, text in [(check.seed_matches_hash, "seed matches its published hash"),
                     (check.result_matches, "recomputed result equals the stored result"),
                     (check.matches_audit, "record matches the audit trail"),
                     *check.derived]:
        lines.append(f"  [{'ok' if ok else 'FAIL'}] {text}")
    lines.append("VERIFIED" if check.ok else f"MISMATCH: {check.reason}")
    return "\n".join(lines)
