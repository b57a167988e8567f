"""Closing bidding and the selection (RULES.md §1 "Selection methods"): the sweeper closes
at the deadline, counts valid bids, fails a job with too few (流标) or selects through the
job's committed draw; the owner decides proposals and credit best through the pages; the
result and every price are public once bidding has closed; the two PDFs."""

import io
from decimal import Decimal

import pypdf
import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from core import randomness
from core.audit import AuditEntry
from core.calendar import deadline
from core.notifications import Notification
from credit.data_measures import load_measures
from credit.models import Execution
from credit.queries.subjects import subject_for
from market import job_queries
from market.models import BidStatus, Funding, JobStatus, SelectionMethod
from market.operations import selection
from market.scheduled import close_bidding
from tests.clients import english_client
from tests.credit.builders_lists import make_regulator, put_on_list
from tests.market.job_builders import (
    SelectionWorld,
    agency_user,
    close_with_bids,
    make_bidder,
    make_owner,
    owner_user,
    pass_deadline,
    place_bid,
)


@pytest.fixture
def world(db_session):
    return SelectionWorld()


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


# --- Lowest price, the tie and the draw --------------------------------------------------------

def test_a_lowest_price_tie_is_broken_by_the_draw_that_verify_draw_recomputes(
        world, db_session, runner):
    job = world.job(funding=Funding.PUBLIC)
    a, b, c = world.agencies
    bids = close_with_bids(job, "60000.00", "60000.00", "70000.00", agencies=[a, b, c])
    draw = job_queries.draw_of(job)
    tied = [key for key in draw.result if key in (a.uscc, b.uscc)]
    winner = next(bid for bid in bids if bid.agency.uscc == tied[0])
    assert job.status == JobStatus.PUBLICITY
    assert job.winner_bid_id == winner.id
    assert [bid.rank for bid in sorted(bids, key=lambda x: x.rank)] == [1, 2, 3]
    assert bids[2].rank == 3  # the higher price is last whatever the draw
    assert sorted(draw.result) == sorted([a.uscc, b.uscc, c.uscc])  # every valid bid drawn
    with force_locale("zh_CN"):  # stored in the platform's language
        assert job.result_note == gettext("The lowest price wins; a draw broke the tie at the "
                                          "lowest price.")
    assert randomness.verify(draw).ok
    result = runner.invoke(args=["verify-draw", str(draw.id)])
    assert result.exit_code == 0, result.output
    assert job.publicity_ends_at == deadline(job.result_at, 3)


# --- Too few bids: the job fails and is republished --------------------------------------------

def test_a_public_money_job_with_two_bids_fails_and_is_republished_as_round_two(
        app, world, db_session):
    job = world.job(funding=Funding.PUBLIC)
    close_with_bids(job, "60000.00", "61000.00", agencies=world.agencies[:2])
    assert job.status == JobStatus.FAILED and job.winner_bid_id is None
    assert "2" in job.fail_reason and "3" in job.fail_reason
    assert job_queries.draw_of(job).drawn_at is None  # no selection, no draw
    told = db_session.scalars(select(Notification.organisation_id)
                              .where(Notification.title.contains(job.number))).all()
    assert job.owner.organisation_id in told
    assert {a.organisation_id for a in world.agencies[:2]} <= set(told)
    db_session.commit()
    owner = english_client(app, owner_user(world.owner))
    assert owner.post(f"/my/jobs/{job.id}/republish").status_code == 302
    new = job_queries.next_round(job)
    assert (new.round, new.previous_job_id, new.status) == (2, job.id, JobStatus.DRAFT)


def test_a_private_money_job_needs_one_bid(world, db_session):
    job = world.job(funding=Funding.PRIVATE)
    (bid,) = close_with_bids(job, "60000.00", agencies=world.agencies[:1])
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == bid.id


def test_a_bid_not_confirmed_for_changed_terms_does_not_count(world, db_session):
    job = world.job(funding=Funding.PRIVATE)
    first = place_bid(job, world.agencies[0], "60000.00")
    second = place_bid(job, world.agencies[1], "65000.00")
    job.terms_version += 1  # the owner changed the terms; only the second confirmed again
    second.terms_version = job.terms_version
    pass_deadline(job)
    close_bidding()
    assert first.status == BidStatus.EXCLUDED and first.rank is None
    assert job.winner_bid_id == second.id


def test_an_agency_listed_after_bidding_is_excluded_at_the_close_and_recorded(world,
                                                                             db_session):
    """Credit bars are checked again at the deadline (一处失信、处处受限)."""
    load_measures()
    job = world.job(funding=Funding.PUBLIC)
    bids = [place_bid(job, agency, price) for agency, price
            in zip(world.agencies, ("60000", "61000", "62000"), strict=True)]
    listed = bids[0].agency
    put_on_list(subject_for(listed.uscc), make_regulator())
    pass_deadline(job)
    close_bidding()
    assert bids[0].status == BidStatus.EXCLUDED
    assert job.status == JobStatus.FAILED  # public money: 2 valid bids are too few
    executions = db_session.scalars(select(Execution).where(
        Execution.subject_id == subject_for(listed.uscc).id)).all()
    assert {(e.measure.code, e.context) for e in executions} == {
        ("LA-SXCJ-001", f"bid excluded at the close of job {job.number}"),
        ("LA-SXCJ-002", f"bid excluded at the close of job {job.number}")}


# --- Random draw and direct selection ------------------------------------------------------------

def test_random_selection_takes_the_first_sign_up_in_draw_order(world, db_session):
    job = world.job(method=SelectionMethod.RANDOM, funding=Funding.PUBLIC)
    bids = close_with_bids(job, None, None, None, agencies=world.agencies)
    draw = job_queries.draw_of(job)
    by_key = {bid.agency.uscc: bid for bid in bids}
    assert job.winner_bid_id == by_key[draw.result[0]].id
    assert [by_key[key].rank for key in draw.result] == [1, 2, 3]
    assert all(bid.price == job.fixed_price for bid in bids)


def test_direct_selection_selects_the_named_agency(world, db_session):
    named = world.agencies[0]
    job = world.job(method=SelectionMethod.DIRECT, direct_agency_uscc=named.uscc)
    (bid,) = close_with_bids(job, "70000.00", agencies=[named])
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == bid.id
    assert job_queries.draw_of(job) is None or job_queries.draw_of(job).drawn_at is None


# --- Sealed until the deadline, public with the result -------------------------------------------

def test_prices_are_sealed_until_the_deadline_and_public_with_the_result(app, world, db_session):
    job = world.job()
    place_bid(job, world.agencies[0], "61234.00")
    place_bid(job, world.agencies[1], "65432.00")
    db_session.commit()
    public = english_client(app)
    page = public.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert "61234" not in page and "65432" not in page
    assert 'data-testid="selection-result"' not in page
    pass_deadline(job)
    close_bidding()
    db_session.commit()
    page = public.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert 'data-testid="selection-result"' in page and 'data-testid="ranking"' in page
    assert "61234.00" in page and "65432.00" in page
    assert world.agencies[0].name in page
    assert f"/draws/{job.draw_id}" in page  # the draw can be verified from the result


# --- Optimal price ---------------------------------------------------------------------------

def test_optimal_price_publishes_the_coefficient_and_the_reference(app, world, db_session):
    world.agencies += [make_bidder([world.item]) for _ in range(2)]
    job = world.job(method=SelectionMethod.OPTIMAL_PRICE, funding=Funding.PUBLIC)
    prices = ["60000.00", "62000.00", "64000.00", "66000.00", "90000.00"]
    bids = close_with_bids(job, *prices, agencies=world.agencies)
    coefficient = job.coefficient
    assert coefficient in {Decimal("0.95"), Decimal("0.96"), Decimal("0.97"), Decimal("0.98")}
    middle = (Decimal("62000") + Decimal("64000") + Decimal("66000")) / 3  # 5 bids: trimmed
    assert job.reference_price == (middle * coefficient).quantize(Decimal("0.01"))
    closest = min(bids, key=lambda bid: (abs(bid.price - job.reference_price), bid.price))
    assert job.winner_bid_id == closest.id
    db_session.commit()
    page = english_client(app).get(f"/jobs/{job.number}").get_data(as_text=True)
    assert f'data-testid="reference-price">{job.reference_price}' in page
    assert f'data-testid="coefficient">{coefficient}' in page


# --- The owner decides: proposals and credit best ----------------------------------------------

def test_the_owner_scores_the_proposals_and_the_highest_total_wins(app, world, db_session):
    job = world.job(method=SelectionMethod.PROPOSAL)
    cheap, good = close_with_bids(job, "60000.00", "90000.00", agencies=world.agencies[:2])
    assert job.status == JobStatus.CLOSED and job.winner_bid_id is None
    db_session.commit()
    owner = english_client(app, owner_user(world.owner))
    page = owner.get(f"/jobs/{job.number}").get_data(as_text=True)
    assert 'data-testid="owner-decision"' in page
    assert owner.post(f"/my/jobs/{job.id}/proposal-scores",
                      data={f"score_{cheap.id}": "101"}).status_code == 200  # refused
    assert job.status == JobStatus.CLOSED
    response = owner.post(f"/my/jobs/{job.id}/proposal-scores",
                          data={f"score_{cheap.id}": "20", f"score_{good.id}": "100"})
    assert response.status_code == 302
    # price 40 × lowest / price, technical 40 × score / 100, credit 20 × score / 100
    assert good.total_score > cheap.total_score
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == good.id
    assert (good.technical_score, cheap.technical_score) == (Decimal(100), Decimal(20))


def test_only_the_owner_scores_the_proposals(app, world, db_session):
    job = world.job(method=SelectionMethod.PROPOSAL)
    close_with_bids(job, "60000.00", "90000.00", agencies=world.agencies[:2])
    db_session.commit()
    other = english_client(app, owner_user(make_owner()))
    assert other.get(f"/my/jobs/{job.id}/proposal-scores").status_code == 403
    bidder = english_client(app, agency_user(world.agencies[0]))
    assert bidder.get(f"/my/jobs/{job.id}/proposal-scores").status_code == 403


def test_the_owner_chooses_from_the_drawn_small_list(app, world, db_session):
    world.agencies += [make_bidder([world.item]) for _ in range(2)]
    job = world.job(method=SelectionMethod.CREDIT_BEST, big_list_size=4, small_list_size=2)
    bids = close_with_bids(job, *[None] * 5, agencies=world.agencies)
    assert job.status == JobStatus.CLOSED
    assert all(bid.credit_score is not None for bid in bids)  # snapshot at the deadline
    lists = job_queries.credit_best_lists(job)
    assert len(lists.big_list) == 4 and len(lists.small_list) == 2
    outside = next(bid for bid in bids if bid.agency.uscc not in lists.small_list)
    chosen = next(bid for bid in bids if bid.agency.uscc == lists.small_list[1])
    db_session.commit()
    owner = english_client(app, owner_user(world.owner))
    page = owner.get(f"/my/jobs/{job.id}/credit-best").get_data(as_text=True)
    assert chosen.agency.name in page
    assert owner.post(f"/my/jobs/{job.id}/credit-best",
                      data={"bid_id": outside.id}).status_code == 200  # not on the list
    assert job.status == JobStatus.CLOSED
    assert owner.post(f"/my/jobs/{job.id}/credit-best",
                      data={"bid_id": chosen.id}).status_code == 302
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == chosen.id
    assert chosen.rank == 1


# --- PDFs ------------------------------------------------------------------------------------

def test_the_result_notice_is_public_with_the_job_number_winner_and_every_bid(
        app, world, db_session):
    job = world.job()
    bids = close_with_bids(job, "60000.00", "65000.00", agencies=world.agencies[:2])
    db_session.commit()
    response = english_client(app).get(f"/jobs/{job.number}/result-notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert job.number in text and bids[0].agency.name in text and bids[1].agency.name in text
    assert "65,000.00" in text
    assert "ZXGG-" in text and f"/jobs/{job.number}" in text  # number and verification URL


def test_the_result_notice_does_not_exist_before_the_result(app, world, db_session):
    job = world.job()
    place_bid(job, world.agencies[0], "60000.00")
    db_session.commit()
    assert english_client(app).get(f"/jobs/{job.number}/result-notice.pdf").status_code == 404


def test_the_selection_notice_goes_to_the_winner_and_the_owner_after_the_award(
        app, world, db_session):
    job = world.job()
    winner, loser = close_with_bids(job, "60000.00", "65000.00", agencies=world.agencies[:2])
    url = f"/jobs/{job.number}/selection-notice.pdf"
    db_session.commit()
    owner = english_client(app, owner_user(world.owner))
    assert owner.get(url).status_code == 404  # in publicity: not final yet
    selection.end_publicity(job, job.publicity_ends_at)
    db_session.commit()
    for user in (owner_user(world.owner), agency_user(winner.agency)):
        response = english_client(app, user).get(url)
        assert response.status_code == 200
        text = pdf_text(response.data)
        assert job.number in text and winner.agency.name in text and "ZXTZ-" in text
    assert english_client(app, agency_user(loser.agency)).get(url).status_code == 403
    assert english_client(app).get(url).status_code == 302  # sign in first


def test_both_notices_of_one_result_share_their_number(world, db_session):
    job = world.job()
    close_with_bids(job, "60000.00", agencies=world.agencies[:1])
    year, n = job_queries.notice_sequence(job)
    assert n >= 1
    count = db_session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == selection.SELECT_ACTION))
    assert n == count  # the latest selection made on this platform this year
