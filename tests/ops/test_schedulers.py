"""Two `intermart scheduler` processes at once on one database: the lease lets one run the
sweepers, and each sweeper's effect happens once (issue 6)."""

import time

import pytest

from core.db import utcnow
from core.extensions import db
from core.scheduler import LEASE_NAME, SchedulerLease
from market.operations import selection
from tests.ops import world as ops_world
from tests.ops.conftest import SQLITE_WRITERS, on_sqlite, run_two_schedulers

pytestmark = pytest.mark.ops


def test_two_schedulers_select_once(ops_app, ops_url, ops_env, ops_home):
    if on_sqlite(ops_url):
        pytest.skip(SQLITE_WRITERS)
    world = ops_world.build(ops_app, 4, bids=4, deadline_in=1.5)
    time.sleep(2)  # the deadline has passed: the job is due for the closing sweeper
    run_two_schedulers(ops_env, [ops_home / f"scheduler{n}.log" for n in (1, 2)],
                       lambda: ops_world.outcome(ops_app, world.job_id).status == "publicity",
                       "selected the job")
    result = ops_world.outcome(ops_app, world.job_id)
    assert result.status == "publicity"
    assert result.actions.get("job.close") == 1
    assert result.actions.get(selection.SELECT_ACTION) == 1
    assert result.draw is not None and result.draw.drawn_at is not None
    assert len(result.draw.candidates) == 4
    assert result.winner_bid_id == min(result.bids, key=lambda b: b.price).id
    assert result.chain_ok, result.chain_reason
    with ops_app.app_context():  # SIGTERM stops them cleanly: the next scheduler need not wait
        lease = db.session.get(SchedulerLease, LEASE_NAME)
        assert lease is not None and lease.expires_at <= utcnow()
        db.session.remove()
