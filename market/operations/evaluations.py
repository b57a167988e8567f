"""Evaluation (一事一评, RULES.md §1 "Evaluation"): one evaluation per job, due within 3
working days of acceptance.

- The owner rates quality, timeliness, attitude, fees and conduct (1–5 each) with a comment;
  the mean of the five, to the fen, becomes an `evaluation_owner` credit record, and the job
  moves accepted → evaluated.
- The competent regulator (users of the department of the job's service item) rates the
  deliverables' quality and legal compliance (1–5); the mean of the two becomes an
  `evaluation_regulator` record. It may rate once, any time after acceptance.
- When the owner lets the window pass, the sweeper closes it: the job is evaluated without
  an owner rating (none is invented; the agency's owner part of the score is simply not fed)
  and the owner and the agency are told.
"""

from dataclasses import astuple, dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.auth.models import Organisation, OrgKind
from core.db import utcnow
from core.errors import Conflict, NotAllowed
from core.extensions import db
from credit.operations.lists import PLATFORM_LOCALE
from credit.operations.subjects import add_record
from credit.rules import RecordKind
from market.models import Evaluation, Job, JobStatus
from market.operations.agencies import FieldConflict
from market.operations.contracts import (
    agency_org_id,
    link,
    move_job,
    notify_org,
    owner_org_id,
    require_owner,
    winning_bid,
)

RATING_RANGE = range(1, 6)
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class OwnerRatings:
    quality: int
    timeliness: int
    attitude: int
    fees: int
    conduct: int


def mean_rating(*ratings: int) -> Decimal:
    """The mean of 1–5 ratings to two decimals (half up): what the credit record carries."""
    if not ratings or any(r not in RATING_RANGE for r in ratings):
        raise FieldConflict(_("Each rating is a whole number from 1 to 5."))
    return (Decimal(sum(ratings)) / len(ratings)).quantize(CENTS, ROUND_HALF_UP)


def evaluation_of(job: Job) -> Evaluation:
    """The job's one evaluation row (made at acceptance; made here if missing)."""
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.job_id == job.id))
    if evaluation is None:
        evaluation = Evaluation(job_id=job.id, agency_id=winning_bid(job).agency_id)
        db.session.add(evaluation)
        db.session.flush()
    return evaluation


def _owner_snapshot(evaluation: Evaluation) -> dict:
    return {"quality": evaluation.quality, "timeliness": evaluation.timeliness,
            "attitude": evaluation.attitude, "fees": evaluation.fees,
            "conduct": evaluation.conduct, "comment": evaluation.comment,
            "owner_rated_at": evaluation.owner_rated_at}


def _regulator_snapshot(evaluation: Evaluation) -> dict:
    return {"regulator_quality": evaluation.regulator_quality,
            "regulator_compliance": evaluation.regulator_compliance,
            "regulator_comment": evaluation.regulator_comment,
            "regulator_id": evaluation.regulator_id,
            "regulator_rated_at": evaluation.regulator_rated_at}


def rate_as_owner(job: Job, organisation: Organisation, ratings: OwnerRatings,
                  comment: str | None) -> Evaluation:
    """The owner's five ratings, within the window: accepted → evaluated."""
    require_owner(job, organisation)
    if job.status != JobStatus.ACCEPTED:
        raise Conflict(_("The owner rates once, after accepting the deliverables."))
    now = utcnow()
    if job.evaluation_due_at and now > job.evaluation_due_at:
        raise Conflict(_("The evaluation window has closed."))
    rating = mean_rating(*astuple(ratings))
    evaluation = evaluation_of(job)
    before = {**_owner_snapshot(evaluation), "job_status": job.status}
    move_job(job, JobStatus.EVALUATED)
    (evaluation.quality, evaluation.timeliness, evaluation.attitude, evaluation.fees,
     evaluation.conduct) = astuple(ratings)
    evaluation.comment = (comment or "").strip() or None
    evaluation.owner_rated_at = now
    db.session.flush()
    agency = winning_bid(job).agency
    with force_locale(PLATFORM_LOCALE):
        add_record(agency.uscc, RecordKind.EVALUATION_OWNER,
                   _("Owner evaluation of job %(number)s", number=job.number),
                   organisation.name, evidence=evaluation.comment or "", rating=rating,
                   reference=job.number)
        notify_title = _("Job %(number)s: the owner rated your service", number=job.number)
        notify_body = _("Mean rating %(rating)s of 5.", rating=rating)
    audit.record("evaluation.owner", "evaluation", evaluation.id, before=before,
                 after={**_owner_snapshot(evaluation), "rating": rating,
                        "job_status": job.status})
    notify_org(agency_org_id(job), notify_title, notify_body,
               link("market.evaluation_page", job_id=job.id))
    return evaluation


def is_competent_department(job: Job, organisation: Organisation | None) -> bool:
    return bool(organisation is not None and organisation.kind == OrgKind.DEPARTMENT
                and organisation.id == job.service_item.department_id)


def rate_as_regulator(job: Job, department: Organisation, quality: int, compliance: int,
                      comment: str | None) -> Evaluation:
    """The competent department rates deliverable quality and legal compliance, once."""
    if not is_competent_department(job, department):
        raise NotAllowed(_("Only the competent department of the service item rates this "
                           "job."))
    if job.status not in (JobStatus.ACCEPTED, JobStatus.EVALUATED):
        raise Conflict(_("The deliverables are rated after their acceptance."))
    rating = mean_rating(quality, compliance)
    evaluation = evaluation_of(job)
    if evaluation.regulator_rated_at is not None:
        raise Conflict(_("The department has rated this job already."))
    before = _regulator_snapshot(evaluation)
    evaluation.regulator_quality, evaluation.regulator_compliance = quality, compliance
    evaluation.regulator_comment = (comment or "").strip() or None
    evaluation.regulator_id, evaluation.regulator_rated_at = department.id, utcnow()
    db.session.flush()
    with force_locale(PLATFORM_LOCALE):
        add_record(winning_bid(job).agency.uscc, RecordKind.EVALUATION_REGULATOR,
                   _("Department evaluation of job %(number)s", number=job.number),
                   department.name, source_department_id=department.id,
                   evidence=evaluation.regulator_comment or "", rating=rating,
                   reference=job.number)
    audit.record("evaluation.regulator", "evaluation", evaluation.id, before=before,
                 after={**_regulator_snapshot(evaluation), "rating": rating})
    return evaluation


def close_evaluation_window(job: Job, now: datetime) -> bool:
    """The owner did not rate in time: accepted → evaluated with no owner rating."""
    if job.status != JobStatus.ACCEPTED or job.evaluation_due_at is None \
            or now <= job.evaluation_due_at:
        return False
    try:
        move_job(job, JobStatus.EVALUATED)
    except Conflict:  # the owner rated, or another scheduler closed it, meanwhile
        return False
    evaluation = evaluation_of(job)
    audit.record("evaluation.window_closed", "job", job.id,
                 before={"status": JobStatus.ACCEPTED},
                 after={"status": job.status, "owner_rated": evaluation.owner_rated_at
                        is not None, "evaluation_due_at": job.evaluation_due_at})
    with force_locale(PLATFORM_LOCALE):
        title = _("Job %(number)s: evaluation closed without the owner's rating",
                  number=job.number)
        for org_id in (owner_org_id(job), agency_org_id(job)):
            notify_org(org_id, title, _("The owner did not rate within the evaluation window."))
    return True


def close_evaluation_windows(now: datetime) -> int:
    due = db.session.scalars(select(Job).where(
        Job.status == JobStatus.ACCEPTED, Job.evaluation_due_at < now).order_by(Job.id)).all()
    return sum(close_evaluation_window(job, now) for job in due)
