"""A retried POST (the same bid form sent twice) never makes two bids: the (job, agency) key
and replace semantics, and, sent at the same moment, the job row lock in place_bid."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from market.models import BidStatus
from tests.ops import world as ops_world
from tests.ops.conftest import SQLITE_WRITERS, Browser, on_sqlite

pytestmark = pytest.mark.ops

PAIRS = 10  # agencies sending their first bid twice at the same moment


def _form(browser: Browser, number: str, price: str) -> dict:
    return {"csrf_token": browser.csrf(f"/jobs/{number}/bid"), "price": price,
            "commitment_accepted": "y"}


def test_retried_post_replaces_the_bid(ops_app, ops_server):
    world = ops_world.build(ops_app, 1)
    browser = Browser(ops_server)
    browser.sign_in(world.usernames[0], world.password)
    form = _form(browser, world.number, "61000.00")
    first = browser.request(f"/jobs/{world.number}/bid", form)
    second = browser.request(f"/jobs/{world.number}/bid", form)  # the network retry
    assert first[0] == second[0] == 302  # both answered: the bid is recorded
    _, page = browser.request(f"/jobs/{world.number}/bid")
    assert "Your bid on job" in page and "has been recorded" in page
    result = ops_world.outcome(ops_app, world.job_id)
    assert len(result.bids) == 1 and result.bids[0].status == BidStatus.ACTIVE
    assert (result.actions["bid.place"], result.actions["bid.replace"]) == (1, 1)
    assert result.chain_ok, result.chain_reason


def test_simultaneous_first_submissions_make_one_bid(ops_app, ops_url, request):
    if on_sqlite(ops_url):
        pytest.skip(SQLITE_WRITERS)
    ops_server = request.getfixturevalue("ops_server")
    world = ops_world.build(ops_app, PAIRS)
    browsers = []
    for username in world.usernames:
        browser = Browser(ops_server)
        browser.sign_in(username, world.password)
        browsers.append((browser, _form(browser, world.number, "62000.00")))
    barrier = threading.Barrier(2 * PAIRS)

    def send(item):
        browser, form = item
        barrier.wait()
        return browser.request(f"/jobs/{world.number}/bid", form)[0]

    with ThreadPoolExecutor(2 * PAIRS) as pool:
        statuses = list(pool.map(send, [b for b in browsers for _ in range(2)]))
    assert statuses == [302] * (2 * PAIRS)  # no 500 from a unique-key race
    result = ops_world.outcome(ops_app, world.job_id)
    assert len(result.bids) == PAIRS
    assert sorted(b.agency_id for b in result.bids) == sorted(world.agency_ids)
    assert (result.actions["bid.place"], result.actions["bid.replace"]) == (PAIRS, PAIRS)
    assert result.chain_ok, result.chain_reason
