"""Bidding (RULES.md §1 "Eligibility to bid", §2 joint measures): who may bid, what a bid or
sign-up carries for each selection method, the credit commitment with each bid, replacing
and withdrawing before the deadline and nothing after it, and a bid barred by a joint
punishment measure refused with the measure named and its execution on record."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from core.audit import AuditEntry
from credit.data_measures import load_measures
from credit.models import (
    ApplicationMethod,
    Commitment,
    Effect,
    Execution,
    MeasureTrigger,
)
from credit.operations import lists as list_ops
from credit.queries.subjects import subject_for
from credit.rules import RecordKind, Severity
from market import job_queries
from market.models import (
    AgencyStatus,
    Bid,
    BidStatus,
    Funding,
    QualificationMode,
    QualificationStatus,
    SelectionMethod,
)
from market.operations import bids as bid_ops
from tests.clients import english_client
from tests.credit.builders_lists import make_regulator, put_on_list
from tests.credit.builders_subjects import add
from tests.factories import make_qualification_type, make_service_item
from tests.market.job_builders import (
    agency_user,
    make_bidder,
    make_job,
    make_owner,
    place_bid,
    publish,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(db_session):
    item = make_service_item(name="工程测量")
    return {"item": item, "owner": make_owner("六安市城投有限公司"),
            "agency": make_bidder([item], name="甲测绘有限公司")}


def job_of(world, method=SelectionMethod.LOWEST_PRICE, funding=Funding.PUBLIC, **terms):
    return publish(make_job(world["owner"], method, funding, item=world["item"], **terms))


def browser(app, agency):
    return english_client(app, agency_user(agency))


# --- Eligibility, reason by reason ------------------------------------------------------------

def test_an_agency_offering_the_item_is_eligible(world):
    assert job_queries.eligibility(job_of(world), world["agency"]) == []


def test_an_agency_not_offering_the_item_is_not(world):
    other = make_bidder([make_service_item()])
    assert job_queries.eligibility(job_of(world), other) == [
        "The agency does not offer the service item 工程测量."]


def test_an_inactive_agency_is_not(world):
    world["agency"].status = AgencyStatus.DELISTED
    assert job_queries.eligibility(job_of(world), world["agency"]) == [
        "The agency is not active on the marketplace (delisted agencies cannot bid)."]


def test_an_avoided_agency_is_not_and_is_told_the_public_reason(world):
    job = job_of(world, avoidances=[(world["agency"].uscc, "曾为本项目编制可研报告")])
    assert job_queries.eligibility(job, world["agency"]) == [
        "The owner has excluded this agency (avoidance): 曾为本项目编制可研报告"]


def test_direct_selection_is_open_to_the_named_agency_only(world):
    other = make_bidder([world["item"]])
    job = job_of(world, SelectionMethod.DIRECT, Funding.PRIVATE,
                 direct_agency_uscc=world["agency"].uscc)
    assert job_queries.eligibility(job, world["agency"]) == []
    assert job_queries.eligibility(job, other) == [
        "This job is a direct selection of another agency."]


def qualified(world, types, expires_on):
    """An agency offering the item holding `types`, each expiring on `expires_on`."""
    agency = make_bidder([world["item"]], qualification_type=types[0], expires_on=expires_on)
    for extra in types[1:]:
        agency.qualifications.append(type(agency.qualifications[0])(
            type=extra, level="乙级", certificate_no="X1", issuer="省厅",
            expires_on=expires_on))
    return agency


def test_qualifications_any_of_and_all_of(world):
    survey = make_qualification_type(name="测绘甲级")
    mapping = make_qualification_type(name="地籍乙级")
    future = date.today() + timedelta(days=100)
    holds_survey = qualified(world, [survey], future)
    holds_both = qualified(world, [survey, mapping], future)
    any_job = job_of(world, qualification_type_ids=[survey.id, mapping.id],
                     qualification_mode=QualificationMode.ANY)
    all_job = job_of(world, qualification_type_ids=[survey.id, mapping.id],
                     qualification_mode=QualificationMode.ALL)
    assert job_queries.eligibility(any_job, holds_survey) == []
    assert job_queries.eligibility(all_job, holds_both) == []
    assert job_queries.eligibility(all_job, holds_survey) == [
        "The job requires all of these qualifications, unexpired; missing: 地籍乙级"]
    assert job_queries.eligibility(any_job, world["agency"]) == [
        "The job requires one of these qualifications, unexpired: 测绘甲级、地籍乙级"]


def test_an_expired_qualification_does_not_count(world):
    survey = make_qualification_type(name="测绘甲级")
    yesterday = qualified(world, [survey], date.today() - timedelta(days=1))
    swept = qualified(world, [survey], date.today() + timedelta(days=5))
    swept.qualifications[0].status = QualificationStatus.EXPIRED  # the sweeper's verdict
    job = job_of(world, qualification_type_ids=[survey.id])
    for agency in (yesterday, swept):
        assert job_queries.eligibility(job, agency) == [
            "The job requires one of these qualifications, unexpired: 测绘甲级"]


def test_the_owners_own_organisation_cannot_bid(world):
    job = job_of(world)
    owner_as_agency = make_bidder([world["item"]])
    owner_as_agency.organisation_id = world["owner"].organisation_id
    assert "An agency cannot bid on its own organisation's job." in job_queries.eligibility(
        job, owner_as_agency)


# --- Placing bids over HTTP -----------------------------------------------------------------

def bid_form(**fields) -> dict:
    return {"commitment_accepted": "y", **fields}


def test_a_bid_carries_its_price_and_the_signed_commitment(app, world, db_session):
    job = job_of(world)
    db_session.commit()
    client = browser(app, world["agency"])
    page = client.get(f"/jobs/{job.number}/bid").get_data(as_text=True)
    assert "投标（报名）信用承诺书" in page and job.number in page
    response = client.post(f"/jobs/{job.number}/bid", data=bid_form(price="76543.21"))
    assert response.status_code == 302
    bid = job_queries.bid_of(job, world["agency"])
    assert (bid.price, bid.status, bid.terms_version) == (Decimal("76543.21"),
                                                          BidStatus.ACTIVE, 1)
    commitment = db_session.get(Commitment, bid.commitment_id)
    assert commitment.context == f"bid:{job.number}"
    assert commitment.text == bid_ops.commitment_text(job, world["agency"])
    assert commitment.subject_id == subject_for(world["agency"].uscc).id
    assert "76543.21" not in commitment.text


@pytest.mark.parametrize("fields, message", [
    ({"price": "49999.99"}, "The price must lie within 50000.00 and 100000.00 yuan"),
    ({"price": "100000.01"}, "The price must lie within"),
    ({"price": ""}, "Enter your price."),
    ({"price": "60000", "commitment_accepted": ""}, "needs your acceptance of the credit"),
    ({"price": "60000.001"}, "at most two decimals"),
])
def test_a_bid_outside_the_rules_is_refused_on_the_form(app, world, db_session, fields,
                                                        message):
    job = job_of(world)
    db_session.commit()
    response = browser(app, world["agency"]).post(f"/jobs/{job.number}/bid",
                                                  data=bid_form(**fields))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert job_queries.bid_of(job, world["agency"]) is None


def test_random_selection_is_a_sign_up_at_the_fixed_price(app, world, db_session):
    job = job_of(world, SelectionMethod.RANDOM)
    db_session.commit()
    client = browser(app, world["agency"])
    response = client.post(f"/jobs/{job.number}/bid", data=bid_form(price="1.00"))
    assert response.status_code == 302
    assert job_queries.bid_of(job, world["agency"]).price == Decimal("80000.00")


def test_credit_best_is_a_sign_up_without_price(app, world, db_session):
    job = job_of(world, SelectionMethod.CREDIT_BEST)
    db_session.commit()
    assert browser(app, world["agency"]).post(f"/jobs/{job.number}/bid",
                                              data=bid_form()).status_code == 302
    assert job_queries.bid_of(job, world["agency"]).price is None


def test_a_proposal_needs_its_text_and_may_carry_a_document(app, world, db_session):
    job = job_of(world, SelectionMethod.PROPOSAL)
    db_session.commit()
    client = browser(app, world["agency"])
    response = client.post(f"/jobs/{job.number}/bid", data=bid_form(price="70000"))
    assert "Describe your proposal." in response.get_data(as_text=True)
    response = client.post(f"/jobs/{job.number}/bid", data={
        **bid_form(price="70000", proposal="分三阶段实施"),
        "proposal_file": (io.BytesIO(PDF), "方案.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    bid = job_queries.bid_of(job, world["agency"])
    assert bid.proposal == "分三阶段实施" and bid.proposal_file.endswith(".pdf")
    assert client.get(f"/bids/{bid.id}/proposal").data == PDF
    owner = english_client(app, world["owner"].organisation.users[0])
    assert owner.get(f"/bids/{bid.id}/proposal").status_code == 403  # sealed until deadline


def test_an_ineligible_agency_is_refused(app, world, db_session):
    job = job_of(world)
    outsider = make_bidder([make_service_item()])
    db_session.commit()
    client = browser(app, outsider)
    assert "does not offer the service item" in client.get(
        f"/jobs/{job.number}/bid").get_data(as_text=True)
    response = client.post(f"/jobs/{job.number}/bid", data=bid_form(price="60000"))
    assert response.status_code == 403
    assert "does not offer the service item" in response.get_data(as_text=True)
    assert job_queries.bid_of(job, outsider) is None


def test_only_agency_users_bid(app, world, db_session):
    job = job_of(world)
    db_session.commit()
    owner = english_client(app, world["owner"].organisation.users[0])
    assert owner.post(f"/jobs/{job.number}/bid", data=bid_form(price="60000")).status_code == 403
    assert english_client(app).get(f"/jobs/{job.number}/bid").status_code == 302  # sign in


# --- Replace, withdraw, and nothing after the deadline ------------------------------------

def test_replacing_updates_the_one_bid_and_withdrawing_allows_a_new_one(app, world, db_session):
    job = job_of(world)
    db_session.commit()
    client = browser(app, world["agency"])
    client.post(f"/jobs/{job.number}/bid", data=bid_form(price="70000"))
    client.post(f"/jobs/{job.number}/bid", data=bid_form(price="65000.50"))
    rows = db_session.scalars(select(Bid).where(Bid.job_id == job.id)).all()
    assert len(rows) == 1 and rows[0].price == Decimal("65000.50")
    assert client.post(f"/jobs/{job.number}/bid/withdraw").status_code == 302
    db_session.refresh(rows[0])
    assert rows[0].status == BidStatus.WITHDRAWN
    assert not job_queries.bid_valid(rows[0])
    client.post(f"/jobs/{job.number}/bid", data=bid_form(price="64000"))
    db_session.refresh(rows[0])
    assert (rows[0].status, rows[0].price) == (BidStatus.ACTIVE, Decimal("64000.00"))
    actions = db_session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity_type == "bid", AuditEntry.entity_id == str(rows[0].id))
        .order_by(AuditEntry.id)).all()
    assert actions == ["bid.place", "bid.replace", "bid.withdraw", "bid.place_again"]
    commitments = db_session.scalar(select(func.count()).select_from(Commitment).where(
        Commitment.context == f"bid:{job.number}"))
    assert commitments == 2  # signed with the bid and again with the bid placed again


def test_after_the_deadline_nothing_changes(app, world, db_session):
    job = job_of(world)
    bid = place_bid(job, world["agency"], "70000")
    db_session.commit()
    with time_machine.travel(job.deadline + timedelta(seconds=1), tick=False):
        client = browser(app, world["agency"])  # sessions last 8 hours: sign in now
        for path, data in ((f"/jobs/{job.number}/bid", bid_form(price="60000")),
                           (f"/jobs/{job.number}/bid/withdraw", {}),
                           (f"/jobs/{job.number}/bid/confirm", bid_form())):
            response = client.post(path, data=data)
            assert response.status_code == 409, path
            assert "Bidding on job" in response.get_data(as_text=True)
        assert 'data-testid="closed"' in client.get(
            f"/jobs/{job.number}/bid").get_data(as_text=True)
    db_session.refresh(bid)
    assert (bid.price, bid.status) == (Decimal("70000.00"), BidStatus.ACTIVE)


def test_a_bid_on_a_cancelled_job_is_refused(app, world, db_session):
    job = job_of(world)
    job.status = job.status.CANCELLED
    db_session.commit()
    response = browser(app, world["agency"]).post(f"/jobs/{job.number}/bid",
                                                  data=bid_form(price="60000"))
    assert response.status_code == 409


# --- Joint punishment: barred from bidding (RULES.md §2) -------------------------------------

def executions(db_session, agency) -> list[Execution]:
    subject = subject_for(agency.uscc)
    return list(db_session.scalars(select(Execution).where(Execution.subject_id == subject.id)))


def test_a_severe_listed_agency_cannot_bid_and_the_execution_is_recorded(app, world,
                                                                        db_session):
    load_measures()
    job = job_of(world)
    put_on_list(subject_for(world["agency"].uscc), make_regulator())
    db_session.commit()
    client = browser(app, world["agency"])
    page = client.get(f"/jobs/{job.number}/bid").get_data(as_text=True)
    assert "LA-SXCJ-001" in page  # the page says why before the agency tries
    response = client.post(f"/jobs/{job.number}/bid", data=bid_form(price="60000"))
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Bidding is barred by the joint punishment measure LA-SXCJ-001" in html
    assert "不得报名、报价" in html  # the measure's content
    assert job_queries.bid_of(job, world["agency"]) is None
    found = executions(db_session, world["agency"])
    assert [(e.measure.code, e.module, e.context) for e in found] == [
        ("LA-SXCJ-001", "market", f"bid refused on job {job.number}")]
    assert db_session.scalar(select(func.count()).select_from(Commitment).where(
        Commitment.context == f"bid:{job.number}")) == 0  # the refused bid signed nothing


def level_d_measure(method: ApplicationMethod):
    return list_ops.create_measure(list_ops.MeasureInput(
        code=f"T-{method.value[:4].upper()}", content="D级机构限制参与竞争",
        legal_basis="测试依据", initiating_department="发改委", implementing_department="市场局",
        trigger=MeasureTrigger.LEVEL, trigger_value="D", method=method,
        effect=Effect.BAR_BIDDING))


def make_level_d(agency):
    add(subject_for(agency.uscc), RecordKind.PENALTY, severity=Severity.SERIOUS)
    assert subject_for(agency.uscc).level == "D"


def test_a_measure_with_the_bar_bidding_effect_refuses_the_bid(app, world, db_session):
    level_d_measure(ApplicationMethod.AUTOMATIC_BLOCK)
    make_level_d(world["agency"])
    job = job_of(world, SelectionMethod.RANDOM, Funding.PRIVATE)
    db_session.commit()
    response = browser(app, world["agency"]).post(f"/jobs/{job.number}/bid", data=bid_form())
    assert response.status_code == 403
    assert "T-AUTO" in response.get_data(as_text=True)
    assert [e.measure.code for e in executions(db_session, world["agency"])] == ["T-AUTO"]


def test_a_measure_that_only_flags_lets_the_bid_stand_and_records_it(app, world, db_session):
    level_d_measure(ApplicationMethod.FLAG_FOR_REVIEW)
    make_level_d(world["agency"])
    job = job_of(world)
    db_session.commit()
    response = browser(app, world["agency"]).post(f"/jobs/{job.number}/bid",
                                                  data=bid_form(price="60000"))
    assert response.status_code == 302
    assert job_queries.bid_of(job, world["agency"]).status == BidStatus.ACTIVE
    assert [(e.measure.code, e.context) for e in executions(db_session, world["agency"])] == [
        ("T-FLAG", f"bid on job {job.number} flagged for review")]


def test_the_agencys_pages_list_its_open_jobs_and_bids(app, world, db_session):
    open_job = job_of(world, title="开放项目")
    other = publish(make_job(world["owner"], item=make_service_item(), title="别的事项"))
    place_bid(open_job, world["agency"], "61234.56")
    db_session.commit()
    client = browser(app, world["agency"])
    html = client.get("/my/open-jobs").get_data(as_text=True)
    assert "开放项目" in html and other.title not in html
    html = client.get("/my/bids").get_data(as_text=True)
    assert "开放项目" in html and "61234.56" in html  # its own price
