"""The risk engine's decision history in process (the default; one worker).

Hour buckets in a dict (those older than ``days`` before the newest are dropped as new hours
begin); accounts in an :class:`~collections.OrderedDict` in the order they were last touched,
so the one left alone longest is the first to go when the list is full or its window passed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from shieldwall.guard.risk.history import (
    KINDS,
    AccountPressure,
    DecisionEvent,
    HistoryBounds,
    HourCounts,
    Kind,
    rank,
)


@dataclass(slots=True)
class _Entry:
    first: float
    last: float
    counts: dict[Kind, int] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    known: bool | None = None


class MemoryDecisionHistory:
    def __init__(self, bounds: HistoryBounds | None = None) -> None:
        self._bounds = bounds or HistoryBounds()
        self._lock = threading.Lock()
        self._hours: dict[int, dict[Kind, int]] = {}
        self._newest_hour = 0
        self._accounts: OrderedDict[str, _Entry] = OrderedDict()

    @property
    def bounds(self) -> HistoryBounds:
        return self._bounds

    def record(self, events: Sequence[DecisionEvent]) -> None:
        b = self._bounds
        window = b.window_seconds
        with self._lock:
            latest: float | None = None
            for e in events:
                bucket = self._hours.get(e.hour)
                if bucket is None:
                    bucket = self._hours[e.hour] = dict.fromkeys(KINDS, 0)
                    if e.hour > self._newest_hour:
                        self._newest_hour = e.hour
                        oldest = e.hour - b.days * 24
                        for h in [h for h in self._hours if h <= oldest]:
                            del self._hours[h]
                bucket[e.kind] += 1
                if e.kind is Kind.ALLOW:
                    continue
                entry = self._accounts.get(e.account)
                if entry is None or entry.last < e.at - window:
                    entry = self._accounts[e.account] = _Entry(e.at, e.at)
                entry.last = max(entry.last, e.at)
                entry.counts[e.kind] = entry.counts.get(e.kind, 0) + 1
                if len(entry.sources) < b.sources_cap:
                    entry.sources.add(e.source)
                if e.account_known is not None:
                    entry.known = e.account_known
                self._accounts.move_to_end(e.account)
                latest = e.at if latest is None else max(latest, e.at)
            if latest is not None:
                self._trim(latest - window)

    def _trim(self, horizon: float) -> None:
        accounts = self._accounts
        while accounts and next(iter(accounts.values())).last < horizon:
            accounts.popitem(last=False)
        while len(accounts) > self._bounds.max_accounts:
            accounts.popitem(last=False)

    def flush(self) -> None:
        """Nothing is held back: every ``record`` is written at once."""

    def hours(self, first: int, last: int) -> list[HourCounts]:
        with self._lock:
            got = {h: dict(self._hours[h]) for h in range(first, last + 1) if h in self._hours}
        return [
            HourCounts(h, *(got[h][k] for k in KINDS)) if h in got else HourCounts(h)
            for h in range(first, last + 1)
        ]

    def newest_hour(self) -> int | None:
        with self._lock:
            return self._newest_hour if self._hours else None

    def under_attack(self, now: float, limit: int = 20) -> list[AccountPressure]:
        horizon = now - self._bounds.window_seconds
        with self._lock:
            found = [
                AccountPressure(
                    account,
                    e.first,
                    e.last,
                    e.counts.get(Kind.CHALLENGE, 0),
                    e.counts.get(Kind.DENY, 0),
                    e.counts.get(Kind.FAILURE, 0),
                    len(e.sources),
                    e.known,
                )
                for account, e in self._accounts.items()
                if e.last >= horizon
            ]
        return rank(found, limit)
