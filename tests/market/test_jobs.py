"""Posting jobs (RULES.md §1 "Job and its life"): an owner drafts a job with every field,
publishes it (checked in full, numbered, its draw committed, eligible agencies told), edits
its terms (bidders confirm again), cancels it with a reason, and republishes a failed one as
a new round. Every refusal the rules make, through the owner's form."""

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from core import settings
from core.audit import AuditEntry
from core.notifications import Notification
from core.randomness import Draw, seed_hash
from market import job_queries
from market.models import Funding, Job, JobAttachment, JobStatus, SelectionMethod
from market.operations import jobs as job_ops
from tests.clients import english_client
from tests.factories import make_qualification_type, make_region, make_service_item
from tests.market.job_builders import (
    agency_user,
    deadline_day,
    make_bidder,
    make_job,
    make_owner,
    owner_user,
    place_bid,
    publish,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\ntrailer<<>>\n%%EOF\n"
SHANGHAI_10AM = "T02:00:00Z"  # 10:00 Beijing time


def at(day: str) -> datetime:
    """10:00 Beijing time on `day` (YYYY-MM-DD), as aware UTC."""
    return datetime.fromisoformat(day + SHANGHAI_10AM).astimezone(UTC)


@pytest.fixture
def world(db_session):
    item = make_service_item(name="工程测量")
    owner = make_owner("六安市自然资源局")
    return {"item": item, "region": make_region(), "owner": owner,
            "offering": make_bidder([item], name="甲测绘有限公司"),
            "other": make_bidder([make_service_item()], name="乙规划有限公司")}


@pytest.fixture
def owner_client(app, world, db_session):
    db_session.commit()
    return signed_in_owner(app, world)


def signed_in_owner(app, world):
    """The owner's browser, signed in now: sessions last 8 hours, and a cookie signed in
    the future is refused, so a test that travels in time signs in after travelling."""
    return english_client(app, owner_user(world["owner"]))


def form(world, **changes) -> dict:
    data = {"service_item_id": str(world["item"].id), "region_code": world["region"].code,
            "title": "金安区某地块地形测量", "scope": "1:500 地形图测绘，约 2 平方公里。",
            "funding": "public", "budget_ceiling": "100000.00", "budget_floor": "60000.00",
            "service_days": "20", "qualification_mode": "any", "method": "lowest_price",
            "deadline_on": deadline_day().isoformat(), "avoidances": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post_draft(client, world, **changes):
    return client.post("/my/jobs/new", data=form(world, **changes),
                       content_type="multipart/form-data")


def the_job(db_session, title="金安区某地块地形测量") -> Job:
    return db_session.scalars(select(Job).where(Job.title == title)
                              .order_by(Job.id.desc())).first()


def publish_over_http(client, job):
    return client.post(f"/my/jobs/{job.id}/publish")


# --- Drafting and publishing ------------------------------------------------------------------

def test_an_owner_drafts_and_publishes_a_job_with_every_field(owner_client, world, db_session):
    qualification = make_qualification_type(name="测绘甲级")
    avoided = make_bidder([world["item"]], name="丙测绘有限公司")
    db_session.commit()
    response = owner_client.post("/my/jobs/new", data={
        **form(world, qualification_type_ids=str(qualification.id), qualification_mode="all",
               avoidances=f"{avoided.uscc} 与项目业主存在控股关系"),
        "attachments": [(io.BytesIO(PDF), "任务书.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    job = the_job(db_session)
    assert job.status == JobStatus.DRAFT and job.number.startswith("DRAFT-")
    assert job.budget_ceiling == Decimal("100000.00") and job.budget_floor == Decimal("60000")
    assert [q.name for q in job.required_qualifications] == ["测绘甲级"]
    assert [(a.agency_id, a.reason) for a in job.avoidances] == [
        (avoided.id, "与项目业主存在控股关系")]
    assert [a.original_name for a in job_queries.attachments(job)] == ["任务书.pdf"]
    assert owner_client.get(f"/jobs/{job.number}").status_code == 404  # drafts are not public
    draft_page = owner_client.get(f"/my/jobs/{job.id}").get_data(as_text=True)
    assert f"{avoided.uscc} 与项目业主存在控股关系</textarea>" in draft_page
    assert 'value="100000.00"' in draft_page

    response = publish_over_http(owner_client, job)
    assert response.status_code == 302
    db_session.refresh(job)
    assert job.status == JobStatus.PUBLISHED
    assert re.fullmatch(rf"ZJ-{job.published_at.year}-\d{{6}}", job.number)
    assert job.number.endswith(f"{job.id:06d}")
    draw = db_session.get(Draw, job.draw_id)
    assert draw.reference == f"job:{job.id}" and draw.purpose == "job.selection"
    assert draw.drawn_at is None and seed_hash(draw.seed) == draw.seed_hash

    page = english_client(owner_client.application).get(f"/jobs/{job.number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert draw.seed_hash in html and f"/draws/{draw.id}" in html
    assert draw.seed not in html  # only the hash is public before the draw
    for text in ("与项目业主存在控股关系", avoided.name, "任务书.pdf", "测绘甲级", "All of them"):
        assert text in html
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "job.publish")).one()
    assert entry.after["number"] == job.number and entry.after["seed_hash"] == draw.seed_hash


def test_publishing_tells_the_agencies_eligible_for_it_and_no_one_else(owner_client, world,
                                                                       db_session):
    avoided = make_bidder([world["item"]])
    job = make_job(world["owner"], item=world["item"], avoidances=[(avoided.uscc, "回避")])
    db_session.commit()
    publish_over_http(owner_client, job)
    told = {n.organisation_id for n in db_session.scalars(
        select(Notification).where(Notification.title.contains(job.title)))}
    assert told == {world["offering"].organisation_id}
    note = db_session.scalars(select(Notification).where(
        Notification.organisation_id == world["offering"].organisation_id)).one()
    assert note.link == f"/jobs/{job.number}"


def test_the_job_number_is_unique_per_job(world, db_session):
    numbers = {publish(make_job(world["owner"], item=world["item"])).number for _ in range(3)}
    assert len(numbers) == 3


def test_a_draft_is_saved_freely_and_lists_what_stops_publication(owner_client, world,
                                                                   db_session):
    response = post_draft(owner_client, world, budget_floor="200000.00", deadline_on="")
    assert response.status_code == 302
    job = the_job(db_session)
    html = owner_client.get(f"/my/jobs/{job.id}").get_data(as_text=True)
    assert "The budget floor may not exceed the ceiling." in html
    assert "Set the bidding deadline." in html
    response = owner_client.post(f"/my/jobs/{job.id}", data=form(world, budget_floor="50000"),
                                 content_type="multipart/form-data")
    assert response.status_code == 302
    db_session.refresh(job)
    assert job.budget_floor == Decimal("50000.00") and job.status == JobStatus.DRAFT


def refused(client, job) -> str:
    response = publish_over_http(client, job)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"budget_floor": "100000.01"}, "The budget floor may not exceed the ceiling."),
    ({"method": "direct", "funding": "public"}, "Direct selection is only for privately funded"),
    ({"method": "direct", "funding": "mixed"}, "Direct selection is only for privately funded"),
    ({"method": "proposal", "weight_price": "40", "weight_technical": "40",
      "weight_credit": "10"}, "must add up to 100"),
    ({"method": "proposal"}, "must add up to 100"),
    ({"method": "credit_best", "big_list_size": "2", "small_list_size": "3"}, "N ≥ M ≥ 1"),
    ({"method": "credit_best", "big_list_size": "3", "small_list_size": "0"}, "N ≥ M ≥ 1"),
    ({"method": "random"}, "Random selection needs the price you fix."),
    ({"method": "random", "fixed_price": "59999.99"}, "The fixed price must lie within"),
    ({"method": "random", "fixed_price": "100000.01"}, "The fixed price must lie within"),
    ({"deadline_on": ""}, "Set the bidding deadline."),
])
def test_publishing_refuses_terms_against_the_rules(owner_client, world, db_session, changes,
                                                    message):
    post_draft(owner_client, world, **changes)
    job = the_job(db_session)
    assert message in refused(owner_client, job)
    db_session.refresh(job)
    assert job.status == JobStatus.DRAFT and job.draw_id is None


def test_direct_selection_names_an_eligible_agency_with_private_money(owner_client, world,
                                                                       db_session):
    outsider = world["other"]  # does not offer the item
    post_draft(owner_client, world, method="direct", funding="private",
               direct_agency_uscc=outsider.uscc)
    job = the_job(db_session)
    assert "does not offer the service item" in refused(owner_client, job)
    post_draft(owner_client, world, title="直接选取", method="direct", funding="private",
               direct_agency_uscc=world["offering"].uscc)
    job = the_job(db_session, "直接选取")
    assert publish_over_http(owner_client, job).status_code == 302
    db_session.refresh(job)
    assert job.status == JobStatus.PUBLISHED
    assert job.direct_agency_id == world["offering"].id


@pytest.mark.parametrize("changes, message", [
    ({"budget_ceiling": "0"}, "above zero"),
    ({"budget_ceiling": "-5"}, "above zero"),
    ({"budget_floor": "100.005"}, "at most two decimals"),
    ({"avoidances": "没有代码的行"}, "Line 1"),
    ({"direct_agency_uscc": "91340100MA0000000X", "method": "direct"},
     "No agency is registered under"),
])
def test_the_form_refuses_malformed_input(owner_client, world, db_session, changes, message):
    response = post_draft(owner_client, world, **changes)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert the_job(db_session) is None


def test_an_attachment_must_be_a_pdf_jpg_or_png_by_content(owner_client, world, db_session):
    response = owner_client.post("/my/jobs/new", data={
        **form(world), "attachments": [(io.BytesIO(b"MZ\x90\x00 not a pdf"), "任务书.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "its content was checked, not its name" in response.get_data(as_text=True)
    assert the_job(db_session) is None
    assert db_session.scalar(select(JobAttachment.id)) is None


# --- The minimum bidding period in working days ---------------------------------------------

@pytest.mark.parametrize("published, too_early, earliest", [
    ("2026-03-13", "2026-03-16", "2026-03-17"),  # Friday: the weekend does not count
    ("2026-04-30", "2026-05-06", "2026-05-07"),  # before Labour Day, 1–5 May off
    ("2026-03-10", "2026-03-11", "2026-03-12"),  # an ordinary Tuesday
])
def test_bidding_stays_open_at_least_two_working_days(app, world, db_session,
                                                      published, too_early, earliest):
    db_session.commit()
    with time_machine.travel(at(published), tick=False):
        owner_client = signed_in_owner(app, world)  # a session signed in the past
        post_draft(owner_client, world, deadline_on=too_early)
        job = the_job(db_session)
        html = refused(owner_client, job)
        assert "at least 2 working days" in html and earliest in html
        owner_client.post(f"/my/jobs/{job.id}", data=form(world, deadline_on=earliest),
                          content_type="multipart/form-data")
        assert publish_over_http(owner_client, job).status_code == 302
    db_session.refresh(job)
    assert job.status == JobStatus.PUBLISHED
    assert job.deadline == datetime.fromisoformat(earliest + "T15:59:59Z")  # 23:59:59 Beijing


def test_the_minimum_bidding_period_is_a_setting(app, world, db_session):
    job_ops.declare_settings()
    settings.put(job_ops.MIN_BIDDING_DAYS, 3)
    db_session.commit()
    with time_machine.travel(at("2026-03-10"), tick=False):
        owner_client = signed_in_owner(app, world)
        post_draft(owner_client, world, deadline_on="2026-03-12")
        assert "at least 3 working days" in refused(owner_client, the_job(db_session))


# --- Editing a published job --------------------------------------------------------------------

def test_editing_published_terms_bumps_them_and_asks_bidders_to_confirm(owner_client, world,
                                                                        db_session):
    job = publish(make_job(world["owner"], item=world["item"]))
    bid = place_bid(job, world["offering"], "70000")
    db_session.commit()
    changes = form(world, title=job.title, budget_ceiling="90000.00",
                   deadline_on=job.deadline.astimezone(job_ops.rules.LOCAL_TZ).date().isoformat())
    response = owner_client.post(f"/my/jobs/{job.id}", data=changes,
                                 content_type="multipart/form-data")
    assert response.status_code == 302
    db_session.refresh(job)
    assert job.terms_version == 2 and job.budget_ceiling == Decimal("90000.00")
    assert not job_queries.bid_confirmed(bid) and not job_queries.bid_valid(bid)
    note = db_session.scalars(select(Notification).where(
        Notification.organisation_id == world["offering"].organisation_id,
        Notification.title.contains("changed"))).one()
    assert note.link == f"/jobs/{job.number}"
    entry = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "job.terms.change")).one()
    assert entry.before["terms_version"] == 1 and entry.after["budget_ceiling"] == "90000.00"

    bidder = english_client(owner_client.application, agency_user(world["offering"]))
    assert 'data-testid="needs-confirmation"' in bidder.get("/my/bids").get_data(as_text=True)
    page = bidder.get(f"/jobs/{job.number}/bid").get_data(as_text=True)
    assert "Your bid does not count until you confirm it again" in page
    assert bidder.post(f"/jobs/{job.number}/bid/confirm",
                       data={"commitment_accepted": "y"}).status_code == 302
    db_session.refresh(bid)
    assert job_queries.bid_valid(bid) and bid.price == Decimal("70000.00")
    assert 'data-testid="needs-confirmation"' not in bidder.get("/my/bids").get_data(as_text=True)


def test_a_changed_job_reopens_the_clock(app, world, db_session):
    with time_machine.travel(at("2026-03-10"), tick=False):
        job = publish(make_job(world["owner"], item=world["item"], deadline_on=date(2026, 3, 12)))
        db_session.commit()
    with time_machine.travel(at("2026-03-11"), tick=False):
        owner_client = signed_in_owner(app, world)
        response = owner_client.post(f"/my/jobs/{job.id}", data=form(
            world, title=job.title, budget_ceiling="95000", deadline_on="2026-03-12"),
            content_type="multipart/form-data")
        assert response.status_code == 200
        assert "at least 2 working days" in response.get_data(as_text=True)
        db_session.refresh(job)
        assert job.terms_version == 1 and job.budget_ceiling == Decimal("100000.00")
        response = owner_client.post(f"/my/jobs/{job.id}", data=form(
            world, title=job.title, budget_ceiling="95000", deadline_on="2026-03-13"),
            content_type="multipart/form-data")
        assert response.status_code == 302
    db_session.refresh(job)
    assert job.terms_version == 2


def test_an_unchanged_edit_changes_nothing(owner_client, world, db_session):
    job = publish(make_job(world["owner"], item=world["item"], title="不变"))
    db_session.commit()
    same = form(world, title="不变", budget_floor="50000",
                deadline_on=job.deadline.astimezone(job_ops.rules.LOCAL_TZ).date().isoformat(),
                scope=job.scope, region_code=job.region_code)
    owner_client.post(f"/my/jobs/{job.id}", data=same, content_type="multipart/form-data")
    db_session.refresh(job)
    assert job.terms_version == 1


def test_a_job_past_its_deadline_cannot_be_edited_or_cancelled(app, world, db_session):
    job = publish(make_job(world["owner"], item=world["item"]))
    db_session.commit()
    with time_machine.travel(job.deadline, tick=False):
        owner_client = signed_in_owner(app, world)  # sessions last 8 hours
        response = owner_client.post(f"/my/jobs/{job.id}/cancel", data={"reason": "不需要了"})
        assert response.status_code == 409
        page = owner_client.get(f"/my/jobs/{job.id}").get_data(as_text=True)
        assert 'data-testid="job-form"' not in page and job.title in page
        response = owner_client.post(f"/my/jobs/{job.id}", data=form(world, title="改"),
                                     content_type="multipart/form-data")
        assert response.status_code == 409
    db_session.refresh(job)
    assert (job.status, job.title) == (JobStatus.PUBLISHED, job.title)
    assert job.title != "改"


# --- Cancelling ---------------------------------------------------------------------------------

def test_cancelling_needs_a_reason_and_tells_the_bidders(owner_client, world, db_session):
    job = publish(make_job(world["owner"], item=world["item"]))
    place_bid(job, world["offering"], "70000")
    db_session.commit()
    response = owner_client.post(f"/my/jobs/{job.id}/cancel", data={"reason": ""})
    assert response.status_code == 200 and job.status == JobStatus.PUBLISHED
    response = owner_client.post(f"/my/jobs/{job.id}/cancel", data={"reason": "项目已取消立项"})
    assert response.status_code == 302
    db_session.refresh(job)
    assert job.status == JobStatus.CANCELLED and job.cancel_reason == "项目已取消立项"
    note = db_session.scalars(select(Notification).where(
        Notification.organisation_id == world["offering"].organisation_id,
        Notification.title.contains("cancelled"))).one()
    assert "项目已取消立项" in note.body
    html = english_client(owner_client.application).get(f"/jobs/{job.number}").get_data(
        as_text=True)
    assert "Cancelled by the owner: 项目已取消立项" in html


def test_a_draft_can_be_cancelled_and_stays_private(owner_client, world, db_session):
    job = make_job(world["owner"], item=world["item"])
    db_session.commit()
    assert owner_client.post(f"/my/jobs/{job.id}/cancel",
                             data={"reason": "重复录入"}).status_code == 302
    db_session.refresh(job)
    assert job.status == JobStatus.CANCELLED
    assert english_client(owner_client.application).get(f"/jobs/{job.number}").status_code == 404


# --- Republishing a failed job -----------------------------------------------------------------

def test_a_failed_job_is_republished_as_a_linked_new_round(owner_client, world, db_session):
    job = publish(make_job(world["owner"], item=world["item"], avoidances=[
        (world["other"].uscc, "利害关系")]))
    job.status, job.fail_reason = JobStatus.FAILED, "有效报价不足 3 家"  # decided by selection
    db_session.commit()
    response = owner_client.post(f"/my/jobs/{job.id}/republish")
    assert response.status_code == 302
    new = db_session.scalars(select(Job).where(Job.previous_job_id == job.id)).one()
    assert new.status == JobStatus.DRAFT and new.round == 2 and new.deadline is None
    assert (new.title, new.budget_ceiling, new.method) == (job.title, job.budget_ceiling,
                                                           job.method)
    assert [(a.agency_id, a.reason) for a in new.avoidances] == [(world["other"].id, "利害关系")]
    assert owner_client.post(f"/my/jobs/{job.id}/republish").status_code == 409  # only once

    new.deadline = job_ops.deadline_at(deadline_day())
    publish(new)
    db_session.commit()
    public = english_client(owner_client.application)
    old_page = public.get(f"/jobs/{job.number}").get_data(as_text=True)
    new_page = public.get(f"/jobs/{new.number}").get_data(as_text=True)
    assert f'href="/jobs/{new.number}" data-testid="next-round"' in old_page
    assert f'href="/jobs/{job.number}" data-testid="previous-round"' in new_page
    assert "round 2" in new_page


def test_only_a_failed_job_can_be_republished(owner_client, world, db_session):
    job = publish(make_job(world["owner"], item=world["item"]))
    db_session.commit()
    assert owner_client.post(f"/my/jobs/{job.id}/republish").status_code == 409


# --- Who may do what ---------------------------------------------------------------------------

def test_only_the_owners_users_manage_its_jobs(app, world, db_session):
    job = make_job(world["owner"], item=world["item"])
    stranger = make_owner("别的业主")
    db_session.commit()
    assert english_client(app, owner_user(stranger)).get(f"/my/jobs/{job.id}").status_code == 403
    agency = english_client(app, agency_user(world["offering"]))
    assert agency.get("/my/jobs").status_code == 403
    assert agency.post(f"/my/jobs/{job.id}/publish").status_code == 403
    assert english_client(app).get("/my/jobs").status_code == 302  # to the login page


def test_the_owner_sees_its_jobs_by_status(owner_client, world, db_session):
    draft = make_job(world["owner"], item=world["item"], title="草稿项目")
    live = publish(make_job(world["owner"], item=world["item"], title="已发布项目"))
    make_job(make_owner(), item=world["item"], title="别人的项目")
    db_session.commit()
    html = owner_client.get("/my/jobs").get_data(as_text=True)
    assert "草稿项目" in html and "已发布项目" in html and "别人的项目" not in html
    html = owner_client.get("/my/jobs?status=draft").get_data(as_text=True)
    assert "草稿项目" in html and "已发布项目" not in html
    assert job_queries.owner_status_counts(world["owner"])["published"] == 1
    assert draft.status == JobStatus.DRAFT and live.status == JobStatus.PUBLISHED


# --- Public notices -------------------------------------------------------------------------------

def test_the_public_list_filters_and_searches(app, world, db_session):
    owner = world["owner"]
    other_item = make_service_item(name="环境影响评价")
    lowest = publish(make_job(owner, item=world["item"], title="测绘甲"))
    private = publish(make_job(owner, SelectionMethod.RANDOM, Funding.PRIVATE,
                               item=other_item, title="环评乙"))
    make_job(owner, item=world["item"], title="草稿丙")
    db_session.commit()
    client = english_client(app)

    def titles(query: str) -> set[str]:
        html = client.get("/jobs" + query).get_data(as_text=True)
        return {t for t in ("测绘甲", "环评乙", "草稿丙") if t in html}

    assert titles("") == {"测绘甲", "环评乙"}
    assert titles(f"?item={other_item.id}") == {"环评乙"}
    assert titles("?method=lowest_price") == {"测绘甲"}
    assert titles("?funding=private") == {"环评乙"}
    assert titles("?status=open") == {"测绘甲", "环评乙"}
    assert titles("?status=cancelled") == set()
    assert titles("?q=测绘") == {"测绘甲"}
    assert titles(f"?q={private.number}") == {"环评乙"}
    assert titles(f"?region={world['region'].code}") == {"测绘甲", "环评乙"}
    assert titles("?region=000000") == set()
    assert lowest.status == JobStatus.PUBLISHED


def test_the_public_page_shows_the_time_left_in_working_days_and_hours(app, world, db_session):
    with time_machine.travel(at("2026-03-13"), tick=False):  # Friday 10:00
        job = publish(make_job(world["owner"], item=world["item"], deadline_on=date(2026, 3, 18)))
        db_session.commit()
        html = english_client(app).get(f"/jobs/{job.number}").get_data(as_text=True)
    # Monday, Tuesday, Wednesday after today; 13 hours 59 minutes left today.
    assert "3 working days and 13 hours left" in html
    assert "2026-03-18 23:59:59" in html


def test_the_public_list_is_paginated(app, world, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "DIRECTORY_PAGE_SIZE", 2)
    for n in range(3):
        publish(make_job(world["owner"], item=world["item"], title=f"分页项目{n}"))
    db_session.commit()
    client = english_client(app)
    first = client.get("/jobs").get_data(as_text=True)
    second = client.get("/jobs?page=2").get_data(as_text=True)
    assert [f"分页项目{n}" in first for n in range(3)] == [False, True, True]  # newest first
    assert [f"分页项目{n}" in second for n in range(3)] == [True, False, False]
    assert "3 jobs found" in first
