"""Faults (issue 6): a process killed (SIGKILL) in the middle of a selection leaves the database
as before it, and the next sweep completes the selection exactly once; a database error inside
a request is rolled back and answered with the error page; a sweeper meeting a database error
is retried once."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from core import scheduler
from core.audit import AuditEntry
from core.extensions import db
from core.randomness import Draw
from market.models import Bid
from market.operations import bids as bid_ops
from market.operations import selection
from tests.factories import login
from tests.ops import world as ops_world
from tests.ops.conftest import ROOT

pytestmark = pytest.mark.ops

# Runs the closing sweeper, stopping inside its transaction once the ranking, the winner, the
# draw and their audit entries are written (flushed, not committed): then waits to be killed.
KILLED_SELECTION = """
import sys, time
from pathlib import Path
from app import create_app
from core.scheduler import run_sweeper
import market.scheduled
from market.operations import selection

url, marker = sys.argv[1], Path(sys.argv[2])
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})

def stuck(job, now):
    marker.write_text("inside")
    time.sleep(120)

selection._start_publicity = stuck
with app.app_context():
    run_sweeper("market.close_bidding")
"""


def _draw_audits(app, draw_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_type == "draw", AuditEntry.entity_id == str(draw_id),
            AuditEntry.action == "draw.made"))
        db.session.remove()
        return count


def test_sigkill_in_the_middle_of_a_selection(ops_app, ops_url, ops_home):
    world = ops_world.build(ops_app, 3, bids=3, deadline_in=1)
    time.sleep(1.5)
    marker = ops_home / f"inside-{world.job_id}"
    process = subprocess.Popen([sys.executable, "-c", KILLED_SELECTION, ops_url, str(marker)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        limit = time.monotonic() + 30
        while not marker.exists():
            assert process.poll() is None, process.stdout.read().decode()[-2000:]
            assert time.monotonic() < limit, "the selection did not start in 30 s"
            time.sleep(0.1)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL

    # Nothing of the selection survived: still published, no ranking, no winner, no draw.
    before = ops_world.outcome(ops_app, world.job_id)
    assert before.status == "published"
    assert before.winner_bid_id is None
    assert [b.rank for b in before.bids] == [None] * 3
    assert [b.credit_score for b in before.bids] == [None] * 3
    assert before.draw is not None and before.draw.drawn_at is None and before.draw.result is None
    assert "job.close" not in before.actions and selection.SELECT_ACTION not in before.actions
    assert _draw_audits(ops_app, before.draw.id) == 0
    assert before.chain_ok, before.chain_reason

    # The next sweep completes it, once; a further one finds nothing to do for this job.
    with ops_app.app_context():
        assert scheduler.run_sweeper("market.close_bidding") >= 1
        scheduler.run_sweeper("market.close_bidding")
    after = ops_world.outcome(ops_app, world.job_id)
    assert after.status == "publicity"
    assert after.actions.get("job.close") == 1 and after.actions.get(selection.SELECT_ACTION) == 1
    assert sorted(b.rank for b in after.bids) == [1, 2, 3]
    assert after.winner_bid_id == min(after.bids, key=lambda b: b.price).id
    assert after.draw.drawn_at is not None and _draw_audits(ops_app, after.draw.id) == 1
    assert after.chain_ok, after.chain_reason


def _lost_connection(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection "
                                                     "unexpectedly"))


def test_database_error_in_a_request_is_rolled_back(ops_app, monkeypatch):
    """The bid row is flushed, then the connection is 'lost': a 503 page, nothing kept."""
    world = ops_world.build(ops_app, 1)
    client = ops_app.test_client()
    client.get("/lang/en")
    assert login(client, world.usernames[0]).status_code == 302
    monkeypatch.setattr(bid_ops, "_flag_for_review", _lost_connection)
    response = client.post(f"/jobs/{world.number}/bid",
                           data={"price": "61000.00", "commitment_accepted": "y"})
    assert response.status_code == 503
    assert "Nothing was saved; please try again in a moment." in response.get_data(as_text=True)
    result = ops_world.outcome(ops_app, world.job_id)
    assert result.bids == [] and "bid.place" not in result.actions
    assert result.chain_ok, result.chain_reason
    monkeypatch.undo()  # the retry, as the page asks, succeeds
    response = client.post(f"/jobs/{world.number}/bid",
                           data={"price": "61000.00", "commitment_accepted": "y"})
    assert response.status_code == 302
    result = ops_world.outcome(ops_app, world.job_id)
    assert len(result.bids) == 1 and result.actions["bid.place"] == 1


def test_sweeper_retried_once_on_a_database_error(ops_app, monkeypatch):
    calls = []

    def flaky():
        calls.append(1)
        db.session.add(Draw(purpose="ops.test", reference=f"try:{len(calls)}", seed_hash="0"))
        db.session.flush()
        if len(calls) == 1:
            _lost_connection()
        return "done"

    monkeypatch.setitem(scheduler.SWEEPERS, "ops.flaky", scheduler.Sweeper("ops.flaky", flaky))
    with ops_app.app_context():
        assert scheduler.run_sweeper("ops.flaky") == "done"
        refs = db.session.scalars(select(Draw.reference).where(Draw.purpose == "ops.test")).all()
        db.session.remove()
    assert len(calls) == 2 and refs == ["try:2"]  # the failed try left nothing

    always = []
    monkeypatch.setitem(scheduler.SWEEPERS, "ops.down", scheduler.Sweeper(
        "ops.down", lambda: always.append(1) or _lost_connection()))
    with ops_app.app_context(), pytest.raises(OperationalError):
        scheduler.run_sweeper("ops.down")
    assert len(always) == 2  # one retry, then the error is raised (and logged)

    other = []
    monkeypatch.setitem(scheduler.SWEEPERS, "ops.bug", scheduler.Sweeper(
        "ops.bug", lambda: other.append(1) or 1 / 0))
    with ops_app.app_context(), pytest.raises(ZeroDivisionError):
        scheduler.run_sweeper("ops.bug")
    assert len(other) == 1  # a programming error is not retried


def test_bid_rows_untouched_by_the_fault_tests(ops_app):
    """Sanity: every bid on the ops database belongs to exactly one (job, agency)."""
    with ops_app.app_context():
        pairs = db.session.execute(select(Bid.job_id, Bid.agency_id)).all()
        db.session.remove()
    assert len(pairs) == len(set(pairs))
