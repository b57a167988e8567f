"""The scheduler lease when every sweeper of two schedulers starts at the same moment (each in
its own thread): one holder wins, and none of its own threads is refused (issue 6)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete

from core.extensions import db
from core.scheduler import SchedulerLease, acquire_lease
from tests.ops.conftest import SQLITE_WRITERS, on_sqlite

pytestmark = pytest.mark.ops

THREADS = 6  # per holder


def test_first_lease_race_one_holder_all_its_threads(ops_app, ops_url):
    if on_sqlite(ops_url):
        pytest.skip(SQLITE_WRITERS)
    with ops_app.app_context():
        db.session.execute(delete(SchedulerLease))
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(2 * THREADS)

    def take(holder: str) -> tuple[str, bool]:
        with ops_app.app_context():
            try:
                barrier.wait()
                return holder, acquire_lease(holder, 30)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2 * THREADS) as pool:
        answers = list(pool.map(take, ["A", "B"] * THREADS))
    winners = {holder for holder, won in answers if won}
    assert len(winners) == 1, answers
    (winner,) = winners
    assert all(won == (holder == winner) for holder, won in answers), answers
    with ops_app.app_context():
        assert db.session.get(SchedulerLease, "scheduler").holder == winner
        db.session.execute(delete(SchedulerLease))
        db.session.commit()
        db.session.remove()
