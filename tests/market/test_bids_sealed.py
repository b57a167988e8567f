"""Sealed bids (ARCHITECTURE.md "Conventions", RULES.md §1): before the deadline nobody but
the bidding agency reads a price — not the owner, another agency, a regulator or the
platform admin; not on any page, export, audit entry, notification or log line. After the
deadline every bid is public with its agency and price."""

import io
import json
import logging

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.audit import AuditEntry
from core.auth.models import Role
from core.notifications import Notification
from market import job_queries
from tests.clients import english_client
from tests.factories import make_admin, make_service_item, make_user
from tests.market.job_builders import (
    after_deadline,
    agency_user,
    make_bidder,
    make_job,
    make_owner,
    owner_user,
    place_bid,
    publish,
)

PRICE = "87654.32"
SECRETS = ("87654.32", "87654.3", "87,654", "87654")  # however a page might format it


@pytest.fixture
def sealed(app, db_session, caplog):
    caplog.set_level(logging.DEBUG)
    item = make_service_item(name="工程测量")
    owner = make_owner("六安市城投有限公司")
    bidder = make_bidder([item], name="甲测绘有限公司")
    rival = make_bidder([item], name="乙测绘有限公司")
    job = publish(make_job(owner, item=item, title="地形测量"))
    bid = place_bid(job, bidder, PRICE)
    place_bid(job, rival, "90000")
    db_session.commit()
    return {"app": app, "job": job, "bid": bid, "bidder": bidder, "rival": rival,
            "item": item, "owner": owner, "caplog": caplog,
            "viewers": {"owner": owner_user(owner), "another agency": agency_user(rival),
                        "department": make_user(Role.STAFF, item.department),
                        "department admin": make_user(Role.ORG_ADMIN, item.department),
                        "platform admin": make_admin(), "public": None}}


def url_values(world) -> dict:
    """What to put into the routes' variables to reach this job's pages."""
    job, bid, bidder = world["job"], world["bid"], world["bidder"]
    return {"number": job.number, "job_id": job.id, "bid_id": bid.id, "agency_id": bidder.id,
            "uscc": bidder.uscc, "draw_id": job.draw_id, "code": world["item"].code,
            "subject_id": None, "year": job.deadline.year}


def reachable_pages(app, values: dict) -> list[str]:
    """Every GET page of the application whose variables we can fill: dashboards, lists,
    exports, admin pages included, whoever wrote them."""
    from flask import url_for

    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "set_language"):
                continue
            if any(values.get(arg) is None for arg in rule.arguments):
                continue
            urls.append(url_for(rule.endpoint, **{a: values[a] for a in rule.arguments}))
    return urls


def leaks(body: str) -> list[str]:
    return [secret for secret in SECRETS if secret in body]


def text_of(response) -> str:
    """A page, a CSV export or a PDF (its extracted text and its raw bytes) as text."""
    if response.mimetype == "application/pdf":
        pages = PdfReader(io.BytesIO(response.data)).pages
        return " ".join(page.extract_text() for page in pages) + response.data.decode("latin-1")
    return response.data.decode("utf-8", errors="replace")


def test_before_the_deadline_no_one_but_the_bidder_reads_the_price(sealed):
    app = sealed["app"]
    urls = reachable_pages(app, url_values(sealed))
    assert {f"/jobs/{sealed['job'].number}", "/jobs", "/admin/audit",
            "/my/jobs", "/my/bids"} <= set(urls)
    for who, user in sealed["viewers"].items():
        client = english_client(app, user)
        for url in urls + ["/admin/audit?entity_type=bid"]:
            response = client.get(url)
            assert not leaks(text_of(response)), f"{who} reads the price on {url}"
        page = client.get(f"/jobs/{sealed['job'].number}")
        assert page.status_code == 200
        assert 'data-testid="bid-count-hidden"' in page.get_data(as_text=True)
    admin = english_client(app, sealed["viewers"]["platform admin"])
    audit_page = admin.get("/admin/audit?entity_type=bid").get_data(as_text=True)
    assert "bid.place" in audit_page and "sealed" in audit_page


def test_the_audit_log_notifications_and_logs_say_sealed(sealed, db_session):
    entries = db_session.scalars(select(AuditEntry)).all()
    assert not leaks(json.dumps([[e.before, e.after] for e in entries], ensure_ascii=False))
    placed = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "bid.place",
        AuditEntry.entity_id == str(sealed["bid"].id))).one()
    assert placed.after["price"] == "sealed"
    notes = db_session.scalars(select(Notification.title + Notification.body)).all()
    assert not leaks(" ".join(notes))
    assert not leaks(sealed["caplog"].text)


def test_the_bidder_reads_its_own_price(sealed):
    client = english_client(sealed["app"], agency_user(sealed["bidder"]))
    number = sealed["job"].number
    assert PRICE in client.get(f"/jobs/{number}/bid").get_data(as_text=True)
    assert PRICE in client.get("/my/bids").get_data(as_text=True)
    assert PRICE not in client.get(f"/jobs/{number}").get_data(as_text=True)  # public page


def test_the_one_rule_decides_for_every_viewer(sealed):
    bid = sealed["bid"]
    for user in sealed["viewers"].values():
        assert job_queries.visible_price(bid, user) is None
    assert str(job_queries.visible_price(bid, agency_user(sealed["bidder"]))) == PRICE
    assert job_queries.bid_count(sealed["job"]) is None


def test_after_the_deadline_every_bid_is_public(sealed):
    job = sealed["job"]
    with after_deadline(job):
        html = english_client(sealed["app"]).get(f"/jobs/{job.number}").get_data(as_text=True)
        assert job_queries.bid_count(job) == 2
        for user in sealed["viewers"].values():
            assert str(job_queries.visible_price(sealed["bid"], user)) == PRICE
    assert 'data-testid="result-notice"' in html
    for text in (PRICE, "90000.00", "甲测绘有限公司", "乙测绘有限公司", sealed["bidder"].uscc):
        assert text in html
    assert "2 valid bids or sign-ups at the deadline" in html


def test_a_cancelled_job_never_opens_its_bids(sealed, db_session):
    from market.operations import jobs as job_ops

    job = sealed["job"]
    job_ops.cancel(job, "项目取消")
    db_session.commit()
    with after_deadline(job):
        html = english_client(sealed["app"]).get(f"/jobs/{job.number}").get_data(as_text=True)
        assert job_queries.visible_price(sealed["bid"], None) is None
    assert not leaks(html)
