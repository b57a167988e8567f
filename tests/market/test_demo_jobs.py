"""The demo jobs (market/demo_jobs.py): every state of a job's life, all six selection
methods and three fundings, sealed bids on open jobs, ratings on the agency profile, and
idempotent loading — also weeks later."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

import core.demo
import credit.demo
import market.demo
from core.audit import AuditEntry
from core.notifications import Notification
from core.randomness import Draw
from credit.models import Commitment, CreditRecord
from market import job_queries
from market.data.demo_jobs import COMPLAINTS, JOBS
from market.models import (
    Agency,
    Bid,
    BidStatus,
    Complaint,
    ComplaintStatus,
    Contract,
    ContractStatus,
    Deliverable,
    Evaluation,
    Extension,
    ExtensionStatus,
    Funding,
    Job,
    JobStatus,
    Objection,
    ObjectionStatus,
    SelectionMethod,
)
from tests.clients import english_client

# Moved through within one operation, so no job rests there: selected → publicity at once
# (the result is published when it is made), contracted → in service at the confirmation.
TRANSIENT = {JobStatus.SELECTED: "job.select", JobStatus.CONTRACTED: "contract.confirm"}
BARRED = {"六安市雷盾防雷检测有限公司", "六安市建质工程检测有限公司"}  # severe list, delisted
NEW_SUBJECTS = {"六安市大别山气象科技服务有限公司", "安徽国策工程咨询有限公司"}
ROWS = (Job, Bid, Objection, Contract, Extension, Deliverable, Evaluation, Complaint, Draw,
        AuditEntry, Notification, Commitment, CreditRecord)


def _load_demo():
    core.demo.load()
    credit.demo.load()
    market.demo.load()


@pytest.fixture
def demo(db_session):
    _load_demo()
    db_session.commit()


def _jobs(db_session) -> list[Job]:
    return db_session.scalars(select(Job).order_by(Job.id)).all()


def _counts(db_session) -> dict[str, int]:
    """Rows of each kind; scores recomputed as time passes (credit.score.change, by the
    credit demo) are not rows the job demo adds."""
    counts = {model.__name__: db_session.scalar(select(func.count()).select_from(model))
              for model in ROWS}
    counts["AuditEntry"] = db_session.scalar(select(func.count()).select_from(AuditEntry)
                                             .where(AuditEntry.action != "credit.score.change"))
    return counts


def _audited(db_session, action: str) -> list[AuditEntry]:
    return db_session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def _assert_complete(db_session) -> None:
    jobs = _jobs(db_session)
    assert len(jobs) == len(JOBS) + 1  # the failed job's second round
    statuses = {job.status for job in jobs}
    assert statuses == set(JobStatus) - set(TRANSIENT)
    for status, action in TRANSIENT.items():  # passed through, as the audit log shows
        assert _audited(db_session, action), status
    assert any(entry.after["status"] == JobStatus.SELECTED
               for entry in _audited(db_session, "job.select"))


def test_every_state_of_a_job_is_there(demo, db_session):
    _assert_complete(db_session)


def test_all_six_methods_three_fundings_and_four_owners(demo, db_session):
    jobs = _jobs(db_session)
    assert {job.method for job in jobs} == set(SelectionMethod)
    assert {job.funding for job in jobs} == set(Funding)
    assert {job.owner.name for job in jobs} == {
        "六安市金安区城市建设投资有限公司", "六安市第二人民医院", "六安市裕安区交通运输局",
        "霍山县旅游发展有限公司"}
    assert all(re.search(r"[\u4e00-\u9fff]", job.title + job.scope) for job in jobs)
    assert not [job for job in jobs if job.funding != Funding.PRIVATE
                and job.method == SelectionMethod.DIRECT]


def test_every_bidder_was_eligible_and_no_barred_agency_bid_or_won(demo, db_session):
    bids = db_session.scalars(select(Bid)).all()
    assert bids
    assert not {bid.agency.name for bid in bids} & BARRED
    for bid in bids:
        assert any(s.service_item_id == bid.job.service_item_id for s in bid.agency.services)
    winners = [job_queries.winner_agency(job) for job in _jobs(db_session)]
    assert not {agency.name for agency in winners if agency} & (BARRED | NEW_SUBJECTS)
    assert all(bid.status == BidStatus.ACTIVE for bid in bids)


def test_the_round_trip_details(demo, db_session):
    jobs = {job.status: job for job in _jobs(db_session)}
    failed = jobs[JobStatus.FAILED]
    assert failed.fail_reason and job_queries.next_round(failed).round == 2
    assert job_queries.next_round(failed).status == JobStatus.PUBLISHED
    assert jobs[JobStatus.CANCELLED].cancel_reason
    objection = db_session.scalar(select(Objection))
    assert objection.status == ObjectionStatus.RAISED
    assert objection.job.status == JobStatus.PUBLICITY
    assert objection.job.publicity_ends_at > datetime.now(UTC)
    awarded = jobs[JobStatus.AWARDED]
    assert awarded.contract_due_at > datetime.now(UTC)
    assert job_queries.contract_for(awarded).status == ContractStatus.UPLOADED
    extension = db_session.scalar(select(Extension))
    assert extension.status == ExtensionStatus.REQUESTED
    assert db_session.get(Contract, extension.contract_id).job.status == JobStatus.IN_SERVICE
    assert {c.status for c in db_session.scalars(select(Complaint))} == {
        ComplaintStatus.SUBMITTED, ComplaintStatus.UNSUBSTANTIATED}
    assert len(COMPLAINTS) == 2
    closed = [job for job in _jobs(db_session) if job.status == JobStatus.CLOSED]
    assert {job.method for job in closed} == {SelectionMethod.PROPOSAL,
                                              SelectionMethod.CREDIT_BEST}
    for job in _jobs(db_session):  # past deadlines are past, open ones ahead
        if job.status == JobStatus.PUBLISHED:
            assert job.deadline > datetime.now(UTC)
        elif job.status not in (JobStatus.DRAFT, JobStatus.CANCELLED):
            assert job.deadline < job.closed_at <= datetime.now(UTC)


def _price_spellings(price) -> set[str]:
    whole = f"{price:.0f}"
    return {whole, f"{int(price):,}", f"{price:.2f}"}


def test_bids_on_open_jobs_are_sealed_on_the_public_page(demo, app, db_session):
    open_jobs = [job for job in _jobs(db_session)
                 if job.status == JobStatus.PUBLISHED and job.bids]
    assert len(open_jobs) >= 2
    owner_client = english_client(app)
    owner_client.post("/login", data={"username": "yuan_jtj", "password": "Demo2026pass"})
    for job in open_jobs:
        for client in (english_client(app), owner_client):
            html = client.get(f"/jobs/{job.number}").get_data(as_text=True)
            assert job.title in html
            assert 'data-testid="bid-count-hidden"' in html
            for bid in job.bids:
                assert not _price_spellings(bid.price) & set(re.findall(r"[\d,.]+", html)), \
                    (job.number, bid.price)
                assert bid.agency.name not in html


def test_a_published_result_shows_every_bid(demo, app, db_session):
    job = next(job for job in _jobs(db_session) if job.status == JobStatus.PUBLICITY)
    html = english_client(app).get(f"/jobs/{job.number}").get_data(as_text=True)
    for bid in job.bids:
        assert bid.agency.name in html and f"{bid.price:.2f}" in html


def test_evaluated_jobs_show_their_ratings_on_the_agency_profile(demo, app, db_session):
    evaluated = [job for job in _jobs(db_session) if job.status == JobStatus.EVALUATED]
    assert len(evaluated) == 2
    client = english_client(app)
    for job in evaluated:
        evaluation = job_queries.evaluation_for(job)
        assert evaluation.owner_rated_at and evaluation.regulator_rated_at
        agency = db_session.get(Agency, evaluation.agency_id)
        html = client.get(f"/agencies/{agency.id}").get_data(as_text=True)
        summary = html[html.index('data-testid="evaluation-summary"'):]
        assert evaluation.comment in summary and job.number in summary
        assert 'data-criterion="regulator_quality"' in summary


def test_a_second_load_adds_nothing_also_forty_days_later(demo, db_session):
    counts = _counts(db_session)
    _load_demo()
    assert _counts(db_session) == counts
    with time_machine.travel(datetime.now(UTC) + timedelta(days=40), tick=False):
        _load_demo()
    assert _counts(db_session) == counts


def test_a_first_load_forty_days_from_now_is_complete(db_session):
    with time_machine.travel(datetime.now(UTC) + timedelta(days=40), tick=False):
        _load_demo()
        _assert_complete(db_session)
