"""The watch: audit records in, findings and de-duplicated alerts out.

:meth:`Watch.process` takes records in log order. For each it updates the relationship facts
(tickets, assignments, lookups), explains the access, counts it in the principal's day
profile and asks every detector for a finding; findings go to the :class:`AlertBook`. At the
first record of a new local day it rebuilds the peer baselines and forgets what no detector
needs any more. At the end of a batch it writes changed records back to a durable state.

Processing is idempotent by sequence number (a record at or below the last one applied is
skipped), so a reader that restarts from a cursor saved before its last batch does not count
twice what the state already holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Reason
from shieldwall.core.clock import Clock
from shieldwall.core.events import AccessEvent, Action, AuditRecord, Decision
from shieldwall.trace.watch.alerting import AlertBook, Evidence
from shieldwall.trace.watch.detectors import Detector, build
from shieldwall.trace.watch.model import ACCESS_ACTIONS, Basis, Finding, Observation
from shieldwall.trace.watch.peers import HOURS, PeerBook
from shieldwall.trace.watch.ports import AlertStore, WatchState
from shieldwall.trace.watch.relations import RelationIndex
from shieldwall.trace.watch.workingset import DAY_SECONDS, DayProfile, EvidenceItem, WorkingSet

RECORD_ACTIONS = frozenset({Action.READ, Action.REVEAL, Action.BREAK_GLASS})
EVIDENCE_TAIL = 50


class Watch:
    """The insider watch over one stream of audit records."""

    def __init__(
        self,
        settings: WatchSettings,
        state: WatchState,
        alerts: AlertStore | None = None,
        *,
        detectors: Sequence[Detector] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.future_tolerance = settings.future_tolerance_minutes * 60
        self.future_dated = 0  # records dated ahead of the clock, counted as now
        self.tz = ZoneInfo(settings.timezone)
        self.ws = WorkingSet(state)
        self.relations = RelationIndex(self.ws, settings)
        self.detectors = list(detectors) if detectors is not None else build(settings)
        self.book = AlertBook(alerts, settings) if alerts is not None else None
        self.peers: PeerBook | None = None
        self.exempt = frozenset(settings.exempt_roles)
        self.ttl = int(settings.state_ttl_days * DAY_SECONDS)
        self.processed = 0
        self._ctx = _Context(self)

    @property
    def last_seq(self) -> int:
        """The last sequence number applied to the state (-1 before any)."""
        return self.ws.last_seq

    def load(self) -> int:
        """Load a durable state (a new lease holder); returns the records loaded."""
        n = self.ws.load()
        if self.ws.day is not None:
            self.peers = self._peer_book(self.ws.day)
        return n

    def process(self, records: Sequence[AuditRecord], *, quiet: bool = False) -> list[Finding]:
        """Apply records in order; ``quiet`` rebuilds state without raising alerts (warm-up)."""
        out: list[Finding] = []
        for record in records:
            if record.seq <= self.ws.last_seq:
                continue
            found = self._one(record)
            if found:
                out.extend(found)
                if not quiet and self.book is not None:
                    for f in found:
                        self.book.offer(f, self.evidence(f.principal_id, f.kind))
            self.ws.last_seq = record.seq
            self.processed += 1
        self.ws.flush(self.ttl)
        if self.book is not None:
            self.book.flush()
        return out

    # -- one record ----------------------------------------------------------------------------

    def _one(self, record: AuditRecord) -> list[Finding]:
        e = record.event
        ts = e.ts.timestamp()
        local = e.ts.astimezone(self.tz)
        if self.clock is not None:
            # One entry from a host whose clock runs ahead would otherwise move the watch's day
            # forward for good (every later access would count on that future day, against
            # peers who have none there): a record dated ahead of the clock counts as now.
            now = self.clock.now().timestamp()
            if ts > now + self.future_tolerance:
                self.future_dated += 1
                ts = now
                local = datetime.fromtimestamp(now, self.tz)
        day = local.toordinal()
        if self.ws.day is None or day > self.ws.day:
            self._rollover(day, ts)
        day = max(day, self.ws.day or day)  # a late, out-of-order record counts today
        action = e.action
        if action is Action.TICKET_OPEN:
            fact = self.relations.learn_ticket_open(e, ts)
            if fact is not None and fact.agent == e.actor:
                prof = self._profile(e.actor, day)
                prof.bump("tk_own")
                if fact.basis == Basis.SELF.value:
                    prof.bump("tk_self")
                    prof.bump("tk_self_left")  # until it is closed, on the day it was opened
            return []
        if action is Action.TICKET_CLOSE:
            closed = self.relations.learn_ticket_close(e)
            if closed is not None:
                prof = self._profile(closed.agent, day)
                prof.bump("tk_close")
                if closed.basis == Basis.SELF.value:
                    prof.bump("tk_self_closed")
                    opened_day = datetime.fromtimestamp(closed.opened, self.tz).toordinal()
                    if (closed.agent, opened_day) in self.ws.profiles:
                        self._profile(closed.agent, opened_day).bump("tk_self_left", -1)
            return []
        if action is Action.ASSIGN:
            self.relations.learn_assign(e, ts)
            return []
        if action not in ACCESS_ACTIONS or e.role in self.exempt:
            return []
        if action is Action.LOOKUP:
            self.relations.learn_lookup(e, ts)
        if self.ws.directory.get(e.actor) != (e.role, e.unit):
            self.ws.directory[e.actor] = (e.role, e.unit)
            self.ws.touch("d", e.actor)
        basis = self.relations.explain(e, ts, e.unit)
        prof = self._profile(e.actor, day)
        allowed = e.decision is Decision.ALLOW
        customers = e.customer_ids
        new: tuple[str, ...] = ()
        if action in RECORD_ACTIONS:
            new = tuple(prof.mark("try", customers))
            if allowed:
                prof.mark_at("cust", customers, ts)
        if allowed:
            prof.bump("acc")
            prof.bump(HOURS[local.hour])
        obs = Observation(record.seq, e, day, local.hour, basis, allowed, customers, new)
        ctx = self._ctx
        ctx.bind(obs, prof, ts)
        found = []
        for detector in self.detectors:
            finding = detector.observe(obs, ctx)
            if finding is not None:
                found.append(finding)
        return found

    def _profile(self, pid: str, day: int) -> DayProfile:
        key = (pid, day)
        prof = self.ws.profiles.get(key)
        if prof is None:
            prof = self.ws.profiles[key] = DayProfile()
        self.ws.touch("p", key)
        return prof

    def _rollover(self, day: int, ts: float) -> None:
        s = self.settings
        if self.ws.day is not None:
            self.ws.evict(
                day,
                ts,
                profile_days=max(s.baseline_days, s.window_days) + 1,
                evidence_days=s.window_days,
                ticket_seconds=s.ticket_days * DAY_SECONDS,
                order_seconds=s.order_days * DAY_SECONDS,
                served_seconds=s.history_days * DAY_SECONDS,
                lookup_seconds=s.lookup_window_minutes * 60,
            )
        self.ws.day = day
        self.peers = self._peer_book(day)

    def _peer_book(self, day: int) -> PeerBook:
        days = range(day - self.settings.baseline_days, day)
        history: dict[str, list[DayProfile]] = {}
        seen_days: set[int] = set()
        for pid, (role, _) in self.ws.directory.items():
            if role in self.exempt:
                continue
            found = []
            for d in days:
                p = self.ws.profiles.get((pid, d))
                if p is not None and p.counts.get("acc", 0) > 0:
                    found.append(p)
                    seen_days.add(d)
            if found:
                history[pid] = found
        return PeerBook(
            day, self.ws.directory, history, self.settings, reference_days=len(seen_days)
        )

    # -- evidence ------------------------------------------------------------------------------

    def evidence(self, pid: str, kind: str) -> Evidence:
        """The window's evidence for a principal and kind: customers, entries, first and last."""
        day = self.ws.day or 0
        items: list[EvidenceItem] = []
        for d in range(day - self.settings.window_days + 1, day + 1):
            items.extend(self.ws.evidence.get((pid, kind, d), ()))
        items.sort(key=lambda i: i.seq)
        customers: list[str] = []
        seen: set[str] = set()
        cap = self.settings.max_evidence_customers
        for item in items:
            for c in item.customers:
                if c not in seen and len(customers) < cap:
                    seen.add(c)
                    customers.append(c)
        seqs = tuple(i.seq for i in items)
        first = datetime.fromtimestamp(items[0].ts, UTC) if items else None
        last = datetime.fromtimestamp(items[-1].ts, UTC) if items else None
        return Evidence(tuple(customers), seqs, first, last)


class _Context:
    """The :class:`DetectorContext` of the record being processed (rebound for each one)."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.settings = watch.settings
        self.ws = watch.ws
        self.obs: Observation | None = None
        self._today = DayProfile()
        self._window: list[DayProfile] = []
        self._ts = 0.0
        self._pid = ""

    def bind(self, obs: Observation, today: DayProfile, ts: float) -> None:
        self.obs = obs
        self._today = today
        self._ts = ts
        self._pid = obs.principal
        profiles = self.ws.profiles
        self._window = [today] + [
            p
            for d in range(obs.day - 1, obs.day - self.settings.window_days, -1)
            if (p := profiles.get((self._pid, d))) is not None
        ]

    def today(self) -> DayProfile:
        return self._today

    def time(self) -> float:
        return self._ts

    def window(self, metric: str) -> int:
        return sum(p.counts.get(metric, 0) for p in self._window)

    def window_at(self, metric: str, at: float) -> int:
        # Earlier days are complete (a late record counts on the current day): only today's
        # count depends on which records have arrived, so only today's is taken as of ``at``.
        return self._today.count_until(metric, at) + sum(
            p.counts.get(metric, 0) for p in self._window[1:]
        )

    def window_sets(self, metric: str) -> list[set[str]]:
        return [s for p in self._window if (s := p.seen.get(metric)) is not None]

    def peer_rate(self, num: str, den: str) -> float | None:
        peers = self.watch.peers
        return peers.rate(self._pid, num, den) if peers is not None else None

    def own_rate(self, num: str, den: str) -> float | None:
        peers = self.watch.peers
        return peers.own_rate(self._pid, num, den) if peers is not None else None

    def own_daily(self, metric: str) -> float | None:
        peers = self.watch.peers
        return peers.own_daily(self._pid, metric) if peers is not None else None

    def peer_daily(self, metric: str) -> float | None:
        peers = self.watch.peers
        return peers.peer_daily(self._pid, metric) if peers is not None else None

    def usual_hours(self) -> frozenset[int] | None:
        peers = self.watch.peers
        return peers.usual_hours(self._pid) if peers is not None else None

    def id_space(self, key: str, number: int) -> int:
        space = self.ws.id_space
        if number > space.get(key, -1):
            space[key] = number
        return space[key]

    def evidence(self, kind: str, customers: Sequence[str]) -> None:
        obs = self.obs
        assert obs is not None  # noqa: S101 - bound before any detector runs
        key = (self._pid, kind, obs.day)
        items = self.ws.evidence.get(key)
        if items is None:
            items = self.ws.evidence[key] = []
        cap = self.settings.max_evidence_seqs
        if len(items) >= cap:
            del items[cap - EVIDENCE_TAIL]  # keep where it started and the latest accesses
        items.append(EvidenceItem(self._ts, obs.seq, tuple(customers)))
        self.ws.touch("e", key)

    def finding(
        self,
        kind: str,
        score: float,
        reasons: Sequence[Reason],
        *,
        exposed: int,
        details: Mapping[str, str] | None = None,
    ) -> Finding:
        obs = self.obs
        assert obs is not None  # noqa: S101 - bound before any detector runs
        return Finding(
            kind, self._pid, score, tuple(reasons), obs.event.ts, dict(details or {}), exposed
        )


def access_records(events: Sequence[AccessEvent], start: int = 0) -> list[AuditRecord]:
    """Wrap events as records with consecutive sequence numbers (for tests and simulations)."""
    return [AuditRecord(start + i, e, b"") for i, e in enumerate(events)]
