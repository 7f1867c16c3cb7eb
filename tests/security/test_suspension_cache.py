"""The per-worker key cache obeys the shared principals version (issue #10, point 6), on SQLite
and PostgreSQL: two :class:`Principals` over one database stand for two worker processes."""

from __future__ import annotations

import pytest

from shieldwall.core.model import Role
from shieldwall.custody.errors import AuthenticationFailed
from shieldwall.custody.principals import Principals
from shieldwall.wiring import Services


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _worker(services: Services, ticks: Ticks) -> Principals:
    c = services.custody.principals
    return Principals(c.store, c.audit, c.clock, cache_seconds=30.0, monotonic=ticks)


def test_suspension_elsewhere_is_seen_after_one_check_interval(services: Services) -> None:
    """A worker refuses a key suspended by another once 0.5 s passed, not after its 30 s cache."""
    ticks = Ticks()
    a, b = _worker(services, ticks), _worker(services, ticks)
    _, key = a.add("agent-x", Role.AGENT)
    assert b.authenticate(key).principal_id == "agent-x"  # cached in b
    a.set_active("agent-x", False)
    ticks.now += 0.5
    assert b.authenticate_cached(key) is None  # the check is due: the cache may not answer
    with pytest.raises(AuthenticationFailed):
        b.authenticate(key)


def test_rotation_elsewhere_is_seen_and_new_key_works(services: Services) -> None:
    """After another worker rotates a key, this one refuses the old key and admits the new."""
    ticks = Ticks()
    a, b = _worker(services, ticks), _worker(services, ticks)
    _, old = a.add("agent-y", Role.AGENT)
    b.authenticate(old)
    new = a.rotate_key("agent-y")
    ticks.now += 0.5
    with pytest.raises(AuthenticationFailed):
        b.authenticate(old)
    assert b.authenticate(new).principal_id == "agent-y"


def test_cache_is_used_between_checks(services: Services) -> None:
    """Within the check interval and with no change, a cached key costs no database read."""
    ticks = Ticks()
    b = _worker(services, ticks)
    _, key = b.add("agent-z", Role.AGENT)
    b.authenticate(key)
    ticks.now += 0.2
    cached = b.authenticate_cached(key)
    assert cached is not None and cached.principal_id == "agent-z"
