"""Credit subjects, their records, scores and commitments (RULES.md §2 "Credit").

Market registers every agency and owner here by USCC and, like inspection, reports
evaluations, breaches, complaints and inspection results through `add_record`; each record
recomputes the subject's score at once, and the nightly sweeper recomputes every subject as
records age and display windows close. Each operation flushes and writes one audit entry;
the caller commits.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from stdnum.cn import ric
from stdnum.cn import uscc as uscc_std

from core import audit
from core.db import utcnow
from core.errors import Conflict, NotFound
from core.extensions import db
from core.pdf import document_number
from credit.models import Commitment, CreditRecord, CreditSubject, ScoreSnapshot, SubjectKind
from credit.queries import subjects as queries
from credit.rules import (
    EVALUATION_KINDS,
    RATING_MAX,
    RATING_MIN,
    InspectionOutcome,
    RecordKind,
    ScoreModel,
    ScoreResult,
    Severity,
    compute_score,
    display_window,
)

PLATFORM_DEPARTMENT = "网上中介服务超市"  # source of the records the platform itself makes
CENTS = Decimal("0.01")
SWEEP_BATCH = 500

# Commitment outcome: unknown (None) → kept or broken, once; both are final.
COMMITMENT_TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"kept", "broken"}),
    "kept": frozenset(),
    "broken": frozenset(),
}


# --- Subjects ------------------------------------------------------------------------------

def _checked_code(uscc: str, kind: SubjectKind) -> str:
    """GB 32100-2015 code; a natural person may be known by the resident ID number."""
    code = uscc_std.compact(uscc or "").upper()
    if uscc_std.is_valid(code) or (kind == SubjectKind.NATURAL_PERSON and ric.is_valid(code)):
        return code
    raise Conflict(_("%(uscc)s is not a valid unified social credit code.", uscc=uscc))


def register_subject(uscc: str, name: str, kind: SubjectKind = SubjectKind.LEGAL_PERSON,
                     role: str = "agency") -> CreditSubject:
    """The subject under `uscc`, created on first call. Market calls this on every
    registration: a repeat returns the same row and takes a changed name, or the market role
    of a subject first known from a 双公示 disclosure."""
    kind = SubjectKind(kind)
    code = _checked_code(uscc, kind)
    name = (name or "").strip()
    if not name:
        raise Conflict(_("A credit subject needs a name."))
    subject = queries.subject_for(code)
    if subject is None:
        return _create_subject(code, name, kind, role)
    before = {"name": subject.name, "role": subject.role}
    after = {"name": name, "role": role}
    changed = {key for key in after if before[key] != after[key]}
    if changed:
        subject.name, subject.role = name, role
        db.session.flush()
        audit.record("credit.subject.update", "credit_subject", subject.id,
                     before={key: before[key] for key in changed},
                     after={key: after[key] for key in changed})
    return subject


def _create_subject(code: str, name: str, kind: SubjectKind, role: str) -> CreditSubject:
    subject = CreditSubject(uscc=code, name=name, kind=kind, role=role)
    db.session.add(subject)
    db.session.flush()
    result, _changed = _rescore(subject, queries.local_today(), queries.score_model(), False)
    audit.record("credit.subject.register", "credit_subject", subject.id,
                 after={"uscc": code, "name": name, "kind": kind, "role": role,
                        "score": result.score, "level": result.level})
    return subject


def _subject(uscc: str) -> CreditSubject:
    subject = queries.subject_for(uscc or "")
    if subject is None:
        raise NotFound(_("No credit subject is registered under %(uscc)s.", uscc=uscc))
    return subject


# --- Records -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Details:
    rating: Decimal | None
    inspection_outcome: InspectionOutcome | None
    severity: Severity | None


def _rating(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        # Stored as Numeric(…, 2): round now so the score stored and recomputed agree.
        return Decimal(str(value)).quantize(CENTS, ROUND_HALF_UP)
    except InvalidOperation as error:
        raise Conflict(_("An evaluation needs a rating from 1 to 5.")) from error


def _checked_details(kind: RecordKind, rating, inspection_outcome, severity) -> _Details:
    """Each kind carries exactly its own detail (RULES.md §2): evaluations a 1–5 rating,
    inspection results an outcome, penalties a severity; other kinds none of them."""
    details = _Details(_rating(rating),
                       InspectionOutcome(inspection_outcome) if inspection_outcome else None,
                       Severity(severity) if severity else None)
    if kind in EVALUATION_KINDS:
        if details.rating is None or not RATING_MIN <= details.rating <= RATING_MAX:
            raise Conflict(_("An evaluation needs a rating from 1 to 5."))
    elif details.rating is not None:
        raise Conflict(_("Only evaluations carry a rating."))
    if kind == RecordKind.INSPECTION and details.inspection_outcome is None:
        raise Conflict(_("An inspection result needs an outcome."))
    if kind != RecordKind.INSPECTION and details.inspection_outcome is not None:
        raise Conflict(_("Only inspection results carry an outcome."))
    if kind == RecordKind.PENALTY and details.severity is None:
        raise Conflict(_("A penalty needs a severity: minor, general or serious."))
    if kind != RecordKind.PENALTY and details.severity is not None:
        raise Conflict(_("Only penalties carry a severity."))
    return details


def _record_snapshot(record: CreditRecord) -> dict:
    return {"uscc": record.subject.uscc, "kind": record.kind, "title": record.title,
            "source_department": record.source_department,
            "source_department_id": record.source_department_id,
            "legal_basis": record.legal_basis, "evidence": record.evidence,
            "reference": record.reference, "occurred_on": record.occurred_on,
            "severity": record.severity, "rating": record.rating,
            "inspection_outcome": record.inspection_outcome,
            "display_min_until": record.display_min_until,
            "display_max_until": record.display_max_until}


def _new_record(subject: CreditSubject, kind, title: str, source_department: str,
                source_department_id: int | None, legal_basis: str, evidence: str,
                occurred_on: date | None, severity, rating, inspection_outcome,
                reference: str | None, model: ScoreModel, today: date) -> CreditRecord:
    """Validate and add one record; no audit, no rescoring (the callers do both)."""
    kind = RecordKind(kind)
    title, source_department = (title or "").strip(), (source_department or "").strip()
    if not title:
        raise Conflict(_("A credit record needs a title."))
    if not source_department:
        raise Conflict(_("A credit record needs its source department."))
    occurred_on = occurred_on or today
    if occurred_on > today:
        raise Conflict(_("A credit record cannot be dated after today."))
    details = _checked_details(kind, rating, inspection_outcome, severity)
    record = CreditRecord(
        subject=subject, kind=kind, title=title, source_department=source_department,
        source_department_id=source_department_id, legal_basis=legal_basis or "",
        evidence=evidence or "", reference=reference or None, occurred_on=occurred_on,
        severity=details.severity, rating=details.rating,
        inspection_outcome=details.inspection_outcome)
    window_severity = queries.display_severity(record)
    if window_severity is not None:
        record.display_min_until, record.display_max_until = display_window(
            window_severity, occurred_on, model)
    db.session.add(record)
    db.session.flush()
    return record


def add_record(uscc: str, kind: RecordKind, title: str, source_department: str,
               source_department_id: int | None = None, legal_basis: str = "",
               evidence: str = "", occurred_on: date | None = None,
               severity: Severity | None = None, rating: Decimal | None = None,
               inspection_outcome: InspectionOutcome | None = None,
               reference: str | None = None) -> CreditRecord:
    """Record one credit fact about the subject under `uscc` and recompute its score.

    The entry point for market (evaluations, late delivery, complaints, objections),
    inspection (results), penalties (双公示) and commendations. `occurred_on` defaults to
    today (Asia/Shanghai); penalties and commendations get their display window from it.
    """
    subject = _subject(uscc)
    today, model = queries.local_today(), queries.score_model()
    record = _new_record(subject, kind, title, source_department, source_department_id,
                         legal_basis, evidence, occurred_on, severity, rating,
                         inspection_outcome, reference, model, today)
    before = {"score": subject.score, "level": subject.level}
    result, _changed = _rescore(subject, today, model, queries.is_vetoed(subject))
    audit.record("credit.record.add", "credit_record", record.id,
                 before=before, after={**_record_snapshot(record), "score": result.score,
                                       "level": result.level})
    return record


# --- Scores --------------------------------------------------------------------------------

def _rescore(subject: CreditSubject, today: date, model: ScoreModel,
             vetoed: bool) -> tuple[ScoreResult, bool]:
    """Store the subject's score and level; append a snapshot when either changed."""
    result = compute_score(queries.score_inputs(subject.records, today, model), today, model,
                           vetoed)
    changed = subject.score != result.score or subject.level != result.level
    if changed:
        db.session.add(ScoreSnapshot(subject_id=subject.id, score=result.score,
                                     level=result.level.value,
                                     parts={part: str(value) for part, value
                                            in vars(result.parts).items()}))
    subject.score, subject.level, subject.scored_at = result.score, result.level.value, utcnow()
    db.session.flush()
    return result, changed


def _recompute(subject: CreditSubject, today: date, model: ScoreModel,
               vetoed: bool) -> tuple[ScoreResult, bool]:
    before = {"score": subject.score, "level": subject.level}
    result, changed = _rescore(subject, today, model, vetoed)
    if changed:  # an unchanged score is no event: nightly runs leave no trace
        audit.record("credit.score.change", "credit_subject", subject.id, before=before,
                     after={"score": result.score, "level": result.level,
                            "parts": vars(result.parts)})
    return result, changed


def recompute(subject: CreditSubject, today: date | None = None) -> ScoreResult:
    """Recompute and store the subject's score as of `today` (Asia/Shanghai by default).

    Call it after anything that moves the score without a new record: listing on or removal
    from the severe dishonesty list (the veto), a repair (display ends). Idempotent.
    """
    result, _changed = _recompute(subject, today or queries.local_today(),
                                  queries.score_model(), queries.is_vetoed(subject))
    return result


def recompute_all(today: date | None = None) -> int:
    """Recompute every subject, in batches; returns how many changed score or level."""
    today, model = today or queries.local_today(), queries.score_model()
    changed, last_id = 0, 0
    while True:
        batch = list(db.session.scalars(
            select(CreditSubject).where(CreditSubject.id > last_id).order_by(CreditSubject.id)
            .limit(SWEEP_BATCH).options(selectinload(CreditSubject.records))))
        if not batch:
            return changed
        vetoed = queries.vetoed_ids(subject.id for subject in batch)
        for subject in batch:
            changed += _recompute(subject, today, model, subject.id in vetoed)[1]
        last_id = batch[-1].id


# --- Commitments (信用承诺) -------------------------------------------------------------------

def sign_commitment(uscc: str, context: str, text: str) -> Commitment:
    """A signed public credit commitment: at registration, with a bid, with a repair."""
    subject = _subject(uscc)
    context, text = (context or "").strip(), (text or "").strip()
    if not context or not text:
        raise Conflict(_("A credit commitment needs its context and its text."))
    commitment = Commitment(subject_id=subject.id, context=context, text=text,
                            signed_at=utcnow())
    db.session.add(commitment)
    db.session.flush()
    audit.record("credit.commitment.sign", "credit_commitment", commitment.id,
                 after={"uscc": subject.uscc, "context": context, "text": text})
    return commitment


def settle_commitment(commitment: Commitment, kept: bool, reason: str) -> CreditRecord:
    """Kept or broken, once: either becomes a credit record (a broken one deducts 5 from the
    behaviour part, RULES.md §2 "Score")."""
    outcome = "kept" if kept else "broken"
    if outcome not in COMMITMENT_TRANSITIONS[commitment.outcome]:
        raise Conflict(_("This commitment has already been settled as %(outcome)s.",
                         outcome=commitment.outcome))
    reason = (reason or "").strip()
    if not reason:
        raise Conflict(_("Give the reason the commitment was kept or broken."))
    subject = db.session.get(CreditSubject, commitment.subject_id)
    today, model = queries.local_today(), queries.score_model()
    title = (_("Credit commitment kept: %(context)s", context=commitment.context) if kept
             else _("Credit commitment broken: %(context)s", context=commitment.context))
    record = _new_record(
        subject, RecordKind.COMMITMENT_KEPT if kept else RecordKind.COMMITMENT_BROKEN,
        title[:200], PLATFORM_DEPARTMENT, None, "", reason, today, None, None, None,
        commitment.context, model, today)
    commitment.outcome, commitment.outcome_record_id = outcome, record.id
    result, _changed = _rescore(subject, today, model, queries.is_vetoed(subject))
    audit.record("credit.commitment.settle", "credit_commitment", commitment.id,
                 before={"outcome": None},
                 after={"outcome": outcome, "reason": reason, "record_id": record.id,
                        "score": result.score, "level": result.level})
    return record


# --- Credit reports (信用报告) ----------------------------------------------------------------

def issue_report(subject: CreditSubject, result: ScoreResult) -> str:
    """Number a credit report (XYBG-YYYY-NNNNNN) by recording its issue in the audit chain;
    the number is the issue's rank among this year's, so it can be verified later."""
    entry = audit.record(queries.REPORT_ACTION, "credit_subject", subject.id,
                         after={"uscc": subject.uscc, "name": subject.name,
                                "score": result.score, "level": result.level})
    year = entry.at.astimezone(queries.LOCAL_TZ).year
    return document_number(queries.REPORT_PREFIX, year, queries.report_sequence(entry))
