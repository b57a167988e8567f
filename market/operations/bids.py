"""Bids and sign-ups (报价 / 报名): placing, replacing, confirming again after the owner
changed the terms, and withdrawing — all only before the deadline (RULES.md §1 "Eligibility
to bid", "Bids are sealed until the deadline"; §2 joint measures).

Sealed bids: the audit entries of this module record {"price": "sealed"}; no log line,
notification or message names a price (ARCHITECTURE.md "Conventions"). One bid row per
(job, agency): replacing updates it, a withdrawn bid may be placed again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core import audit
from core.errors import Conflict, NotAllowed
from core.extensions import db
from core.uploads import save_upload
from credit.operations import subjects as credit_subjects
from credit.queries import restrictions as credit_restrictions
from credit.queries.restrictions import Restriction
from market import job_queries, rules
from market.models import Agency, Bid, BidStatus, Job, SelectionMethod
from market.operations.agencies import FieldConflict

SEALED = "sealed"
MODULE = "market"

# The credit commitment signed with every bid (RULES.md §1 "each bid carries the credit
# commitment"). A legal declaration kept in Chinese exactly as signed, like the
# registration commitment, so deliberately not a translatable message.
BID_COMMITMENT_BODY = """\
投标（报名）信用承诺书

本单位自愿参加本项目的竞争选取，现郑重承诺：
一、本单位具备本项目要求的服务能力和资质，所提交的报价、方案及全部材料真实、有效；
二、不与其他中介服务机构或项目业主串通报价，不以他人名义或弄虚作假方式参与选取，不向任何人行贿或提供不正当利益；
三、中选后在规定时限内签订并备案合同，按承诺的服务时限和质量完成服务，不转包、不违法分包；
四、如有违反，自愿接受取消中选资格、记入信用记录、依法公开及失信联合惩戒等措施。"""


def commitment_text(job: Job, agency: Agency) -> str:
    """The commitment as signed for this job (no price in it: it is not sealed)."""
    return (f"{BID_COMMITMENT_BODY}\n\n项目编号：{job.number}\n项目名称：{job.title}\n"
            f"承诺单位：{agency.name}\n统一社会信用代码：{agency.uscc}")


@dataclass
class BidInput:
    commitment_accepted: bool
    price: Decimal | None = None  # price methods
    proposal: str | None = None  # proposal method
    proposal_file: FileStorage | None = None


class BiddingClosed(Conflict):
    """The job is not open for bidding (any more): 409."""


class NotEligible(NotAllowed):
    """The agency may not bid on this job; the message gives every reason."""


class BiddingBarred(NotEligible):
    """A joint punishment measure bars the agency; the view records the execution."""

    def __init__(self, restriction: Restriction):
        super().__init__(job_queries.bar_reason(restriction))
        self.restriction = restriction


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _sealed(bid: Bid) -> dict:
    """The audit view of a bid before the deadline: who and what state, never the price."""
    return {"job": bid.job.number, "agency_id": bid.agency_id, "status": bid.status,
            "terms_version": bid.terms_version,
            "price": SEALED if bid.price is not None else None,
            "proposal": SEALED if bid.proposal or bid.proposal_file else None,
            "commitment_id": bid.commitment_id}


def _lock_job(job: Job) -> None:
    """Lock the job row for the rest of the transaction and re-read its state. The closing
    takes the same row lock (its guarded UPDATE), so a bid and the closing serialise: the
    bid commits before the closing reads the bids, or it sees the job closed; and two
    first submissions of one agency cannot both insert (the second replaces). PostgreSQL;
    SQLite serialises writers anyway and ignores FOR UPDATE."""
    db.session.execute(select(Job.id).where(Job.id == job.id).with_for_update())
    db.session.refresh(job)


def _check_open(job: Job, now: datetime) -> None:
    if not job_queries.bidding_open(job, now):
        raise BiddingClosed(_("Bidding on job %(number)s is closed: bids can no longer be "
                              "placed, changed or withdrawn.", number=job.number))


def _check_eligible(job: Job, agency: Agency) -> None:
    if restriction := job_queries.credit_bar(job, agency):
        raise BiddingBarred(restriction)
    if reasons := job_queries.eligibility(job, agency, with_credit=False):
        raise NotEligible(" ".join(reasons))


def _price(job: Job, data: BidInput) -> Decimal | None:
    """Price methods: the agency's price within [floor, ceiling]. Random: the owner's fixed
    price. Credit best: a sign-up carries no price."""
    if job.method == SelectionMethod.RANDOM:
        return job.fixed_price
    if not rules.METHODS[job.method].prices:
        return None
    price = data.price
    if price is None:
        raise FieldConflict(_("Enter your price."), "price")
    floor = job.budget_floor if job.budget_floor is not None else Decimal("0.01")
    if price.as_tuple().exponent < -2 or not floor <= price <= job.budget_ceiling:
        raise FieldConflict(_("The price must lie within %(floor)s and %(ceiling)s yuan, with "
                              "at most two decimals.", floor=floor, ceiling=job.budget_ceiling),
                            "price")
    return price


def _proposal(job: Job, data: BidInput) -> str | None:
    if job.method != SelectionMethod.PROPOSAL:
        return None
    text = (data.proposal or "").strip()
    if not text:
        raise FieldConflict(_("Describe your proposal."), "proposal")
    return text


def _sign(job: Job, agency: Agency) -> int:
    commitment = credit_subjects.sign_commitment(agency.uscc, f"bid:{job.number}",
                                                 commitment_text(job, agency))
    return commitment.id


def _flag_for_review(job: Job, agency: Agency) -> None:
    """A bar-bidding measure applied by flagging, not blocking: the bid stands and the
    application is recorded (一处失信、处处受限)."""
    if restriction := job_queries.credit_flag(job, agency):
        credit_restrictions.record_execution(
            agency.uscc, restriction, MODULE, f"bid on job {job.number} flagged for review")


def place_bid(job: Job, agency: Agency, data: BidInput, now: datetime | None = None,
              action: str | None = None) -> Bid:
    """Place, replace or re-place (after withdrawing) the agency's bid; the bid then stands
    for the job's current terms. Every submission needs the commitment accepted; a new one
    is signed for a new bid, a bid placed again and new terms."""
    _lock_job(job)
    now = _now(now)
    _check_open(job, now)
    _check_eligible(job, agency)
    if not data.commitment_accepted:
        raise FieldConflict(_("A bid needs your acceptance of the credit commitment."),
                            "commitment_accepted")
    price, proposal = _price(job, data), _proposal(job, data)
    bid = job_queries.bid_of(job, agency)
    if bid is not None and bid.status == BidStatus.EXCLUDED:
        raise Conflict(_("Your bid on this job has been excluded."))
    before = _sealed(bid) if bid is not None else None
    action = action or ("bid.place" if bid is None else
                        "bid.replace" if bid.status == BidStatus.ACTIVE else "bid.place_again")
    if bid is None:
        bid = Bid(job=job, agency=agency, submitted_at=now)
        db.session.add(bid)
    resign = bid.commitment_id is None or bid.status != BidStatus.ACTIVE \
        or bid.terms_version < job.terms_version
    if data.proposal_file and data.proposal_file.filename:
        bid.proposal_file = save_upload(data.proposal_file).name
    elif job.method != SelectionMethod.PROPOSAL:
        bid.proposal_file = None
    bid.price, bid.proposal = price, proposal
    bid.status, bid.terms_version, bid.updated_at = BidStatus.ACTIVE, job.terms_version, now
    if resign:
        bid.commitment_id = _sign(job, agency)
    db.session.flush()
    _flag_for_review(job, agency)
    audit.record(action, "bid", bid.id, before=before, after=_sealed(bid))
    return bid


def confirm_bid(bid: Bid, commitment_accepted: bool, now: datetime | None = None) -> Bid:
    """Confirm the bid unchanged for the owner's new terms (RULES.md §1). A price outside
    the new budget must be replaced instead."""
    if bid.status != BidStatus.ACTIVE:
        raise Conflict(_("Only an active bid can be confirmed."))
    data = BidInput(commitment_accepted, price=bid.price, proposal=bid.proposal)
    return place_bid(bid.job, bid.agency, data, now, action="bid.confirm")


def withdraw_bid(bid: Bid, now: datetime | None = None) -> None:
    _lock_job(bid.job)
    now = _now(now)
    _check_open(bid.job, now)
    if bid.status != BidStatus.ACTIVE:
        raise Conflict(_("Only an active bid can be withdrawn."))
    before = _sealed(bid)
    bid.status, bid.updated_at = BidStatus.WITHDRAWN, now
    db.session.flush()
    audit.record("bid.withdraw", "bid", bid.id, before=before, after=_sealed(bid))


def record_refusal(job: Job, agency: Agency, restriction: Restriction) -> None:
    """The execution of the measure that barred a bid (一处失信、处处受限). The view
    commits it on its own, after rolling back the refused bid."""
    credit_restrictions.record_execution(agency.uscc, restriction, MODULE,
                                         f"bid refused on job {job.number}")
