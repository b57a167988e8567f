"""Market sweepers: find what is due, move it on. Each is guarded by status, so running it
twice, or on two schedulers, changes nothing the second time (ARCHITECTURE.md)."""

from core.scheduler import sweeper
from market import rules
from market.operations import agencies


@sweeper("market.expire_qualifications", trigger="interval", hours=1)
def expire_qualifications() -> int:
    """Certificates past their expiry day (Asia/Shanghai) stop counting for eligibility."""
    return agencies.expire_qualifications(rules.local_today())
