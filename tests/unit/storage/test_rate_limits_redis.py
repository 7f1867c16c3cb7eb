"""The API's moving windows on Redis: all or none in one round trip, the spent window's entry
for Retry-After, and the ``limits`` library's own lists and key names (its limiter and ours count
together). Needs Redis at 127.0.0.1:6379."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
import redis
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from shieldwall.core.errors import StorageError
from shieldwall.storage.rate_limits_redis import RedisWindows
from tests.redis_wire import Wire

pytestmark = pytest.mark.redis
URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own, its keys deleted afterwards."""
    name = f"sw-test-rl-{secrets.token_hex(6)}"
    yield name
    client = redis.Redis.from_url(URL)
    keys = list(client.scan_iter(f"{name}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def test_a_request_counts_in_every_window_until_one_is_spent(prefix: str) -> None:
    """Two per 10 s in window a, five per 60 s in b. At t = 100 and 101 both count; at 102 a
    is spent: the reply names window 0 with its 2nd newest entry (100, so a slot frees at 110)
    and b is not counted (its list still holds two entries). At 110.5 the entry of 100 is out
    of a's window and the request counts in both again."""
    windows = RedisWindows.from_url(URL, prefix)
    a, b = ("a", 2, 10), ("b", 5, 60)
    assert windows.acquire([a, b], 100.0) == []
    assert windows.acquire([a, b], 101.0) == []
    assert windows.acquire([a, b], 102.0) == [(0, 100.0)]
    client = redis.Redis.from_url(URL)
    assert client.lrange(f"{prefix}:b", 0, -1) == [b"101.0", b"100.0"]
    assert windows.acquire([b, a], 110.5) == []
    # newest first, trimmed to the limit
    assert client.lrange(f"{prefix}:a", 0, -1) == [b"110.5", b"101.0"]
    assert 0 < client.ttl(f"{prefix}:a") <= 10
    assert 50 < client.ttl(f"{prefix}:b") <= 60
    client.close()


def test_every_spent_window_is_named(prefix: str) -> None:
    """One per 10 s in both windows: the second request names both, in the order given."""
    windows = RedisWindows.from_url(URL, prefix)
    assert windows.acquire([("x", 1, 10), ("y", 1, 10)], 5.0) == []
    assert windows.acquire([("x", 1, 10), ("y", 1, 10)], 6.0) == [(0, 5.0), (1, 5.0)]


def test_several_windows_cost_one_round_trip(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four windows (two rules of two rates each, as a login request has) in one write."""
    windows = RedisWindows.from_url(URL, prefix)
    four = [(f"k{n}", 100, 60) for n in range(4)]
    windows.acquire(four, 1.0)  # loads the script on the connection
    wire = Wire(monkeypatch)
    for n in range(3):
        windows.acquire(four, 2.0 + n)
    assert len(wire.writes) == 3 and all(len(w) == 1 for w in wire.writes)
    assert all(w[0].startswith("EVALSHA ") for w in wire.writes)


def test_the_library_and_these_windows_count_together(prefix: str) -> None:
    """The ``limits`` library's limiter on the same prefix and these windows share one count:
    at 3 per hour, two library hits and one here spend it for both; the library's reset
    clears what was counted here. An upgrade can run processes of either kind."""
    item = parse("3/hour")
    storage = RedisStorage(URL, key_prefix=prefix)
    library = MovingWindowRateLimiter(storage)
    ours = RedisWindows.from_url(URL, prefix)
    window = (item.key_for("logins.ip", "tag"), item.amount, item.get_expiry())
    assert library.hit(item, "logins.ip", "tag")
    assert library.hit(item, "logins.ip", "tag")
    now = time.time()
    assert ours.acquire([window], now) == []
    assert not library.hit(item, "logins.ip", "tag")
    spent = ours.acquire([window], now)
    assert len(spent) == 1 and spent[0][0] == 0 and now - 60 < spent[0][1] <= now
    storage.reset()
    assert ours.acquire([window], time.time()) == []


def test_redis_down_is_a_storage_error() -> None:
    """An unreachable server is StorageError naming the backend's error class, no address."""
    windows = RedisWindows.from_url("redis://127.0.0.1:1/0", "p")
    with pytest.raises(StorageError, match="rate-limit storage is unavailable: ConnectionError"):
        windows.acquire([("k", 1, 1)], 1.0)
