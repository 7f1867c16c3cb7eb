"""The watch's working set: everything it remembers, in process, written back when durable.

Nine kinds of record, each keyed by identifiers only (never personal data):

==============  =============================  ==============================================
key             value                          why
==============  =============================  ==============================================
p|pid|day       :class:`DayProfile`            a principal's counters and customer sets a day
                                               (with first event times for some)
d|pid           (role, unit)                   the directory of principals seen
t|ticket        :class:`TicketFact`            who opened a ticket and what explains it
o|order         outlets, last assignment       which outlets an order was assigned to
s|agent|cust    last ticket time               customers an agent has served (history)
c|cust          [(agent, time)]                agents with recent tickets for a customer
l|agent|cust    last lookup hit time           callers an agent just found by phone
e|pid|kind|day  evidence list                  the accesses behind a detector's counts
m|meta          last seq applied, current day  where the state stands in the log
==============  =============================  ==============================================

Only the lease holder writes (see :mod:`.ports`), so the in-process copy is authoritative; with
a durable backend the records changed in a batch are written back at the end of it, and a new
holder loads everything once (:meth:`WorkingSet.load`). Eviction follows event time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shieldwall.trace.watch.ports import WatchState

DAY_SECONDS = 86_400.0


@dataclass(slots=True)
class DayProfile:
    """One principal's counters for one local day, and the customers behind each set metric.

    A set metric marked with event times (:meth:`mark_at`) also keeps each customer's earliest
    event time, so a count can be taken as of an event time (:meth:`count_until`) whatever
    order the records arrived in: two intake workers append a principal's reads to the log in
    the order their batches commit, not in the order they happened.
    """

    counts: dict[str, int] = field(default_factory=dict)
    seen: dict[str, set[str]] = field(default_factory=dict)
    first: dict[str, dict[str, float]] = field(default_factory=dict)
    # The latest of ``first``'s times per metric: a count as of a later time (records logged in
    # event order, the usual case) is the whole count, without a pass over the times.
    latest: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def bump(self, metric: str, n: int = 1) -> None:
        self.counts[metric] = self.counts.get(metric, 0) + n

    def mark(self, metric: str, customers: Iterable[str]) -> list[str]:
        """Add customers to the day's set for ``metric``; count and return the new ones."""
        have = self.seen.get(metric)
        if have is None:
            have = self.seen[metric] = set()
        new = [c for c in customers if c not in have]
        if new:
            have.update(new)
            self.counts[metric] = self.counts.get(metric, 0) + len(new)
        return new

    def mark_at(self, metric: str, customers: Iterable[str], at: float) -> list[str]:
        """:meth:`mark` at event time ``at``; return the customers whose earliest time is now
        ``at``: the new ones, and those seen so far only later (a record logged late)."""
        customers = list(customers)
        self.mark(metric, customers)
        times = self.first.get(metric)
        if times is None:
            times = self.first[metric] = {}
        moved = []
        for c in customers:
            t = times.get(c)
            if t is None or at < t:
                times[c] = at
                moved.append(c)
        if moved and at > self.latest.get(metric, at - 1.0):
            self.latest[metric] = at
        return moved

    def count_until(self, metric: str, at: float) -> int:
        """The customers of ``metric`` not first seen after event time ``at`` (a customer
        marked without a time, by an older version, counts)."""
        total = self.counts.get(metric, 0)
        times = self.first.get(metric)
        if not times or at >= self.latest.get(metric, at):
            return total
        return total - sum(1 for t in times.values() if t > at)

    def times(self, metric: str) -> list[float]:
        """The earliest event times of ``metric``'s customers, ascending."""
        return sorted(self.first.get(metric, {}).values())

    def to_json(self) -> object:
        doc: dict[str, object] = {
            "c": self.counts,
            "s": {k: sorted(v) for k, v in self.seen.items() if k not in self.first},
        }
        if self.first:
            doc["t"] = self.first  # insertion order: the same for the same records
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, object]) -> DayProfile:
        counts = doc["c"]
        seen = doc["s"]
        first = doc.get("t", {})
        assert isinstance(counts, dict) and isinstance(seen, dict)  # noqa: S101 - our format
        assert isinstance(first, dict)  # noqa: S101 - our format
        sets = {k: set(v) for k, v in seen.items()}
        sets.update({k: set(v) for k, v in first.items()})
        times = {k: dict(v) for k, v in first.items()}
        latest = {k: max(v.values()) for k, v in times.items() if v}
        return cls(dict(counts), sets, times, latest)


@dataclass(slots=True)
class TicketFact:
    agent: str
    customer: str
    basis: str
    opened: float
    closed: bool = False


@dataclass(slots=True)
class EvidenceItem:
    ts: float
    seq: int
    customers: tuple[str, ...]


class WorkingSet:
    """Typed maps of the records above, with dirty tracking when the backend is durable."""

    def __init__(self, state: WatchState) -> None:
        self.state = state
        self.durable = state.durable
        self.profiles: dict[tuple[str, int], DayProfile] = {}
        self.directory: dict[str, tuple[str, str | None]] = {}
        self.tickets: dict[str, TicketFact] = {}
        self.orders: dict[str, tuple[list[str], float]] = {}
        self.served: dict[tuple[str, str], float] = {}
        self.lookups: dict[tuple[str, str], float] = {}
        self.ticket_agents: dict[str, list[tuple[str, float]]] = {}
        self.evidence: dict[tuple[str, str, int], list[EvidenceItem]] = {}
        self.id_space: dict[str, int] = {}  # id prefix and width -> largest number seen
        self.last_seq = -1
        self.day: int | None = None
        self._dirty: set[tuple[str, Any]] = set()

    # -- dirty tracking and write-back ---------------------------------------------------------

    def touch(self, kind: str, key: Any) -> None:
        if self.durable:
            self._dirty.add((kind, key))

    def flush(self, ttl_seconds: int) -> int:
        """Write every changed record back to a durable state; returns how many."""
        if not self.durable:
            return 0
        items: dict[str, bytes] = {}
        for kind, key in self._dirty:
            encoded = self._encode(kind, key)
            if encoded is not None:
                items[encoded[0]] = encoded[1]
        items["m|meta"] = _dumps({"seq": self.last_seq, "day": self.day, "ids": self.id_space})
        self._dirty.clear()
        self.state.put_many(items, ttl_seconds)
        return len(items)

    def _encode(self, kind: str, key: Any) -> tuple[str, bytes] | None:
        doc: object
        if kind == "p":
            pid, day = key
            profile = self.profiles.get((pid, day))
            if profile is None:
                return None
            return f"p|{pid}|{day}", _dumps(profile.to_json())
        if kind == "d":
            doc = self.directory.get(str(key))
            return (f"d|{key}", _dumps(doc)) if doc is not None else None
        if kind == "t":
            t = self.tickets.get(str(key))
            if t is None:
                return None
            return f"t|{key}", _dumps([t.agent, t.customer, t.basis, t.opened, t.closed])
        if kind == "o":
            o = self.orders.get(str(key))
            return (f"o|{key}", _dumps(o)) if o is not None else None
        if kind in ("s", "l"):
            table = self.served if kind == "s" else self.lookups
            agent, customer = key
            ts = table.get((agent, customer))
            return (f"{kind}|{agent}|{customer}", _dumps(ts)) if ts is not None else None
        if kind == "c":
            agents = self.ticket_agents.get(str(key))
            return (f"c|{key}", _dumps(agents)) if agents is not None else None
        if kind == "e":
            pid, det, day = key
            items = self.evidence.get((pid, det, day))
            if items is None:
                return None
            doc = [[i.ts, i.seq, list(i.customers)] for i in items]
            return f"e|{pid}|{det}|{day}", _dumps(doc)
        return None

    def load(self) -> int:
        """Fill the working set from a durable state (a new lease holder does this once)."""
        if not self.durable:
            return 0
        n = 0
        for key, raw in self.state.load_all():
            doc = json.loads(raw)
            parts = key.split("|")
            kind = parts[0]
            if kind == "p":
                self.profiles[(parts[1], int(parts[2]))] = DayProfile.from_json(doc)
            elif kind == "d":
                self.directory[parts[1]] = (doc[0], doc[1])
            elif kind == "t":
                self.tickets[parts[1]] = TicketFact(doc[0], doc[1], doc[2], doc[3], doc[4])
            elif kind == "o":
                self.orders[parts[1]] = (list(doc[0]), doc[1])
            elif kind == "s":
                self.served[(parts[1], parts[2])] = doc
            elif kind == "l":
                self.lookups[(parts[1], parts[2])] = doc
            elif kind == "c":
                self.ticket_agents[parts[1]] = [(a, t) for a, t in doc]
            elif kind == "e":
                self.evidence[(parts[1], parts[2], int(parts[3]))] = [
                    EvidenceItem(i[0], i[1], tuple(i[2])) for i in doc
                ]
            elif kind == "m":
                self.last_seq, self.day = doc["seq"], doc["day"]
                self.id_space = dict(doc.get("ids", {}))
            n += 1
        return n

    # -- eviction (event time) -----------------------------------------------------------------

    def evict(
        self,
        day: int,
        now: float,
        *,
        profile_days: int,
        evidence_days: int,
        ticket_seconds: float,
        order_seconds: float,
        served_seconds: float,
        lookup_seconds: float,
    ) -> None:
        """Drop what no detector can need any more; a durable backend's TTL collects it there."""
        self.profiles = {k: v for k, v in self.profiles.items() if k[1] > day - profile_days}
        self.evidence = {k: v for k, v in self.evidence.items() if k[2] > day - evidence_days}
        self.tickets = {k: v for k, v in self.tickets.items() if v.opened > now - ticket_seconds}
        self.orders = {k: v for k, v in self.orders.items() if v[1] > now - order_seconds}
        self.served = {k: v for k, v in self.served.items() if v > now - served_seconds}
        self.lookups = {k: v for k, v in self.lookups.items() if v > now - lookup_seconds}
        self.ticket_agents = {
            k: v for k, v in self.ticket_agents.items() if v[0][1] > now - ticket_seconds
        }
        self._dirty = {d for d in self._dirty if self._encode(d[0], d[1]) is not None}


def _dumps(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()
