"""Verifiable draws (ARCHITECTURE.md "Conventions"): every random choice the platform makes.

1. `commit()` picks a secret 256-bit seed and publishes only SHA-256(seed) — e.g. when a job
   or an inspection plan is published.
2. `draw()` fixes the candidate list, then reveals the seed and ranks the candidates by
   SHA-256(seed ‖ ":" ‖ key) (lowest first); the first `pick` win. The weighted variant
   (Efraimidis–Spirakis) ranks by u^(1/w) where u is the same hash read as a number in (0, 1).
3. Anyone recomputes the result from the published seed and candidates (`verify()`, the
   public page, `intermart verify-draw`), and checks the seed against the hash published
   before the candidates were known.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.db import Base, utcnow
from core.errors import Conflict
from core.extensions import db

ALGORITHM = "sha256-rank-v1"
WEIGHTED_ALGORITHM = "sha256-weighted-es-v1"
_TWO_256 = 2 ** 256


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


@dataclass(frozen=True)
class Candidate:
    key: str  # stable identifier, e.g. the agency's USCC
    label: str = ""
    weight: Decimal | None = None


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def ticket(seed: str, key: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest(), "big")


def rank(seed: str, keys: list[str]) -> list[str]:
    """Candidates in draw order: ascending SHA-256(seed:key); ties impossible in practice,
    broken by key for determinism."""
    return sorted(keys, key=lambda k: (ticket(seed, k), k))


def weighted_rank(seed: str, weights: dict[str, Decimal]) -> list[str]:
    """Efraimidis–Spirakis: key_i = u_i ** (1 / w_i), highest first; weight 0 never wins
    over a positive weight."""
    def score(key: str) -> float:
        u = (ticket(seed, key) + 1) / (_TWO_256 + 1)  # in (0, 1)
        weight = float(weights[key])
        return u ** (1 / weight) if weight > 0 else -1.0

    return sorted(weights, key=lambda k: (-score(k), k))


def recompute(seed: str, algorithm: str, candidates: list[dict], pick: int) -> list[str]:
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
        raise Conflict("this draw has already been made")
    keys = [c.key for c in candidates]
    if len(set(keys)) != len(keys):
        raise ValueError("candidate keys must be unique")
    record.candidates = [_candidate_json(c, weighted) for c in candidates]
    record.algorithm = WEIGHTED_ALGORITHM if weighted else ALGORITHM
    record.pick = min(pick, len(candidates))
    record.result = recompute(record.seed, record.algorithm, record.candidates, record.pick)
    record.drawn_at = utcnow()
    db.session.flush()
    audit.record("draw.made", "draw", record.id, after={
        "seed": record.seed, "algorithm": record.algorithm, "candidates": record.candidates,
        "pick": record.pick, "result": record.result})
    return list(record.result)


def _candidate_json(candidate: Candidate, weighted: bool) -> dict:
    data = {"key": candidate.key, "label": candidate.label}
    if weighted:
        data["weight"] = str(candidate.weight if candidate.weight is not None else 1)
    return data


@dataclass
class Verification:
    ok: bool
    seed_matches_hash: bool
    recomputed: list[str]
    reason: str = ""


def verify(record: Draw) -> Verification:
    """Recompute a made draw from what is published about it."""
    if record.drawn_at is None or record.seed is None:
        return Verification(False, False, [], "the draw has not been made yet")
    matches = seed_hash(record.seed) == record.seed_hash
    recomputed = recompute(record.seed, record.algorithm, record.candidates or [], record.pick)
    if not matches:
        return Verification(False, False, recomputed, "the seed does not match its hash")
    if recomputed != record.result:
        return Verification(False, True, recomputed, "the stored result differs")
    return Verification(True, True, recomputed)


def published(record: Draw) -> str:
    """The draw as anyone may download it to recompute it elsewhere (JSON)."""
    return json.dumps({"id": record.id, "purpose": record.purpose, "reference": record.reference,
                       "seed_hash": record.seed_hash, "seed": record.public_seed,
                       "algorithm": record.algorithm, "candidates": record.candidates,
                       "pick": record.pick, "result": record.result},
                      ensure_ascii=False, indent=2)
