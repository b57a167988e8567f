"""Deadline rush through a live server: agencies bid in the job's last seconds (some after
the deadline, some submitting the same form twice as a network retry would), then the owner's
side and the sweeper close the job at the same moment (issue 6)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest

from core.db import utcnow
from core.extensions import db
from core.scheduler import run_sweeper
from market.models import BidStatus, Job
from market.operations import selection
from tests.ops import world as ops_world
from tests.ops.conftest import SQLITE_WRITERS, Browser, on_sqlite

pytestmark = pytest.mark.ops

AGENCIES = 120  # distinct agencies
ON_TIME = 100  # the first 100 bid in the last 4 s; the other 20 after the deadline
RETRIED = 20  # of the on-time ones, these send their identical form twice
WINDOW = 4.0  # seconds before the deadline in which the on-time bids are sent
WORKERS = 24
CLOSED = "is closed: bids can no longer be placed"


def _prepare(server: str, username: str, password: str, number: str):
    browser = Browser(server)
    browser.sign_in(username, password)
    return browser, browser.csrf(f"/jobs/{number}/bid")


def test_deadline_rush_and_one_selection(ops_app, ops_url, request):
    if on_sqlite(ops_url):
        pytest.skip(SQLITE_WRITERS)
    ops_server = request.getfixturevalue("ops_server")
    started = time.monotonic()
    world = ops_world.build(ops_app, AGENCIES)
    with ThreadPoolExecutor(WORKERS) as pool:
        prepared = list(pool.map(lambda name: _prepare(ops_server, name, world.password,
                                                       world.number), world.usernames))
    ready = time.monotonic()

    # The deadline: WINDOW + 1 s from now (server time), the plan relative to it.
    deadline = utcnow() + timedelta(seconds=WINDOW + 1.0)
    ops_world.set_deadline(ops_app, world.job_id, deadline)
    deadline_at = time.monotonic() + (deadline - utcnow()).total_seconds()

    plan = []  # (fire at, agency index, kind)
    for i in range(ON_TIME):
        at = deadline_at - WINDOW + i * (WINDOW - 0.5) / ON_TIME
        plan.append((at, i, "on time"))
        if i < RETRIED:
            plan.append((at + 0.01, i, "retry"))
    for j in range(AGENCIES - ON_TIME):
        plan.append((deadline_at + 0.3 + j * 0.03, ON_TIME + j, "late"))
    plan.sort()

    def send(item):
        at, index, kind = item
        time.sleep(max(0.0, at - time.monotonic()))
        browser, token = prepared[index]
        status, page = browser.request(f"/jobs/{world.number}/bid", {
            "csrf_token": token, "price": f"{60000 + index}.00", "commitment_accepted": "y"})
        return index, kind, status, page

    with ThreadPoolExecutor(WORKERS) as pool:
        answers = list(pool.map(send, plan))
    rushed = time.monotonic()

    accepted = [(i, kind) for i, kind, status, _ in answers if status == 302]
    rejected = [(i, kind, page) for i, kind, status, page in answers if status == 409]
    other = [(i, kind, status, page[:300]) for i, kind, status, page in answers
             if status not in (302, 409)]
    assert not other, other
    assert len(answers) == ON_TIME + RETRIED + (AGENCIES - ON_TIME) == 140
    assert len(accepted) + len(rejected) == len(answers)  # bids sent = accepted + rejected
    assert all(CLOSED in page for _, _, page in rejected)  # every rejection says why
    assert {i for i, kind, _ in rejected if kind == "late"} == set(range(ON_TIME, AGENCIES))
    assert not [i for i, kind in accepted if kind == "late"]

    result = ops_world.outcome(ops_app, world.job_id)
    agencies_accepted = {i for i, _ in accepted}
    assert len(result.bids) == len(agencies_accepted)  # accepted = rows, one per agency
    assert {b.agency_id for b in result.bids} == {world.agency_ids[i] for i in agencies_accepted}
    assert all(b.status == BidStatus.ACTIVE for b in result.bids)
    # Nothing accepted after the deadline (server-side timestamps).
    assert all(b.submitted_at < result.deadline and b.updated_at < result.deadline
               for b in result.bids)
    # A retried identical POST: a replacement of the same row, never a second bid.
    assert result.actions.get("bid.place", 0) == len(result.bids)
    assert result.actions.get("bid.replace", 0) == len(accepted) - len(result.bids)
    assert len(agencies_accepted) >= 3  # enough for a selection (sanity of the timing)

    # The owner's side (twice) and the sweeper close the job at the same moment.
    barrier = threading.Barrier(3)

    def close_directly():
        with ops_app.app_context():
            try:
                job = db.session.get(Job, world.job_id)
                barrier.wait()
                moved = selection.close_bidding(job, utcnow())
                db.session.commit()
                return int(moved)
            finally:
                db.session.remove()

    def sweep():
        with ops_app.app_context():
            barrier.wait()
            return run_sweeper("market.close_bidding")

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(close_directly), pool.submit(close_directly), pool.submit(sweep)]
        moves = [f.result(timeout=60) for f in futures]
    assert sum(moves[:2]) + min(moves[2], 1) == 1, moves

    result = ops_world.outcome(ops_app, world.job_id)
    assert result.status == "publicity"
    assert result.actions.get("job.close") == 1
    assert result.actions.get(selection.SELECT_ACTION) == 1  # one selection entry
    lowest = min(result.bids, key=lambda b: b.price)
    assert result.winner_bid_id == lowest.id and lowest.price == Decimal(
        60000 + min(agencies_accepted))
    assert [b.rank for b in sorted(result.bids, key=lambda b: b.price)] == list(
        range(1, len(result.bids) + 1))
    assert result.draw is not None and result.draw.drawn_at is not None  # drawn once
    assert len(result.draw.candidates) == len(result.bids)
    assert result.chain_ok, result.chain_reason
    print(f"\nrush: {len(answers)} sent, {len(accepted)} accepted, {len(rejected)} rejected, "
          f"{len(result.bids)} rows; setup {ready - started:.1f}s, rush {rushed - ready:.1f}s")
