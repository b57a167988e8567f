"""Two `intermart scheduler` processes at once on one database: the lease lets one run the
sweepers, and each sweeper's effect happens once (issue 6)."""

import signal
import subprocess
import time

import pytest

from market.operations import selection
from tests.ops import world as ops_world
from tests.ops.conftest import INTERMART, ROOT, SQLITE_WRITERS, on_sqlite

pytestmark = pytest.mark.ops


def test_two_schedulers_select_once(ops_app, ops_url, ops_env, ops_home):
    if on_sqlite(ops_url):
        pytest.skip(SQLITE_WRITERS)
    world = ops_world.build(ops_app, 4, bids=4, deadline_in=1.5)
    time.sleep(2)  # the deadline has passed: the job is due for the closing sweeper
    env = {**ops_env, "SCHEDULER_LEASE_SECONDS": "5"}
    logs = [open(ops_home / f"scheduler{n}.log", "w") for n in (1, 2)]  # noqa: SIM115
    processes = [subprocess.Popen([INTERMART, "scheduler"], env=env, cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT) for log in logs]
    try:
        limit = time.monotonic() + 30
        while ops_world.outcome(ops_app, world.job_id).status != "publicity":
            assert time.monotonic() < limit, "no scheduler selected the job in 30 s"
            assert all(p.poll() is None for p in processes), "a scheduler exited"
            time.sleep(0.5)
        time.sleep(6)  # past one lease: both keep running their triggers meanwhile
        assert all(p.poll() is None for p in processes)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    result = ops_world.outcome(ops_app, world.job_id)
    assert result.status == "publicity"
    assert result.actions.get("job.close") == 1
    assert result.actions.get(selection.SELECT_ACTION) == 1
    assert result.draw is not None and result.draw.drawn_at is not None
    assert len(result.draw.candidates) == 4
    assert result.winner_bid_id == min(result.bids, key=lambda b: b.price).id
    assert result.chain_ok, result.chain_reason
