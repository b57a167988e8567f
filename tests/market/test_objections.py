"""Objections to a selection result (RULES.md §1 "Publicity, objection, award"): a bidder
objects during publicity with reasons and evidence, the owner answers, the competent
regulator upholds (the winner excluded and recorded in credit, the selection run again
without it, or the job failed) or rejects; publicity does not end while one is open."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core.errors import Conflict, NotAllowed
from credit.models import CreditRecord
from credit.queries.subjects import subject_for
from credit.rules import RecordKind
from market import job_queries
from market.models import BidStatus, Funding, JobStatus, ObjectionStatus, SelectionMethod
from market.operations import objections as ops
from market.operations.selection import pick_credit_best
from market.scheduled import end_publicity
from tests.clients import english_client
from tests.factories import make_department, make_user
from tests.market.job_builders import (
    SelectionWorld,
    agency_user,
    close_with_bids,
    make_bidder,
    owner_user,
)

PDF = b"%PDF-1.4\n%evidence\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(db_session):
    return SelectionWorld()


def evidence():
    return io.BytesIO(PDF), "evidence.pdf"


def in_publicity(world, funding=Funding.PRIVATE):
    """A lowest-price job in publicity: bids 60 000 (winner), 61 000, 62 000."""
    job = world.job(funding=funding)
    bids = close_with_bids(job, "60000.00", "61000.00", "62000.00", agencies=world.agencies)
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == bids[0].id
    return job, bids


def objection_by(bid, now):
    """Raised through the operation at `now`, with a PDF as evidence."""
    return ops.raise_objection(bid.job, bid, "中选机构资质证书已过期。",
                               FileStorage(io.BytesIO(PDF), "evidence.pdf"), now)


def test_an_upheld_objection_reruns_the_selection_without_the_winner(app, world, db_session):
    job, (winner, second, third) = in_publicity(world)
    first_publicity_end = job.publicity_ends_at
    db_session.commit()

    bidder = english_client(app, agency_user(second.agency))
    assert 'data-testid="object-link"' in bidder.get(f"/jobs/{job.number}").get_data(True)
    response = bidder.post(f"/jobs/{job.number}/objections/new",
                           data={"reasons": "中选机构资质证书已过期。", "evidence": evidence()},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    objection = ops.open_objection_of(second)
    assert objection.status == ObjectionStatus.RAISED and objection.evidence_file

    owner = english_client(app, owner_user(world.owner))
    assert owner.post(f"/objections/{objection.id}/answer",
                      data={"answer": "已核实，资质确已过期。"}).status_code == 302
    assert objection.status == ObjectionStatus.ANSWERED

    regulator = english_client(app, world.regulator)
    assert regulator.post(f"/objections/{objection.id}/decide",
                          data={"decision": "uphold", "note": "异议成立。"}).status_code == 302

    assert objection.status == ObjectionStatus.UPHELD
    assert winner.status == BidStatus.EXCLUDED and winner.rank is None
    record = db_session.scalars(select(CreditRecord).where(
        CreditRecord.subject_id == subject_for(winner.agency.uscc).id,
        CreditRecord.kind == RecordKind.OBJECTION_UPHELD)).one()
    assert record.reference == job.number and record.source_department_id == world.department.id
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == second.id
    assert (second.rank, third.rank) == (1, 2)
    assert job.publicity_ends_at >= first_publicity_end  # a new publicity period


def test_an_upheld_objection_fails_a_public_job_left_with_too_few_bids(world, db_session):
    job, (winner, second, _third) = in_publicity(world, Funding.PUBLIC)
    objection = objection_by(second, job.result_at)
    ops.answer_objection(objection, job.owner.organisation_id, "属实", job.result_at)
    ops.decide_objection(objection, world.regulator, True, "异议成立", job.result_at)
    assert job.status == JobStatus.FAILED and job.winner_bid_id is None
    assert winner.status == BidStatus.EXCLUDED


def test_a_rejected_objection_leaves_the_result_and_publicity_waits_for_it(world, db_session):
    job, (winner, second, _third) = in_publicity(world)
    objection = objection_by(second, job.result_at)
    with time_machine.travel(job.publicity_ends_at + timedelta(seconds=1), tick=False):
        assert end_publicity() == 0  # the objection is open
        assert job.status == JobStatus.PUBLICITY
    with time_machine.travel(objection.answer_due_at + timedelta(seconds=1), tick=False):
        # the owner did not answer in time: the regulator decides without the answer
        ops.decide_objection(objection, world.regulator, False, "理由不成立",
                             objection.answer_due_at + timedelta(seconds=1))
        assert end_publicity() == 1
    assert objection.status == ObjectionStatus.REJECTED
    assert job.status == JobStatus.AWARDED and job.winner_bid_id == winner.id


def test_the_regulator_waits_for_the_owners_answer(world, db_session):
    job, (_winner, second, _third) = in_publicity(world)
    objection = objection_by(second, job.result_at)
    with pytest.raises(Conflict, match="answer"):
        ops.decide_objection(objection, world.regulator, True, "成立", job.result_at)
    assert objection.status == ObjectionStatus.RAISED


def test_only_the_competent_regulator_decides(world, db_session):
    job, (_winner, second, _third) = in_publicity(world)
    objection = objection_by(second, job.result_at)
    ops.answer_objection(objection, job.owner.organisation_id, "不属实", job.result_at)
    stranger = make_user(make_user().role, make_department())
    with pytest.raises(NotAllowed):
        ops.decide_objection(objection, stranger, True, "成立", job.result_at)
    with pytest.raises(NotAllowed):
        ops.answer_objection(objection, second.agency.organisation_id, "x", job.result_at)


def test_only_losing_bidders_object_and_only_during_publicity(app, world, db_session):
    job, (winner, second, _third) = in_publicity(world)
    with pytest.raises(NotAllowed):
        objection_by(winner, job.result_at)
    with pytest.raises(Conflict):
        objection_by(second, job.publicity_ends_at)
    objection_by(second, job.result_at)
    with pytest.raises(Conflict, match="still open"):
        objection_by(second, job.result_at)
    outsider = make_bidder([world.item])
    db_session.commit()
    client = english_client(app, agency_user(outsider))
    assert client.get(f"/jobs/{job.number}/objections/new").status_code == 403


def test_the_objection_and_its_evidence_are_for_the_parties_only(app, world, db_session):
    job, (_winner, second, third) = in_publicity(world)
    objection = objection_by(second, job.result_at)
    db_session.commit()
    for user in (agency_user(second.agency), owner_user(world.owner), world.regulator):
        client = english_client(app, user)
        assert client.get(f"/objections/{objection.id}").status_code == 200
        assert client.get(f"/objections/{objection.id}/evidence").data == PDF
        assert f"/objections/{objection.id}" in client.get("/objections").get_data(True)
    other = english_client(app, agency_user(third.agency))
    assert other.get(f"/objections/{objection.id}").status_code == 403
    assert other.get(f"/objections/{objection.id}/evidence").status_code == 403


def test_upholding_one_objection_closes_the_others_on_the_same_result(world, db_session):
    job, (_winner, second, third) = in_publicity(world)
    upheld, other = objection_by(second, job.result_at), objection_by(third, job.result_at)
    ops.answer_objection(upheld, job.owner.organisation_id, "属实", job.result_at)
    ops.decide_objection(upheld, world.regulator, True, "成立", job.result_at)
    assert other.status == ObjectionStatus.REJECTED and other.decided_by_id is None
    assert str(upheld.id) in other.decision_note
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == second.id


def test_credit_best_after_an_upheld_objection_takes_the_next_of_the_small_list(world,
                                                                               db_session):
    world.agencies += [make_bidder([world.item]) for _ in range(2)]
    job = world.job(method=SelectionMethod.CREDIT_BEST, big_list_size=4, small_list_size=2)
    bids = close_with_bids(job, *[None] * 5, agencies=world.agencies)
    assert len({bid.credit_score for bid in bids}) == 1  # all new: the draw orders them all
    order = job_queries.draw_of(job).result
    by_key = {bid.agency.uscc: bid for bid in bids}
    assert job_queries.credit_best_lists(job).small_list == order[:2]
    pick_credit_best(job, by_key[order[1]], job.closed_at)  # the owner takes the second
    objection = objection_by(by_key[order[0]], job.result_at)
    ops.answer_objection(objection, job.owner.organisation_id, "属实", job.result_at)
    ops.decide_objection(objection, world.regulator, True, "成立", job.result_at)
    assert by_key[order[1]].status == BidStatus.EXCLUDED
    # drawn again without it: big list order[0, 2, 3, 4], small list order[0, 2]; its first
    assert job.status == JobStatus.PUBLICITY and job.winner_bid_id == by_key[order[0]].id
    assert (by_key[order[0]].rank, by_key[order[2]].rank) == (1, 2)


def test_an_objection_needs_reasons_evidence_and_the_forms_token(app, world, db_session,
                                                                 monkeypatch):
    job, (_winner, second, _third) = in_publicity(world)
    db_session.commit()
    client = english_client(app, agency_user(second.agency))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # signed in, now enforced
    url = f"/jobs/{job.number}/objections/new"
    assert client.post(url, data={"reasons": "x", "evidence": evidence()},
                       content_type="multipart/form-data").status_code == 400  # no token
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = client.post(url, data={"csrf_token": token, "reasons": "资质过期"},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Attach the evidence" in response.get_data(as_text=True)
    assert ops.open_objection_of(second) is None
