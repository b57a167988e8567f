"""Reads about credit subjects: lookup, the credit page and its score explanation, levels for
market's directory, score history and issued credit reports (RULES.md §2 "Credit").

Nothing here writes. The score on the credit page is explained live (`explain`) from the same
records and model the operations store with, so the parts always add up to the score shown.
"""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, case, func, or_, select

from core import settings
from core.audit import AuditEntry
from core.auth.models import OrgKind, Role, User
from core.errors import NotFound
from core.extensions import db
from credit.models import CreditRecord, CreditSubject, ListingStatus, ScoreSnapshot, SevereListing
from credit.rules import (
    Level,
    RecordKind,
    ScoreInput,
    ScoreModel,
    ScoreResult,
    Severity,
    compute_score,
    is_displayed,
)

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
SCORE_SETTINGS = "credit.score"
REPORT_PREFIX = "XYBG"  # 信用报告
REPORT_ACTION = "credit.report.issue"
_REPORT_NUMBER = re.compile(rf"^{REPORT_PREFIX}-(\d{{4}})-(\d{{6}})$")

# Penalties and commendations are public only within a window (RULES.md §2 "Disclosure and
# repair"). RULES.md gives commendations no window of their own: they use the 'general' one
# (3 months minimum, 12 maximum), so a commendation adds its points for a year, the same
# year in which a fresh evaluation counts at full weight.
WINDOWED_KINDS = frozenset({RecordKind.PENALTY, RecordKind.COMMENDATION})
COMMENDATION_WINDOW = Severity.GENERAL


def local_today(now: datetime | None = None) -> date:
    """Today in Asia/Shanghai: the date every credit rule counts from."""
    return (now or datetime.now(UTC)).astimezone(LOCAL_TZ).date()


def score_model() -> ScoreModel:
    """The RULES.md defaults with the admin's overrides under `credit.score.*`."""
    return ScoreModel.from_settings(settings.get_group(SCORE_SETTINGS))


def display_severity(record: CreditRecord) -> Severity | None:
    """The severity whose window governs the record's public display; None: always public."""
    if record.kind == RecordKind.PENALTY:
        return record.severity
    if record.kind == RecordKind.COMMENDATION:
        return COMMENDATION_WINDOW
    return None


def publicly_displayed(record: CreditRecord, today: date, model: ScoreModel) -> bool:
    """Penalties and commendations within their window and not repaired; every other record
    (evaluations, inspections, complaints …) is public for good (RULES.md §1 "Evaluation")."""
    severity = display_severity(record)
    if severity is None:
        return True
    return is_displayed(severity, record.occurred_on, today, record.repaired_on, model)


def score_inputs(records: Iterable[CreditRecord], today: date,
                 model: ScoreModel) -> list[ScoreInput]:
    return [ScoreInput(record_id=record.id, kind=record.kind, occurred_on=record.occurred_on,
                       rating=record.rating, inspection_outcome=record.inspection_outcome,
                       severity=record.severity,
                       publicly_displayed=publicly_displayed(record, today, model))
            for record in records]


def vetoed_ids(subject_ids: Iterable[int]) -> set[int]:
    """Subjects on the severe dishonesty list now: level D whatever the score (RULES.md §2)."""
    ids = list(subject_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(SevereListing.subject_id).where(SevereListing.subject_id.in_(ids),
                                               SevereListing.status == ListingStatus.LISTED)))


def is_vetoed(subject: CreditSubject) -> bool:
    return subject.id in vetoed_ids([subject.id])


def explain(subject: CreditSubject, today: date | None = None,
            model: ScoreModel | None = None, vetoed: bool | None = None) -> ScoreResult:
    """The subject's score as of `today` with every record's contribution; writes nothing."""
    today = today or local_today()
    model = model or score_model()
    vetoed = is_vetoed(subject) if vetoed is None else vetoed
    return compute_score(score_inputs(subject.records, today, model), today, model, vetoed)


# --- Subjects ------------------------------------------------------------------------------

def subject_for(uscc: str) -> CreditSubject | None:
    return db.session.scalar(select(CreditSubject).where(CreditSubject.uscc == uscc.upper()))


def subject_or_404(uscc: str) -> CreditSubject:
    subject = subject_for(uscc)
    if subject is None:
        raise NotFound(_("No credit subject is registered under %(uscc)s.", uscc=uscc))
    return subject


def search_subjects(text: str = "") -> Select:
    """Subjects whose name or USCC contains `text`, by name."""
    query = select(CreditSubject).order_by(CreditSubject.name, CreditSubject.id)
    if text := text.strip():
        query = query.where(CreditSubject.name.icontains(text, autoescape=True)
                            | CreditSubject.uscc.contains(text.upper(), autoescape=True))
    return query


def subjects_page(text: str, page: int, per_page: int):
    return db.paginate(search_subjects(text), page=page, per_page=per_page, error_out=False,
                       max_per_page=100)


def levels_for(usccs: Iterable[str]) -> dict[str, str]:
    """Stored level per USCC in one query, for market's directory. A code with no subject
    yet has no record either, so it is "new" (treated as B), like a subject without one."""
    codes = list(dict.fromkeys(usccs))
    levels = dict.fromkeys(codes, Level.NEW.value)
    if codes:
        rows = db.session.execute(select(CreditSubject.uscc, CreditSubject.level)
                                  .where(CreditSubject.uscc.in_(codes)))
        levels.update((uscc, level) for uscc, level in rows)
    return levels


def level_of(uscc: str) -> str:
    return levels_for([uscc])[uscc]


def effective_level_sql(level: ColumnElement[str] = CreditSubject.level) -> ColumnElement[str]:
    """SQL twin of `rules.effective_level`, for other domains that rank by level in a query
    outer-joined to credit_subject: "new", and NULL (a code credit does not know, so no
    record either), count as B (RULES.md §2 "Levels")."""
    new_level = score_model().new_subject_level.value
    return case((or_(level.is_(None), level == Level.NEW.value), new_level), else_=level)


def score_history(subject: CreditSubject) -> list[ScoreSnapshot]:
    return list(db.session.scalars(
        select(ScoreSnapshot).where(ScoreSnapshot.subject_id == subject.id)
        .order_by(ScoreSnapshot.at, ScoreSnapshot.id)))


def record_of(subject: CreditSubject, record_id: int) -> CreditRecord | None:
    record = db.session.get(CreditRecord, record_id)
    return record if record is not None and record.subject_id == subject.id else None


# --- Who is looking ------------------------------------------------------------------------

def is_regulator(user: User | None) -> bool:
    """Regulators: org admins and staff of departments (主管部门)."""
    return bool(user is not None and user.is_authenticated
                and user.org_kind == OrgKind.DEPARTMENT
                and user.role in (Role.ORG_ADMIN, Role.STAFF))


def is_subject_user(user: User | None, subject: CreditSubject) -> bool:
    """A user of the organisation registered under the subject's USCC."""
    return bool(user is not None and user.is_authenticated and user.organisation is not None
                and user.organisation.uscc == subject.uscc)


# --- Credit reports (信用报告) ----------------------------------------------------------------

def year_start_utc(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)


def report_sequence(entry: AuditEntry) -> int:
    """The n-th report issued in the entry's (local) year. The audit chain head is locked from
    the append to the commit, so issues are serialised and the count is unique."""
    year = entry.at.astimezone(LOCAL_TZ).year
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry)
        .where(AuditEntry.action == REPORT_ACTION, AuditEntry.id <= entry.id,
               AuditEntry.at >= year_start_utc(year)))


def report_issue(number: str) -> AuditEntry | None:
    """The audit entry that issued report `number`, if any."""
    match = _REPORT_NUMBER.match(number.strip().upper())
    if match is None:
        return None
    year, sequence = int(match[1]), int(match[2])
    if sequence < 1:
        return None
    return db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == REPORT_ACTION, AuditEntry.at >= year_start_utc(year),
               AuditEntry.at < year_start_utc(year + 1))
        .order_by(AuditEntry.id).offset(sequence - 1).limit(1))
