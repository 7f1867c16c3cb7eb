"""A small, bounded history of the risk engine's decisions, for people to look at.

The engine's counters (:mod:`.ports`) are decayed numbers made for scoring; they cannot say
"how many logins were denied at 3 am" or "which accounts are being tried from many places".
:class:`DecisionHistory` keeps exactly that, and no more:

- **hour buckets**: per hour (UTC), how many attempts were allowed, challenged and denied,
  and how many password checks failed; kept ``days`` days (older buckets are dropped);
- **accounts under attack**: an account enters when it is challenged, denied or fails a
  password check, and stays while such events keep coming (it leaves ``window_hours`` after
  the last); for each, the counts of those events since it entered, how many distinct
  addresses they came from (counted up to ``sources_cap``), and whether an outcome said the
  account exists. At most ``max_accounts`` are kept: when full, the one left alone longest
  goes.

Accounts and addresses are the engine's opaque keyed tags (``a:<hex>``, ``i:<hex>``): no login
name, address or password reaches the history, so a page or an export of it shows no personal
data. Times are the engine's clock (seconds since the epoch), so a replay on a manual clock
keeps the same history; an implementation may use wall-clock TTLs only to collect garbage.

Implementations: in process, Redis and the database (``storage/risk_history_memory.py``,
``storage/risk_history_redis.py``, ``storage/risk_history_sql.py``); all give the same answers
on the same events (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Kind(StrEnum):
    """What happened: a decision of ``assess``, or a failed password check (``outcome``)."""

    ALLOW = "allow"
    CHALLENGE = "challenge"
    DENY = "deny"
    FAILURE = "failure"


KINDS: tuple[Kind, ...] = tuple(Kind)


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """One decision or failure: when (engine clock, seconds), what, on which account (tag),
    from which address (tag), and whether the account exists (an outcome says; None at
    ``assess``, which does not know)."""

    at: float
    kind: Kind
    account: str
    source: str
    account_known: bool | None = None

    @property
    def hour(self) -> int:
        return int(self.at // 3600)


@dataclass(frozen=True, slots=True)
class HourCounts:
    hour: int  # hours since the epoch (UTC)
    allow: int = 0
    challenge: int = 0
    deny: int = 0
    failure: int = 0

    @property
    def decided(self) -> int:
        return self.allow + self.challenge + self.deny


@dataclass(frozen=True, slots=True)
class AccountPressure:
    """An account under attack: its events since it entered the list, and from how many
    addresses (``sources`` saturates at the history's ``sources_cap``)."""

    account: str
    first_seen: float
    last_seen: float
    challenges: int
    denials: int
    failures: int
    sources: int
    account_known: bool | None

    @property
    def events(self) -> int:
        return self.challenges + self.denials + self.failures


@dataclass(frozen=True, slots=True)
class HistoryBounds:
    """How much the history keeps (its memory is bounded by these, not by traffic)."""

    days: int = 7
    window_hours: int = 24
    max_accounts: int = 1000
    sources_cap: int = 100

    def __post_init__(self) -> None:
        if not (1 <= self.days <= 90 and 1 <= self.window_hours <= 24 * 30):
            raise ValueError("days must be 1..90 and window_hours 1..720")
        if not (1 <= self.max_accounts <= 100_000 and 1 <= self.sources_cap <= 10_000):
            raise ValueError("max_accounts must be 1..100000 and sources_cap 1..10000")

    @property
    def window_seconds(self) -> float:
        return self.window_hours * 3600.0


def rank(accounts: Sequence[AccountPressure], limit: int) -> list[AccountPressure]:
    """Most distinct addresses first (an attack rotating through a proxy pool), then most
    events, then the most recent; ties by tag, so both backends order alike."""
    ordered = sorted(accounts, key=lambda a: (-a.sources, -a.events, -a.last_seen, a.account))
    return ordered[: max(limit, 0)]


class DecisionHistory(Protocol):
    """Where the decisions are kept (in process, Redis or the database)."""

    @property
    def bounds(self) -> HistoryBounds: ...

    def record(self, events: Sequence[DecisionEvent]) -> None:
        """Count ``events`` (one call, one round trip on Redis, for a batch)."""
        ...

    def flush(self) -> None:
        """Write what this process holds back, if anything (the database history batches)."""
        ...

    def hours(self, first: int, last: int) -> list[HourCounts]:
        """One :class:`HourCounts` per hour in ``first..last`` (zeros where nothing was kept)."""
        ...

    def newest_hour(self) -> int | None:
        """The newest hour with a count (hours since the epoch), or None when nothing is kept:
        a page showing a world replayed on another clock starts there."""
        ...

    def under_attack(self, now: float, limit: int = 20) -> list[AccountPressure]:
        """The accounts with an event in the ``window_hours`` before ``now``, ranked by
        :func:`rank`, at most ``limit``."""
        ...
