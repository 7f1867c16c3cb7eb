"""Login risk (issue #10, point 7): one account tried from many addresses is an account-level
velocity signal, even when no outcome is ever reported."""

from __future__ import annotations

from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.model import Decision, LoginAttempt
from tests.unit.guard.risk.conftest import make_engine


def test_one_account_from_many_addresses_is_challenged_without_outcomes(
    clock: ManualClock,
) -> None:
    """60 addresses assessing one account within a minute (no outcome reported, as in the
    pentest): the attempts end challenged or denied with reason account_sources, while the owner
    on their usual address and device is still allowed."""
    engine = make_engine(clock)
    owner = LoginAttempt("li.na@example.com", "36.112.5.9", "Mozilla/5.0 owner", "dev-owner")
    for _ in range(3):  # the owner's history
        engine.outcome(engine.assess(owner).assessment_id, success=True)
        clock.advance(86_400)
    decisions = []
    for i in range(60):
        clock.advance(1)
        a = engine.assess(LoginAttempt("li.na@example.com", f"100.{64 + i}.7.{i}", "curl/8"))
        decisions.append(a.decision)
    assert decisions[-1] is not Decision.ALLOW
    assert "account_sources" in {r.code for r in a.reasons}
    assert decisions[:5] == [Decision.ALLOW] * 5  # a handful of new addresses is ordinary
    assert engine.assess(owner).decision is Decision.ALLOW


def test_ipv6_addresses_of_one_64_count_as_one_source(clock: ManualClock) -> None:
    """A host cycling through its own /64 is one source, not a crowd."""
    engine = make_engine(clock)
    for i in range(60):
        clock.advance(1)
        a = engine.assess(LoginAttempt("li.na@example.com", f"2001:db8:1:2::{i + 1:x}", "ua"))
    assert "account_sources" not in {r.code for r in a.reasons}
