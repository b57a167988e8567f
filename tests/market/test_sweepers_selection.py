"""The selection sweepers (RULES.md §1 "Publicity, objection, award"): close bidding at the
deadline, end publicity (the award, contract due in 5 working days), and the contract
deadline (commitment broken, the next-ranked bidder selected). Each runs twice in a row and
changes nothing the second time."""

import io
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core.audit import AuditEntry
from core.calendar import deadline
from core.notifications import Notification
from core.randomness import Draw
from core.scheduler import SWEEPERS
from credit.models import Commitment, CreditRecord
from credit.queries.subjects import subject_for
from credit.rules import RecordKind
from market.models import Bid, BidStatus, Funding, Job, JobStatus, SelectionMethod
from market.operations import contracts
from tests.market.job_builders import SelectionWorld, close_with_bids, pass_deadline, place_bid

PDF = b"%PDF-1.4\n%contract\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(db_session):
    return SelectionWorld()


def run(name: str) -> int:
    return SWEEPERS[name].func()


def state(db_session) -> tuple:
    """Everything a sweeper may change: job and bid states, and how many audit entries,
    notifications, credit records and made draws there are."""
    db_session.expire_all()
    jobs = db_session.execute(select(Job.id, Job.status, Job.winner_bid_id, Job.closed_at,
                                     Job.publicity_ends_at, Job.awarded_at,
                                     Job.contract_due_at).order_by(Job.id)).all()
    bids = db_session.execute(select(Bid.id, Bid.status, Bid.rank, Bid.credit_score)
                              .order_by(Bid.id)).all()
    counts = [db_session.scalar(select(func.count()).select_from(model).where(*where))
              for model, where in ((AuditEntry, ()), (Notification, ()), (CreditRecord, ()),
                                   (Draw, (Draw.drawn_at.is_not(None),)))]
    return jobs, bids, counts


def twice_changes_nothing_the_second_time(name: str, db_session) -> None:
    before = state(db_session)
    assert run(name) >= 1
    after_first = state(db_session)
    assert after_first != before
    assert run(name) == 0
    assert state(db_session) == after_first


def awarded(world, *prices):
    """Close (lowest price, private money), end publicity: the job is awarded."""
    job = world.job(funding=Funding.PRIVATE)
    bids = close_with_bids(job, *prices, agencies=world.agencies)
    with time_machine.travel(job.publicity_ends_at + timedelta(seconds=1), tick=False):
        assert run("market.end_publicity") == 1
    assert job.status == JobStatus.AWARDED
    return job, bids


# --- Idempotence ------------------------------------------------------------------------------

def test_closing_twice_changes_nothing_the_second_time(world, db_session):
    selected, failed = world.job(funding=Funding.PUBLIC), world.job(funding=Funding.PUBLIC)
    for agency, price in zip(world.agencies, ("60000", "61000", "62000"), strict=True):
        place_bid(selected, agency, price)
    place_bid(failed, world.agencies[0], "60000")  # public money needs 3
    pass_deadline(selected)
    pass_deadline(failed)
    twice_changes_nothing_the_second_time("market.close_bidding", db_session)
    statuses = db_session.scalars(select(Job.status).order_by(Job.id)).all()
    assert statuses == [JobStatus.PUBLICITY, JobStatus.FAILED]


def test_ending_publicity_twice_changes_nothing_the_second_time(world, db_session):
    job = world.job()
    close_with_bids(job, "60000.00", agencies=world.agencies[:1])
    with time_machine.travel(job.publicity_ends_at + timedelta(seconds=1), tick=False):
        twice_changes_nothing_the_second_time("market.end_publicity", db_session)
    assert job.status == JobStatus.AWARDED


def test_the_contract_deadline_twice_changes_nothing_the_second_time(world, db_session):
    job, _bids = awarded(world, "60000.00", "61000.00")
    with time_machine.travel(job.contract_due_at + timedelta(seconds=1), tick=False):
        twice_changes_nothing_the_second_time("market.contract_deadline", db_session)
    assert job.status == JobStatus.PUBLICITY


def test_nothing_is_due_before_its_time(world, db_session):
    job = world.job()
    place_bid(job, world.agencies[0], "60000")
    before = state(db_session)
    assert [run(name) for name in ("market.close_bidding", "market.end_publicity",
                                   "market.contract_deadline")] == [0, 0, 0]
    assert state(db_session) == before


# --- The award and the contract deadline -----------------------------------------------------

def test_the_award_makes_the_contract_due_in_5_working_days_and_tells_the_winner(
        world, db_session):
    job, (winner, _other) = awarded(world, "60000.00", "61000.00")
    assert job.contract_due_at == deadline(job.awarded_at, 5)
    note = db_session.scalars(select(Notification).where(
        Notification.organisation_id == winner.agency.organisation_id,
        Notification.link == f"/jobs/{job.id}/contract")).one()  # built in a sweeper
    assert job.number in note.title


def test_a_winner_without_a_contract_in_5_working_days_breaks_its_commitment(world,
                                                                               db_session):
    job, (winner, second, third) = awarded(world, "60000.00", "61000.00", "62000.00")
    with time_machine.travel(job.contract_due_at - timedelta(seconds=1), tick=False):
        assert run("market.contract_deadline") == 0  # not yet
    with time_machine.travel(job.contract_due_at + timedelta(seconds=1), tick=False):
        assert run("market.contract_deadline") == 1
    commitment = db_session.get(Commitment, winner.commitment_id)
    assert commitment.outcome == "broken"
    broken = db_session.scalars(select(CreditRecord).where(
        CreditRecord.subject_id == subject_for(winner.agency.uscc).id,
        CreditRecord.kind == RecordKind.COMMITMENT_BROKEN)).one()
    assert broken.id == commitment.outcome_record_id
    assert winner.status == BidStatus.EXCLUDED
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == second.id
    assert (second.rank, third.rank) == (1, 2)
    assert job.awarded_at is None and job.contract_due_at is None  # a new award to come


def test_the_next_ranked_bidder_takes_the_place_not_a_new_optimal_price_computation(
        world, db_session):
    """Ranked 83 000, 86 000, 50 000 for any coefficient in 95–98 % (reference 69 350–71 540).
    A re-run without the winner would crown 50 000 (new reference 64 600–66 640)."""
    job = world.job(method=SelectionMethod.OPTIMAL_PRICE, funding=Funding.PRIVATE)
    low, winner, second = close_with_bids(job, "50000.00", "83000.00", "86000.00",
                                          agencies=world.agencies)
    assert job.winner_bid_id == winner.id
    reference = job.reference_price
    with time_machine.travel(job.publicity_ends_at + timedelta(seconds=1), tick=False):
        assert run("market.end_publicity") == 1
    with time_machine.travel(job.contract_due_at + timedelta(seconds=1), tick=False):
        assert run("market.contract_deadline") == 1
    assert job.winner_bid_id == second.id and job.status == JobStatus.PUBLICITY
    assert (second.rank, low.rank) == (1, 2) and job.reference_price == reference


def test_the_job_fails_when_nobody_is_left_to_take_the_place(world, db_session):
    job, (winner,) = awarded(world, "60000.00")
    with time_machine.travel(job.contract_due_at + timedelta(seconds=1), tick=False):
        assert run("market.contract_deadline") == 1
    assert job.status == JobStatus.FAILED and winner.status == BidStatus.EXCLUDED


def test_a_winner_that_filed_its_contract_is_not_in_breach(world, db_session):
    job, (winner, _second) = awarded(world, "60000.00", "61000.00")
    contracts.file_contract(job, winner.agency.organisation, "60000.00", None,
                            FileStorage(io.BytesIO(PDF), "contract.pdf"))
    with time_machine.travel(job.contract_due_at + timedelta(seconds=1), tick=False):
        assert run("market.contract_deadline") == 0
    assert job.status == JobStatus.AWARDED and winner.status == BidStatus.ACTIVE
