"""Closing bidding, running the selection, publicity, the award and the contract deadline
(RULES.md §1 "Selection methods", "Publicity, objection, award").

The life after the deadline:

    published → closed ─┬→ failed (流标: fewer valid bids than the minimum)
                        └→ selected → publicity → awarded
                             ↑            │           │
                             └────────────┴───────────┘  winner excluded (upheld objection,
                                                         contract not filed): select again
                                                         without it, or fail

The system decides random, lowest-price and optimal-price jobs (and direct selection of the
named agency) at the deadline; for credit best the owner picks one of the drawn small list,
for a proposal comparison the owner scores every proposal and the system adds up the totals.
The selection itself is pure (`market.rules`); this module loads the bids, makes the job's
committed draw once over every valid bid (pick = all: the order decides ties, random and
credit-best lists, and the seed gives the optimal-price coefficient) and stores the result.

Each transition is an UPDATE guarded by the status read (`_claim`), so a second sweeper run,
or a second scheduler, changes nothing. Operations flush and audit; callers commit.
"""

from datetime import datetime
from decimal import Decimal

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update

from core import audit, calendar, randomness, settings
from core.errors import Conflict, NotAllowed
from core.extensions import db
from core.notifications import notify
from credit.models import Commitment, Effect
from credit.operations import subjects as credit_subjects
from credit.operations.lists import PLATFORM_LOCALE
from credit.queries import restrictions as credit_restrictions
from credit.queries import subjects as credit_queries
from credit.rules import RecordKind, compute_score
from market import job_queries, rules
from market.models import (
    Bid,
    BidStatus,
    Job,
    JobStatus,
    Objection,
    SelectionMethod,
)
from market.operations.agencies import FieldConflict
from market.operations.jobs import job_link

MODULE = "market"
PUBLICITY_DAYS = ("market.publicity_working_days", 3)  # RULES.md §1 "Publicity"
CONTRACT_DAYS = ("market.contract_working_days", 5)  # RULES.md §1 "within 5 working days"
ANSWER_DAYS = ("market.objection_answer_working_days", 3)  # the owner answers an objection
SETTING_LABELS = {
    ANSWER_DAYS[0]: _l("Owner's answer to an objection (working days)"),
    PUBLICITY_DAYS[0]: _l("Publicity of a selection result (working days)"),
    CONTRACT_DAYS[0]: _l("Contract filing after the award (working days)"),
}
SELECT_ACTION = job_queries.SELECT_ACTION
OPEN_OBJECTIONS = job_queries.OPEN_OBJECTIONS
TECHNICAL_MAX = Decimal(100)


def _positive_int(value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("a whole number of at least 1")


def declare_settings() -> None:
    for key, default in (PUBLICITY_DAYS, CONTRACT_DAYS, ANSWER_DAYS):
        settings.declare(key, default, SETTING_LABELS[key], _positive_int)


def working_days(pair: tuple[str, int]) -> int:
    key, default = pair
    return int(settings.get(key, default))


# --- Helpers --------------------------------------------------------------------------------

def _claim(job: Job, target: JobStatus, **values) -> bool:
    """job.status → target as an UPDATE guarded by the status read: False when another run
    (or another scheduler) moved the job first. The transition table is checked first."""
    rules.check_job_transition(job, target)
    moved = db.session.execute(
        update(Job).where(Job.id == job.id, Job.status == job.status)
        .values(status=target, **values).execution_options(synchronize_session=False)
    ).rowcount
    if moved:
        db.session.refresh(job)
    return bool(moved)


def _must_claim(job: Job, target: JobStatus, **values) -> None:
    if not _claim(job, target, **values):
        raise Conflict(_("The job has moved on meanwhile; reload the page to see it."))


def exclude_bid(bid: Bid, now: datetime) -> bool:
    """An active bid → excluded, guarded like `_claim`."""
    moved = db.session.execute(
        update(Bid).where(Bid.id == bid.id, Bid.status == BidStatus.ACTIVE)
        .values(status=BidStatus.EXCLUDED, rank=None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if moved:
        db.session.refresh(bid)
    return bool(moved)


def _bidders(job: Job) -> list[Bid]:
    """Everyone who bid (withdrawn bids left out): whom a result concerns."""
    return list(db.session.scalars(select(Bid).where(Bid.job_id == job.id,
                                                    Bid.status != BidStatus.WITHDRAWN)))


def path(endpoint: str, **values) -> str:
    """A page's path for a notification, also outside a request (sweepers)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _tell_owner(job: Job, title: str, body: str, link: str | None = None) -> None:
    notify(title, body, link or job_link(job), organisation_id=job.owner.organisation_id)


def _tell_bidders(job: Job, title: str, body: str) -> None:
    for bid in _bidders(job):
        notify(title, body, job_link(job), organisation_id=bid.agency.organisation_id)


def _bid_snapshot(bid: Bid) -> dict:
    """A bid as audited after the deadline: prices are public by then."""
    return {"id": bid.id, "agency": bid.agency.uscc, "price": bid.price, "status": bid.status,
            "rank": bid.rank, "credit_score": bid.credit_score,
            "technical_score": bid.technical_score, "total_score": bid.total_score}


def _result_snapshot(job: Job) -> dict:
    return {"status": job.status, "winner_bid_id": job.winner_bid_id,
            "reference_price": job.reference_price, "coefficient": job.coefficient,
            "result_at": job.result_at, "publicity_ends_at": job.publicity_ends_at}


# --- Closing bidding ------------------------------------------------------------------------

def _credit_score(uscc: str) -> Decimal:
    """The subject's score now; a code credit does not know scores as a new subject."""
    subject = credit_queries.subject_for(uscc)
    if subject is not None and subject.score is not None:
        return Decimal(subject.score)
    return compute_score([], credit_queries.local_today(), credit_queries.score_model(),
                         False).score


def _credit_bars(job: Job, bid: Bid) -> list[str]:
    """Measures that block this agency now from bidding or from being selected (RULES.md
    §2); each one applied is recorded as an execution (一处失信、处处受限)."""
    reasons = []
    for effect in (Effect.BAR_BIDDING, Effect.BAR_SELECTION):
        restriction = credit_restrictions.has_effect(bid.agency.uscc, effect,
                                                     public_funds=job.is_public_money)
        if restriction is not None and restriction.blocks:
            credit_restrictions.record_execution(
                bid.agency.uscc, restriction, MODULE,
                f"bid excluded at the close of job {job.number}")
            reasons.append(job_queries.bar_reason(restriction))
    return reasons


def _invalid_reason(job: Job, bid: Bid) -> str | None:
    """Why an active bid does not count at the deadline; None when it does."""
    if not job_queries.bid_confirmed(bid):
        return _("The bid was not confirmed for the job's changed terms.")
    reasons = job_queries.eligibility(job, bid.agency, with_credit=False)
    reasons += _credit_bars(job, bid)
    return " ".join(reasons) or None


def _make_draw(job: Job, bids: list[Bid]) -> None:
    """Make the job's committed draw over every valid bid, once."""
    draw = job_queries.draw_of(job)
    if draw is None or draw.drawn_at is not None or not rules.METHODS[job.method].uses_draw:
        return
    candidates = sorted((randomness.Candidate(key=bid.agency.uscc, label=bid.agency.name)
                         for bid in bids), key=lambda c: c.key)
    randomness.draw(draw, candidates, pick=len(candidates))


def close_bidding(job: Job, now: datetime) -> bool:
    """At the deadline: count the valid bids (active, confirmed for the current terms, the
    agency still eligible), snapshot each bidder's credit score, then fail the job or run
    the selection (the owner's turn for credit best and proposals)."""
    if job.deadline is None or now < job.deadline:
        raise Conflict(_("Bidding on job %(number)s is still open.", number=job.number))
    if not _claim(job, JobStatus.CLOSED, closed_at=now):
        return False
    valid, excluded = [], {}
    for bid in job_queries.valid_bids(job):
        if reason := _invalid_reason(job, bid):
            excluded[bid.id] = reason
            exclude_bid(bid, now)
        else:
            bid.credit_score = _credit_score(bid.agency.uscc)
            valid.append(bid)
    db.session.flush()
    audit.record("job.close", "job", job.id, before={"status": JobStatus.PUBLISHED},
                 after={"status": job.status, "closed_at": now,
                        "valid_bids": [_bid_snapshot(bid) for bid in valid],
                        "excluded_bids": excluded})
    overrides = settings.get(rules.MIN_BIDS_SETTING)
    if rules.is_failed(job.method, job.funding, len(valid), overrides):
        minimum = rules.minimum_bids(job.method, job.funding, overrides)
        with force_locale(PLATFORM_LOCALE):
            reason = _("%(valid)d valid bid(s) at the deadline; this selection method needs "
                       "at least %(minimum)d.", valid=len(valid), minimum=minimum)
        fail(job, reason, now)
        return True
    _make_draw(job, valid)
    _run_or_ask_owner(job, valid, now)
    return True


def _run_or_ask_owner(job: Job, bids: list[Bid], now: datetime) -> None:
    method = SelectionMethod(job.method)
    if method == SelectionMethod.PROPOSAL:
        with force_locale(PLATFORM_LOCALE):
            _tell_owner(job, _("Score the proposals of job %(number)s", number=job.number),
                        _("Bidding has closed with %(n)d valid proposals. Enter your technical "
                          "score for each; the platform then computes the totals.",
                          n=len(bids)), path("market.selection_scores", job_id=job.id))
        return
    if method == SelectionMethod.CREDIT_BEST:
        with force_locale(PLATFORM_LOCALE):
            _tell_owner(job, _("Choose the agency for job %(number)s", number=job.number),
                        _("The small list has been drawn. Choose one agency from it."),
                        path("market.selection_pick", job_id=job.id))
        return
    with force_locale(PLATFORM_LOCALE):
        outcome = rules.select(method, job_queries.selection_inputs(job, bids))
    if outcome.winner is None:
        fail(job, outcome.explanation, now)
        return
    _record_selection(job, outcome, bids, now)


# --- Failing --------------------------------------------------------------------------------

def fail(job: Job, reason: str, now: datetime) -> None:
    """流标: the job fails with its reason stated; the owner may republish it as a new
    round (market.operations.jobs.republish)."""
    before = _result_snapshot(job)
    _must_claim(job, JobStatus.FAILED, fail_reason=reason, winner_bid_id=None)
    for bid in job.bids:
        bid.rank = None
    db.session.flush()
    audit.record("job.fail", "job", job.id, before=before,
                 after={"status": job.status, "fail_reason": reason, "at": now})
    with force_locale(PLATFORM_LOCALE):
        title = _("Job %(number)s has failed", number=job.number)
        _tell_owner(job, title, _("%(reason)s You may republish it as a new round.",
                                  reason=reason))
        _tell_bidders(job, title, reason)


# --- Selecting and publicity ------------------------------------------------------------------

def _record_selection(job: Job, outcome: rules.SelectionOutcome, bids: list[Bid],
                      now: datetime, cause: str = "deadline") -> None:
    """Store the ranking and the winner (→ selected), then publish it (→ publicity)."""
    by_key = {bid.agency.uscc: bid for bid in bids}
    before = _result_snapshot(job)
    _must_claim(job, JobStatus.SELECTED, winner_bid_id=by_key[outcome.winner].id,
                reference_price=outcome.reference_price, coefficient=outcome.coefficient,
                result_note=outcome.explanation, result_at=now, publicity_ends_at=None,
                awarded_at=None, contract_due_at=None)
    for bid in job.bids:
        bid.rank = None
    for position, key in enumerate(outcome.ranking, start=1):
        by_key[key].rank = position
    if job.method == SelectionMethod.PROPOSAL:
        for key, total in outcome.scores.items():
            by_key[key].total_score = total
    db.session.flush()
    audit.record(SELECT_ACTION, "job", job.id, before=before,
                 after={**_result_snapshot(job), "cause": cause,
                        "ranking": [_bid_snapshot(by_key[key]) for key in outcome.ranking],
                        "explanation": outcome.explanation})
    _start_publicity(job, now)


def _start_publicity(job: Job, now: datetime) -> None:
    """The result and every bid are published at once; publicity lasts 3 working days."""
    ends = calendar.deadline(now, working_days(PUBLICITY_DAYS))
    _must_claim(job, JobStatus.PUBLICITY, publicity_ends_at=ends)
    audit.record("job.publicity.start", "job", job.id, before={"status": JobStatus.SELECTED},
                 after={"status": job.status, "publicity_ends_at": ends,
                        "bids": [_bid_snapshot(bid) for bid in _bidders(job)]})
    winner = db.session.get(Bid, job.winner_bid_id)
    with force_locale(PLATFORM_LOCALE):
        ends_text = ends.astimezone(rules.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        title = _("Selection result of job %(number)s", number=job.number)
        body = _("%(agency)s has been selected. The result and every bid are public until "
                 "%(ends)s; bidders may raise an objection until then.",
                 agency=winner.agency.name, ends=ends_text)
        _tell_owner(job, title, body)
        _tell_bidders(job, title, body)


def score_proposals(job: Job, scores: dict[int, Decimal], now: datetime) -> None:
    """The owner's technical score (0–100) for every valid proposal; the platform adds the
    price and credit scores with the published weights and selects the highest total."""
    if job.status != JobStatus.CLOSED or job.method != SelectionMethod.PROPOSAL:
        raise Conflict(_("Proposals are scored once bidding has closed, before the result."))
    bids = job_queries.valid_bids(job)
    for bid in bids:
        score = scores.get(bid.id)
        if score is None or not Decimal(0) <= score <= TECHNICAL_MAX:
            raise FieldConflict(_("Score every proposal from 0 to 100."), f"score_{bid.id}")
        bid.technical_score = score
    db.session.flush()
    with force_locale(PLATFORM_LOCALE):
        outcome = rules.select(job.method, job_queries.selection_inputs(job, bids))
    _record_selection(job, outcome, bids, now, cause="owner scored the proposals")


def pick_credit_best(job: Job, bid: Bid, now: datetime) -> None:
    """The owner chooses one agency of the drawn small list (credit best)."""
    if job.status != JobStatus.CLOSED or job.method != SelectionMethod.CREDIT_BEST:
        raise Conflict(_("The agency is chosen once bidding has closed, before the result."))
    bids = job_queries.valid_bids(job)
    if bid not in bids:
        raise Conflict(_("The owner can only choose an agency on the small list."))
    with force_locale(PLATFORM_LOCALE):
        lists = rules.select(job.method, job_queries.selection_inputs(job, bids))
        outcome = rules.owner_pick(lists, bid.agency.uscc)
    _record_selection(job, outcome, bids, now, cause="owner chose from the small list")


# --- Replacing the winner (upheld objection, contract not filed) ------------------------------

def select_again(job: Job, now: datetime, cause: str, strict_minimum: bool) -> None:
    """The winner's bid has just been excluded: run the selection again without it, on the
    same draw (RULES.md: "re-run without the winner, or the job fails"). With
    `strict_minimum` (an upheld objection) fewer valid bids than the method's minimum fail
    the job; otherwise (a refused contract) only an empty field does. For credit best the
    owner chose once: the small list is drawn again without the winner and its first agency
    in draw order takes the place."""
    bids = job_queries.valid_bids(job)
    overrides = settings.get(rules.MIN_BIDS_SETTING)
    with force_locale(PLATFORM_LOCALE):
        if strict_minimum and rules.is_failed(job.method, job.funding, len(bids), overrides):
            fail(job, _("The selected agency was excluded (%(cause)s) and too few valid bids "
                        "remain.", cause=cause), now)
            return
        outcome = rules.select(job.method, job_queries.selection_inputs(job, bids)) \
            if bids else None
        if outcome is not None and outcome.winner is None and outcome.small_list:
            outcome = rules.owner_pick(outcome, outcome.small_list[0])
        if outcome is None or outcome.winner is None:
            fail(job, _("The selected agency was excluded (%(cause)s) and no other bid can "
                        "take its place.", cause=cause), now)
            return
    _record_selection(job, outcome, bids, now, cause=cause)


# --- End of publicity, the award ----------------------------------------------------------------

def _no_open_objection(job_id: int):
    return ~exists().where(Objection.job_id == job_id, Objection.status.in_(OPEN_OBJECTIONS))


def end_publicity(job: Job, now: datetime) -> bool:
    """Publicity over and no objection open: the award is final and the contract is due
    within 5 working days (RULES.md §1). False when not due (or already done)."""
    if job.status != JobStatus.PUBLICITY or job.publicity_ends_at is None \
            or now < job.publicity_ends_at:
        return False
    due = calendar.deadline(now, working_days(CONTRACT_DAYS))
    rules.check_job_transition(job, JobStatus.AWARDED)
    moved = db.session.execute(
        update(Job).where(Job.id == job.id, Job.status == JobStatus.PUBLICITY,
                          _no_open_objection(job.id))
        .values(status=JobStatus.AWARDED, awarded_at=now, contract_due_at=due)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        return False
    db.session.refresh(job)
    audit.record("job.award", "job", job.id, before={"status": JobStatus.PUBLICITY},
                 after={"status": job.status, "awarded_at": now, "contract_due_at": due,
                        "winner_bid_id": job.winner_bid_id})
    winner = db.session.get(Bid, job.winner_bid_id)
    with force_locale(PLATFORM_LOCALE):
        due_text = due.astimezone(rules.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
        link = path("market.contract_page", job_id=job.id)
        notify(_("Contract due for job %(number)s", number=job.number),
               _("The award is final. File the contract with the owner by %(due)s; not "
                 "filing it breaks your credit commitment.", due=due_text),
               link, organisation_id=winner.agency.organisation_id)
        _tell_owner(job, _("Job %(number)s is awarded", number=job.number),
                    _("%(agency)s is the final winner. The contract is due by %(due)s.",
                      agency=winner.agency.name, due=due_text), link)
    return True


# --- The contract deadline ------------------------------------------------------------------

def winner_filed(job: Job) -> bool:
    """The winner did its part: it uploaded the contract for its bid (the owner has yet to
    confirm), so the deadline passing is not its breach."""
    contract = job_queries.contract_for(job)
    winner = db.session.get(Bid, job.winner_bid_id) if job.winner_bid_id else None
    return bool(contract is not None and winner is not None
                and contract.bid_id == winner.id
                and contract.uploaded_by_org_id == winner.agency.organisation_id)


def _break_commitment(job: Job, bid: Bid, reason: str) -> int:
    """The bid's credit commitment is broken (a commitment_broken record, RULES.md §2)."""
    commitment = db.session.get(Commitment, bid.commitment_id) if bid.commitment_id else None
    if commitment is not None and commitment.outcome is None:
        return credit_subjects.settle_commitment(commitment, kept=False, reason=reason).id
    return credit_subjects.add_record(
        bid.agency.uscc, RecordKind.COMMITMENT_BROKEN, reason[:200],
        credit_subjects.PLATFORM_DEPARTMENT, evidence=reason, reference=job.number).id


def contract_deadline_missed(job: Job, now: datetime) -> bool:
    """The winner did not file its contract within the deadline: its commitment is broken,
    its bid excluded, and the next-ranked bidder takes its place (or the job fails)."""
    if job.status != JobStatus.AWARDED or job.contract_due_at is None \
            or now < job.contract_due_at or winner_filed(job):
        return False
    bid = db.session.get(Bid, job.winner_bid_id)
    if not exclude_bid(bid, now):
        return False
    with force_locale(PLATFORM_LOCALE):
        reason = _("%(agency)s did not file the contract of job %(number)s by its deadline.",
                   agency=bid.agency.name, number=job.number)
        record_id = _break_commitment(job, bid, reason)
        audit.record("job.contract.missed", "job", job.id,
                     before={"status": job.status, "winner_bid_id": bid.id,
                             "contract_due_at": job.contract_due_at},
                     after={"excluded_bid_id": bid.id, "credit_record_id": record_id,
                            "reason": reason})
        notify(_("Selection of job %(number)s withdrawn", number=job.number),
               _("%(reason)s Your bid has been excluded and a commitment_broken credit "
                 "record made.", reason=reason), job_link(job),
               organisation_id=bid.agency.organisation_id)
        cause = _("the contract was not filed in time")
    take_next_ranked(job, now, cause)
    return True


def take_next_ranked(job: Job, now: datetime, cause: str) -> None:
    """RULES.md §1: a winner that does not file its contract is replaced by the next-ranked
    bidder of the published ranking. Not a new computation: for optimal price (a new mean)
    or proposals (new price scores) that could crown someone ranked lower."""
    ranked = sorted((bid for bid in job_queries.valid_bids(job) if bid.rank is not None),
                    key=lambda bid: bid.rank)
    if not ranked:
        select_again(job, now, cause, strict_minimum=False)  # no ranking left: fail or redo
        return
    with force_locale(PLATFORM_LOCALE):
        explanation = _("%(agency)s, next in the published ranking, takes the place of the "
                        "excluded winner (%(cause)s).", agency=ranked[0].agency.name,
                        cause=cause)
    outcome = rules.SelectionOutcome(
        ranking=[bid.agency.uscc for bid in ranked], winner=ranked[0].agency.uscc,
        reference_price=job.reference_price, coefficient=job.coefficient,
        explanation=explanation,
        scores={bid.agency.uscc: bid.total_score for bid in ranked
                if bid.total_score is not None})
    _record_selection(job, outcome, ranked, now, cause=cause)


# --- Permissions shared by the views ----------------------------------------------------------

def require_owner(job: Job, organisation_id: int | None) -> None:
    if organisation_id != job.owner.organisation_id:
        raise NotAllowed(_("Only the job's owner can do this."))
