"""Shared builders for the job lifecycle tests: owners, bidding agencies, jobs posted and
published through market.operations.jobs, bids through market.operations.bids, and the
deadline passed. Append builders here; don't rewrite others'."""

import itertools
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import time_machine

from core import calendar
from core.auth.models import Organisation, Role, User
from core.db import utcnow
from core.extensions import db
from credit.operations import subjects as credit_subjects
from market import rules
from market.models import (
    Agency,
    Bid,
    Funding,
    Job,
    JobStatus,
    Owner,
    OwnerType,
    SelectionMethod,
)
from market.operations import agencies as agency_ops
from market.operations import bids as bid_ops
from market.operations import jobs as job_ops
from tests.factories import (
    PASSWORD,
    make_agency,
    make_department,
    make_region,
    make_service_item,
    make_uscc,
    make_user,
)

_seq = itertools.count(1)

CEILING, FLOOR, FIXED = Decimal("100000.00"), Decimal("50000.00"), Decimal("80000.00")


def make_owner(name: str | None = None, owner_type: OwnerType = OwnerType.PUBLIC_BODY) -> Owner:
    """A registered owner (credit subject and org admin included); its user is
    `owner_user(owner)`."""
    n = next(_seq)
    return agency_ops.register_owner(agency_ops.OwnerRegistration(
        uscc=make_uscc(500_000 + n), name=name or f"测试项目业主{n}", owner_type=owner_type,
        region_code=make_region().code, contact_name="陈明", contact_phone="13905641234",
        username=f"jobowner{n}", password=PASSWORD))


def owner_user(owner: Owner):
    return owner.organisation.users[0]


def make_bidder(items=(), name: str | None = None, **agency_fields) -> Agency:
    """An active agency offering `items`, known to credit (as registration makes it), with
    an org admin user `agency_user(agency)`."""
    agency = make_agency(name, items=list(items), **agency_fields)
    credit_subjects.register_subject(agency.uscc, agency.name)
    return agency


def agency_user(agency: Agency):
    return agency.organisation.users[0]


def deadline_day(now=None, days: int | None = None) -> date:
    """A last bidding day far enough away (the minimum plus one working day)."""
    days = job_ops.min_bidding_days() + 1 if days is None else days
    return calendar.add_working_days(rules.local_today(now), days)


def job_terms(method: SelectionMethod = SelectionMethod.LOWEST_PRICE,
              funding: Funding = Funding.PUBLIC, item=None, **overrides) -> job_ops.JobTerms:
    """Complete terms for `method`; any field of JobTerms can be overridden."""
    item = item or make_service_item()
    terms = dict(
        service_item_id=item.id, region_code=make_region().code, title=f"测试项目{next(_seq)}",
        scope="某地块测绘及成果汇交", funding=funding, budget_ceiling=CEILING,
        budget_floor=FLOOR, service_days=20, method=method, deadline_on=deadline_day())
    if method == SelectionMethod.RANDOM:
        terms["fixed_price"] = FIXED
    if method == SelectionMethod.CREDIT_BEST:
        terms.update(big_list_size=5, small_list_size=3)
    if method == SelectionMethod.PROPOSAL:
        terms["weights"] = {"price": 40, "technical": 40, "credit": 20}
    terms.update(overrides)
    return job_ops.JobTerms(**terms)


def make_job(owner: Owner, method: SelectionMethod = SelectionMethod.LOWEST_PRICE,
             funding: Funding = Funding.PUBLIC, item=None, files=(), **overrides) -> Job:
    """A draft through the posting operation. Direct selection needs
    `direct_agency_uscc=...` (and private funding to be published)."""
    return job_ops.create_draft(owner, job_terms(method, funding, item, **overrides),
                                list(files))


def publish(job: Job, now=None) -> Job:
    return job_ops.publish(job, now)


def place_bid(job: Job, agency: Agency, price: Decimal | str | None = None,
              proposal: str | None = None, now=None) -> Bid:
    """A bid (price methods) or sign-up (random, credit best) with the commitment signed."""
    if proposal is None and job.method == SelectionMethod.PROPOSAL:
        proposal = "技术方案：按规范分阶段完成外业测量和内业成果整理。"
    data = bid_ops.BidInput(commitment_accepted=True,
                            price=Decimal(price) if price is not None else None,
                            proposal=proposal)
    return bid_ops.place_bid(job, agency, data, now)


def pass_deadline(job: Job) -> Job:
    """Move the deadline into the past (no time travel); bids are then opened."""
    job.deadline = utcnow() - timedelta(seconds=1)
    db.session.flush()
    return job


@contextmanager
def after_deadline(job: Job, seconds: int = 1):
    """Travel to just after the job's deadline (time_machine) for the block."""
    with time_machine.travel(job.deadline + timedelta(seconds=seconds), tick=False):
        yield


# --- J4: a job already awarded (contract, delivery, evaluation, complaints tests) ----------

@dataclass
class Awarded:
    """An awarded job and everyone on it: owner, winning agency, competent department."""

    job: Job
    bid: Bid
    owner: Owner
    agency: Agency
    department: Organisation
    owner_user: User
    agency_user: User
    regulator: User  # staff of the service item's department


def make_awarded_job(price: Decimal | str | None = "10000.00", service_days: int = 10,
                     method: SelectionMethod = SelectionMethod.LOWEST_PRICE,
                     funding: Funding = Funding.PRIVATE, fixed_price=None,
                     owner: Owner | None = None, agency: Agency | None = None,
                     department: Organisation | None = None) -> Awarded:
    """A job in status awarded, built straight from the models (not through selection):
    one winning bid at `price`, awarded now, the contract due in 5 working days."""
    n = next(_seq)
    department = department or make_department()
    item = make_service_item(department)
    owner = owner or make_owner()
    agency = agency or make_bidder([item])
    now = utcnow()
    job = Job(number=f"J4-{n:06d}", owner=owner, service_item=item, region_code=make_region().code,
              title=f"验收测试项目{n}", scope="测绘成果", funding=funding,
              budget_ceiling=CEILING, fixed_price=fixed_price, service_days=service_days,
              method=method, deadline=now - timedelta(days=10), status=JobStatus.AWARDED,
              published_at=now - timedelta(days=20), closed_at=now - timedelta(days=10),
              result_at=now - timedelta(days=8), publicity_ends_at=now,
              awarded_at=now, contract_due_at=calendar.deadline(now, 5))
    db.session.add(job)
    db.session.flush()
    bid = Bid(job_id=job.id, agency_id=agency.id, rank=1,
              price=Decimal(price) if price is not None else None)
    db.session.add(bid)
    db.session.flush()
    job.winner_bid_id = bid.id
    db.session.flush()
    return Awarded(job, bid, owner, agency, department, owner_user(owner), agency_user(agency),
                   make_user(Role.STAFF, department))


# --- J3: selection, publicity, objections ------------------------------------------------------

class SelectionWorld:
    """An owner, a competent department with a regulator (staff), a service item of that
    department and `bidders` agencies offering it."""

    def __init__(self, bidders: int = 3):
        self.department = make_department()
        self.regulator = make_user(Role.STAFF, self.department)
        self.item = make_service_item(self.department)
        self.owner = make_owner()
        self.agencies = [make_bidder([self.item]) for _ in range(bidders)]

    def job(self, method=SelectionMethod.LOWEST_PRICE, funding=Funding.PRIVATE,
            **terms) -> Job:
        """A published job of this world's owner and item."""
        return publish(make_job(self.owner, method, funding, item=self.item, **terms))


def close_with_bids(job: Job, *prices, agencies) -> list[Bid]:
    """Bid `prices` (None: a sign-up) by `agencies` in order, pass the deadline and run the
    closing sweeper (market.scheduled.close_bidding)."""
    from market.scheduled import close_bidding

    bids = [place_bid(job, agency, price) for agency, price in zip(agencies, prices,
                                                                  strict=False)]
    pass_deadline(job)
    assert close_bidding() == 1
    return bids
