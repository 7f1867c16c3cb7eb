"""The login risk engine's state in process (the default; one worker).

Records are arrays of doubles (``array("d")``, which the garbage collector does not track: a
worker holding a day of traffic keeps hundreds of thousands of them, and as lists each full
collection walked them all) under a lock; pairs, pending assessments, hour buckets and the
idempotency keys of attempts, stops and outcomes' takes (``once``) expire by their stored times
(pruned as they are met, and in sweeps every ``SWEEP`` attempts so memory stays bounded by the
traffic of the TTLs, not of all time).
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from itertools import repeat

from shieldwall.config import RiskSettings
from shieldwall.guard.risk.ports import (
    A_L,
    A_S,
    D_L,
    D_S,
    F_L,
    F_S,
    RECORD_SIZE,
    RUN,
    STOP_SUFFIX,
    U_L,
    U_S,
    AssessOps,
    AssessView,
    OutcomeOps,
    Repeat,
    TakeOnce,
)

SWEEP = 50_000
HOURS_KEPT = 24 * 35


_ZERO = array("d", [0.0] * RECORD_SIZE)
_ZEROS = repeat(0)  # the default of each count read with map(counts.get, keys, _ZEROS)
_exp = math.exp


def decay(rec: array[float] | list[float], now: float, tau_s: float, tau_l: float) -> None:
    """Bring ``rec`` to ``now`` in place (the same arithmetic as the Redis script)."""
    dt = now - rec[0]
    if dt > 0:
        ks = math.exp(-dt / tau_s)
        kl = math.exp(-dt / tau_l)
        rec[A_S] *= ks
        rec[F_S] *= ks
        rec[U_S] *= ks
        rec[D_S] *= ks
        rec[A_L] *= kl
        rec[F_L] *= kl
        rec[U_L] *= kl
        rec[D_L] *= kl
        rec[0] = now


class MemoryRiskState:
    def __init__(
        self,
        *,
        short_tau: float = 600.0,
        long_tau: float = 86_400.0,
        pair_ttl: float = 7 * 86_400.0,
        pending_ttl: float = 900.0,
        profile_ttl: float = 180 * 86_400.0,
        once_ttl: float = 86_400.0,
    ) -> None:
        self.short_tau = short_tau
        self.long_tau = long_tau
        self.pair_ttl = pair_ttl
        self.pending_ttl = pending_ttl
        self.profile_ttl = profile_ttl
        self.once_ttl = once_ttl
        self._lock = threading.Lock()
        self._records: dict[str, array[float]] = {}
        self._pairs: dict[str, float] = {}  # pair -> expiry
        self._profiles: dict[str, tuple[float, dict[str, int]]] = {}  # key -> (expiry, counts)
        self._popular: dict[str, int] = {}
        self._hours: dict[int, list[float]] = {}
        self._pending: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._breach: dict[str, tuple[float, set[str]]] = {}  # account -> (expiry, tags)
        self._once: dict[str, float] = {}  # an attempt's or a stop's idempotency key -> expiry
        # an outcome's idempotency key -> (expiry, assessment id, payload, success, known)
        self._taken: dict[str, tuple[float, str, bytes, bool, bool]] = {}
        self._now = 0.0  # time of the latest attempt: pending entries expire from it
        self._since_sweep = 0

    @classmethod
    def from_settings(cls, rs: RiskSettings) -> MemoryRiskState:
        return cls(
            short_tau=rs.short_window_seconds,
            long_tau=rs.long_window_seconds,
            pair_ttl=rs.pair_ttl_seconds,
            pending_ttl=rs.pending_ttl_seconds,
            profile_ttl=rs.profile_ttl_days * 86_400,
            once_ttl=rs.once_ttl_seconds,
        )

    def _record(self, key: str, now: float) -> array[float]:
        rec = self._records.get(key)
        if rec is None:
            rec = array("d", _ZERO)
            rec[0] = now
            self._records[key] = rec
        else:
            decay(rec, now, self.short_tau, self.long_tau)
        return rec

    @property
    def blocking(self) -> bool:
        return False

    def assess(self, now: float, ops: AssessOps) -> AssessView:
        with self._lock:
            return self._assess(now, ops)

    def assess_many(self, batch: Iterable[tuple[float, AssessOps]]) -> Iterator[AssessView]:
        # the lock taken per attempt, as assess does: a server's threads wait at most one attempt
        lock, assess = self._lock, self._assess
        for now, ops in batch:
            with lock:
                view = assess(now, ops)
            yield view

    def _assess(self, now: float, ops: AssessOps) -> AssessView:
        """:meth:`assess` under the lock; _record and :func:`decay` written out (the same
        operations in the same order, so the same doubles): they ran six times an attempt."""
        if ops.once is not None and not self._first(ops.once, now):
            return self._repeat(now, ops)
        records = self._records
        tau_s, tau_l = self.short_tau, self.long_tau
        recs = []
        for key in ops.entities:
            rec = records.get(key)
            if rec is None:
                rec = records[key] = array("d", _ZERO)
                rec[0] = now
            else:
                dt = now - rec[0]
                if dt > 0:
                    ks = _exp(-dt / tau_s)
                    kl = _exp(-dt / tau_l)
                    rec[A_S] *= ks
                    rec[F_S] *= ks
                    rec[U_S] *= ks
                    rec[D_S] *= ks
                    rec[A_L] *= kl
                    rec[F_L] *= kl
                    rec[U_L] *= kl
                    rec[D_L] *= kl
                    rec[0] = now
            rec[A_S] += 1.0
            rec[A_L] += 1.0
            recs.append(rec)
        pairs = self._pairs
        until = now + self.pair_ttl
        for i, pair in ops.pairs:
            expiry = pairs.get(pair)
            if expiry is None or expiry <= now:
                rec = recs[i]
                rec[D_S] += 1.0
                rec[D_L] += 1.0
            pairs[pair] = until
        bucket = self._hours.get(ops.hour)
        if bucket is None:
            bucket = self._hours[ops.hour] = [0.0, 0.0, 0.0]
        bucket[0] += 1.0
        profile, popular, breach = self._read(now, ops)
        self._since_sweep += 1
        if self._since_sweep >= SWEEP:
            self._sweep(now, ops.hour)
        return AssessView([r.tolist() for r in recs], profile, popular, breach)

    def _read(self, now: float, ops: AssessOps) -> tuple[list[int], list[int], bool]:
        """An attempt's reads (its profile's counts, the popularity counts, whether its breach
        tag is held), with its pending assessment kept: the same for a counted attempt and a
        repeat."""
        got = self._profiles.get(ops.profile)
        if got is not None and got[0] > now:
            counts = got[1]
            profile = [counts.get("n", 0), *map(counts.get, ops.fields, _ZEROS)]
        else:  # no profile (most attempts of an attack): zeros
            profile = [0] * (len(ops.fields) + 1)
        pop = self._popular
        popular = [pop.get("n", 0), *map(pop.get, ops.popular, _ZEROS)]
        self._now = now
        if ops.pending is not None:
            self._pending[ops.pending[0]] = (now + self.pending_ttl, ops.pending[1])
        breach = False
        if ops.breach is not None:
            held = self._breach.get(ops.breach[0])
            breach = held is not None and held[0] > now and ops.breach[1] in held[1]
        return profile, popular, breach

    def _first(self, once: str, now: float) -> bool:
        """Mark ``once`` seen until ``now`` plus the once TTL; False when it was already, and
        has not expired (then it is left as it was)."""
        expiry = self._once.get(once)
        if expiry is not None and expiry > now:
            return False
        self._once[once] = now + self.once_ttl
        return True

    def _repeat(self, now: float, ops: AssessOps) -> AssessView:
        """The view of an attempt whose ``once`` key was counted: the records decayed to now
        on copies (the stored ones stay as they are, as Redis does not write them back: a
        record must decay in the same steps on both), nothing counted; the pending kept and the
        reads made as :meth:`_assess` makes them."""
        recs = []
        for key in ops.entities:
            held = self._records.get(key)
            if held is None:
                rec = [now, *_ZERO[1:]]
            else:
                rec = held.tolist()
                decay(rec, now, self.short_tau, self.long_tau)
            recs.append(rec)
        profile, popular, breach = self._read(now, ops)
        stop = self._once.get(ops.once + STOP_SUFFIX) if ops.once is not None else None
        return AssessView(recs, profile, popular, breach, True, stop is not None and stop > now)

    def put_pending(self, assessment_id: str, payload: bytes) -> None:
        with self._lock:
            self._pending[assessment_id] = (self._now + self.pending_ttl, payload)

    def take_pending(self, assessment_id: str) -> bytes | None:
        with self._lock:
            got = self._pending.pop(assessment_id, None)
        return got[1] if got is not None and got[0] > self._now else None

    def take_pending_many(
        self,
        assessment_ids: Sequence[str],
        *,
        now: float = 0.0,
        once: Sequence[TakeOnce | None] = (),
    ) -> list[bytes | Repeat | None]:
        if once:
            with self._lock:
                return [
                    self._take_once(a, now, k) for a, k in zip(assessment_ids, once, strict=True)
                ]
        with self._lock:
            pop, latest = self._pending.pop, self._now
            got = [pop(assessment_id, None) for assessment_id in assessment_ids]
        return [g[1] if g is not None and g[0] > latest else None for g in got]

    def _take_once(
        self, assessment_id: str, now: float, key: TakeOnce | None
    ) -> bytes | Repeat | None:
        """One take of :meth:`take_pending_many` with keys, under the lock: the pending payload
        taken, and kept under its key; or, gone, the payload kept under the key for this id."""
        got = self._pending.pop(assessment_id, None)
        if got is not None and got[0] > self._now:
            if key is not None:
                self._taken[key.once] = (
                    now + self.once_ttl,
                    assessment_id,
                    got[1],
                    key.success,
                    key.account_known,
                )
            return got[1]
        if key is None:
            return None
        kept = self._taken.get(key.once)
        if kept is None or kept[0] <= now or kept[1] != assessment_id:
            return None
        return Repeat(kept[2], kept[3], kept[4])

    def record_outcome(self, now: float, ops: OutcomeOps) -> None:
        with self._lock:
            self._outcome(now, ops)

    def record_outcomes(self, batch: Sequence[tuple[float, OutcomeOps]]) -> None:
        # the lock taken per outcome, as assess_many does per attempt
        lock, record = self._lock, self._outcome
        for now, ops in batch:
            with lock:
                record(now, ops)

    def record_stops(self, stops: Sequence[tuple[float, str, bytes, OutcomeOps]]) -> None:
        with self._lock:
            for now, assessment_id, payload, ops in stops:
                self._pending[assessment_id] = (now + self.pending_ttl, payload)
                self._outcome(now, ops)

    def _outcome(self, now: float, ops: OutcomeOps) -> None:
        """:meth:`record_outcome` under the lock."""
        if ops.once is not None and not self._first(ops.once, now):
            return
        failed = 0.0 if ops.success or ops.retract else 1.0
        unknown = 1.0 if not ops.success and not ops.account_known else 0.0
        take_back = ops.retract and ops.success
        recs = [self._record(key, now) for key in ops.entities]
        for rec in recs:
            if take_back:
                rec[F_S] = max(rec[F_S] - 1.0, 0.0)
                rec[F_L] = max(rec[F_L] - 1.0, 0.0)
            rec[F_S] += failed
            rec[F_L] += failed
            rec[U_S] += unknown
            rec[U_L] += unknown
        for i in ops.runs:
            if ops.success:
                recs[i][RUN] = 0.0
            elif not ops.retract:
                recs[i][RUN] += 1.0
        if take_back or failed or unknown:  # a bucket only where Redis writes a field
            bucket = self._hours.get(ops.hour)
            if bucket is None:
                bucket = self._hours[ops.hour] = [0.0, 0.0, 0.0]
            if take_back:
                bucket[1] = max(bucket[1] - 1.0, 0.0)
            bucket[1] += failed
            bucket[2] += unknown
        if ops.success:
            got = self._profiles.get(ops.profile)
            counts = got[1] if got is not None and got[0] > now else {}
            counts["n"] = counts.get("n", 0) + 1
            seen = []  # each field's count right after its increment, as the script sees it
            for f in ops.fields:
                counts[f] = counts.get(f, 0) + 1
                seen.append(counts[f])
            for i, name in ops.distinct:
                if seen[i] == 1:
                    counts[name] = counts.get(name, 0) + 1
            self._profiles[ops.profile] = (now + self.profile_ttl, counts)
            self._popular["n"] = self._popular.get("n", 0) + 1
            for f in ops.popular:
                self._popular[f] = self._popular.get(f, 0) + 1

    def reset_runs(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                rec = self._records.get(key)
                if rec is not None:
                    rec[RUN] = 0.0

    def hours(self, first: int, last: int) -> list[tuple[int, float, float, float]]:
        with self._lock:
            return [
                (h, b[0], b[1], b[2])
                for h in range(first, last + 1)
                if (b := self._hours.get(h)) is not None
            ]

    def add_breach(self, now: float, tags: Mapping[str, Collection[str]], ttl: float) -> None:
        with self._lock:
            for account, new in tags.items():
                held = self._breach.get(account)
                kept = held[1] if held is not None and held[0] > now else set()
                self._breach[account] = (now + ttl, kept | set(new))

    def _sweep(self, now: float, hour: int) -> None:
        """Drop what has expired or decayed to nothing (records under 1e-3 of an attempt over
        the long window and with no failure run)."""
        self._since_sweep = 0
        self._pairs = {k: e for k, e in self._pairs.items() if e > now}
        self._profiles = {k: v for k, v in self._profiles.items() if v[0] > now}
        self._breach = {k: v for k, v in self._breach.items() if v[0] > now}
        self._once = {k: e for k, e in self._once.items() if e > now}
        self._taken = {k: v for k, v in self._taken.items() if v[0] > now}
        while self._pending and next(iter(self._pending.values()))[0] <= now:
            self._pending.popitem(last=False)
        self._hours = {h: b for h, b in self._hours.items() if h > hour - HOURS_KEPT}
        for key in list(self._records):
            rec = self._records[key]
            # read the decayed value without writing it back: a record must decay in the same
            # steps as in Redis for the two to give bit-identical numbers
            faded = rec[A_L] * math.exp(-max(now - rec[0], 0.0) / self.long_tau)
            if faded < 1e-3 and rec[RUN] == 0:
                del self._records[key]

    def __len__(self) -> int:
        return len(self._records)
