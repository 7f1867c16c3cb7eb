"""The comparison defences behave as their products document: CrowdSec's leaky bucket bans
on overflow, Keycloak's counter locks after 30 failures and forgets after 12 hours."""

from __future__ import annotations

from shieldwall.guard.risk.baselines import AccountFailureCounter, LeakyBucketPerIp


def test_leaky_bucket_bans_on_overflow_and_leaks() -> None:
    """Six failures in a burst overflow capacity 5 and ban for 4 h; one per 10 s never does."""
    b = LeakyBucketPerIp()
    for i in range(6):
        assert b.allows("a", float(i))
        b.failed("a", float(i))
    assert not b.allows("a", 10.0) and b.allows("a", 4 * 3600 + 6.0)
    for i in range(100):
        b.failed("slow", i * 10.0)
    assert b.allows("slow", 1000.0)


def test_account_counter_locks_after_30_and_resets() -> None:
    """30 failures lock for 1 minute; unknown accounts are not counted; 12 h idle resets."""
    c = AccountFailureCounter()
    for i in range(29):
        c.outcome("x", True, False, float(i))
    assert c.allows("x", 30.0)
    c.outcome("x", True, False, 30.0)
    assert not c.allows("x", 31.0) and c.allows("x", 91.0)
    for i in range(50):
        c.outcome("ghost", False, False, float(i))
    assert c.allows("ghost", 60.0)
    c.outcome("y", True, False, 0.0)
    c.outcome("y", True, False, 13 * 3600.0)  # the first failure is forgotten
    assert c._failures["y"][0] == 1
