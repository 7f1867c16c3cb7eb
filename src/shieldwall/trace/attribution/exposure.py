"""Who was shown what about which customer, and when: an inverted index over the audit log.

Attribution asks, for a customer and a set of things a scam caller knew, which *candidate
sources* had been shown all of those things before the call. The :class:`ExposureIndex` answers
that for every (customer, candidate) pair with nine timestamps: the first time the candidate was
shown each :class:`Knowledge` item about the customer, and the audit sequence number of the entry
that showed it (the evidence). It is built in one streaming pass over the log
(:class:`ExposureIndexBuilder`) and can be extended with later entries without a rebuild.

Candidates are principals (the actor of an allowed access) and releases (a ``grant`` entry with
``extra["release"]``, or an export naming a release): a release is a source in its own right,
whoever later read it.

What counts as *shown* follows the view custody served (``fields`` of the access event):

- ``clear`` and ``granted`` show the field itself; so does ``relay`` for the phone, because a
  relay number rings the customer's phone while it is live (a leaked relay number explains a
  call, not knowledge of the number itself; we accept that over-reach, see docs);
- ``masked`` shows a fragment (``138****5678``, ``张*``): it counts as *seeing the record*
  (:attr:`Knowledge.SEEN`) but explains no knowledge of the field;
- ``hidden``, ``pseudonym`` and ``derived`` (decrypted in the server, never returned) show
  nothing.

Denied accesses show nothing. An access to an order (``order_ids``) that showed anything also
shows the order number (:attr:`Knowledge.ORDER`).

*Service principals with a declared purpose* (role ``service``, every access that showed
something naming its ``purpose``: the warnings sender, a reconciliation job) touch customers in
bulk on the store's behalf. They stay in the index, so an answer can say what they were shown,
but :attr:`ExposureIndex.services` marks them and attribution lists them apart instead of ranking
them among suspects. A service principal that reads even once without a purpose is a suspect
like anyone else.
"""

from __future__ import annotations

import json
import threading
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from shieldwall.audit.ports import AuditStore
from shieldwall.core.events import AccessEvent, Action, Decision

_Raw = tuple[
    npt.NDArray[np.int64], npt.NDArray[np.uint16], npt.NDArray[np.float64], npt.NDArray[np.int64]
]
_Table = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]


class Knowledge(IntEnum):
    """What a caller can know about a customer; the bit position in an exposure mask."""

    SEEN = 0  # the record was shown at all (even masked)
    NAME = 1
    PHONE = 2
    EMAIL = 3
    ADDRESS = 4
    NATIONAL_ID = 5
    ITEMS = 6
    AMOUNT = 7
    ORDER = 8  # the order number, or that an order is on its way


BITS = len(Knowledge)
SEEN_MASK = 1 << Knowledge.SEEN

# Field name -> what seeing it in a revealing view teaches.
FIELD_KNOWLEDGE: Mapping[str, Knowledge] = {
    "name": Knowledge.NAME,
    "phone": Knowledge.PHONE,
    "email": Knowledge.EMAIL,
    "address": Knowledge.ADDRESS,
    "delivery_address": Knowledge.ADDRESS,
    "national_id": Knowledge.NATIONAL_ID,
    "items": Knowledge.ITEMS,
    "amount": Knowledge.AMOUNT,
}
REVEALING_VIEWS = frozenset({"clear", "granted"})
PHONE_VIEWS = REVEALING_VIEWS | {"relay"}
NOT_SHOWN = frozenset({"hidden", "pseudonym", "derived"})


def exposure_mask(fields: Mapping[str, str], has_order: bool = False) -> int:
    """The knowledge an access with these served views gives (0: it showed nothing)."""
    mask = 0
    for name, view in fields.items():
        if view in NOT_SHOWN:
            continue
        mask |= SEEN_MASK
        bit = FIELD_KNOWLEDGE.get(name)
        if bit is None:
            continue
        if view in (PHONE_VIEWS if bit is Knowledge.PHONE else REVEALING_VIEWS):
            mask |= 1 << bit
    if mask and has_order:
        mask |= 1 << Knowledge.ORDER
    return mask


def mask_bits(mask: int) -> list[int]:
    return [b for b in range(BITS) if mask >> b & 1]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible source: a principal, or a release (``kind`` ``principal`` or ``release``)."""

    kind: str
    candidate_id: str
    role: str | None = None
    unit: str | None = None
    partner: str | None = None  # for a release: who it went to

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.candidate_id}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "id": self.candidate_id}
        if self.kind == "principal":
            out.update(role=self.role, unit=self.unit)
        else:
            out["partner"] = self.partner
        return out


@dataclass(frozen=True)
class ExposureIndex:
    """Per (customer, candidate) pair, the first time and audit entry of each knowledge bit.

    Pairs are sorted by customer, so ``offsets[c]:offsets[c+1]`` are customer ``c``'s pairs.
    ``first_ts[b, p]`` is +inf when pair ``p`` never showed bit ``b``.
    """

    customer_ids: Sequence[str]
    customer_index: Mapping[str, int]
    candidates: Sequence[Candidate]
    pair_candidate: npt.NDArray[np.int32]
    offsets: npt.NDArray[np.int64]
    first_ts: npt.NDArray[np.float64]  # (BITS, pairs)
    first_seq: npt.NDArray[np.int64]  # (BITS, pairs)
    last_seq: int  # the last audit entry read
    # Candidate position -> the purposes it declared: service principals listed apart, not
    # ranked (see the module docstring).
    services: Mapping[int, tuple[str, ...]] = field(default_factory=dict)

    def is_service(self, candidate: int) -> bool:
        return candidate in self.services

    @property
    def pairs(self) -> int:
        return int(self.pair_candidate.size)

    def rows_of(self, customer_id: str) -> slice:
        c = self.customer_index.get(customer_id)
        if c is None:
            return slice(0, 0)
        return slice(int(self.offsets[c]), int(self.offsets[c + 1]))

    def ready_at(self, rows: slice | npt.NDArray[np.intp], mask: int) -> npt.NDArray[np.float64]:
        """For these pairs, when the candidate had been shown everything in ``mask`` (+inf:
        never)."""
        bits = mask_bits(mask | SEEN_MASK)
        return np.asarray(self.first_ts[bits][:, rows].max(axis=0), dtype=np.float64)

    def exposed_counts(self, mask: int, before: float) -> npt.NDArray[np.int64]:
        """Per candidate, how many customers it had been shown ``mask`` about before ``before``."""
        bits = mask_bits(mask | SEEN_MASK)
        ready = self.first_ts[bits[0]]
        for b in bits[1:]:
            ready = np.maximum(ready, self.first_ts[b])
        hit = self.pair_candidate[ready < before]
        return np.bincount(hit, minlength=len(self.candidates)).astype(np.int64)


class ExposureIndexBuilder:
    """Accumulates accesses (streamed from the log) and reduces them into an index.

    Raw accesses are kept in compact arrays and folded into the pair table every
    ``compact_every`` rows, so memory follows the number of pairs, not of accesses.

    ``exempt_actors`` are trusted service principals whose reads are the store acting for the
    customer (the warnings sender decrypts a victim's phone to warn them), named in the
    configuration: they are always listed apart as services (with the purposes their accesses
    declared, or ``configured``), or every warned customer would "explain" the next victims
    list. Other principals of role ``service`` are listed apart while every access of theirs
    declares a purpose.
    """

    def __init__(
        self, *, compact_every: int = 4_000_000, exempt_actors: frozenset[str] = frozenset()
    ) -> None:
        self.compact_every = compact_every
        self.exempt_actors = exempt_actors
        self._customer_index: dict[str, int] = {}
        self._customer_ids: list[str] = []
        self._candidate_index: dict[str, int] = {}
        self._candidates: list[Candidate] = []
        self._actors: dict[str, int] = {}  # fast path: actor id -> candidate
        self._purposes: dict[int, set[str]] = {}  # service candidate -> declared purposes
        self._undeclared: set[int] = set()  # service candidates seen reading without a purpose
        self._exempt: set[int] = set()  # candidates of exempt_actors
        self._masks_seen: dict[tuple[object, ...], int] = {}  # served views -> mask
        self._keys = array("q")
        self._masks = array("H")
        self._ts = array("d")
        self._seqs = array("q")
        self._table: _Table = (
            np.empty(0, np.int64),
            np.empty((BITS, 0), np.float64),
            np.empty((BITS, 0), np.int64),
        )
        self.last_seq = -1
        self.entries = 0

    # -- adding ------------------------------------------------------------------------------

    def candidate(self, c: Candidate) -> int:
        i = self._candidate_index.get(c.key)
        if i is None:
            i = self._candidate_index[c.key] = len(self._candidates)
            self._candidates.append(c)
        return i

    def customer(self, customer_id: str) -> int:
        i = self._customer_index.get(customer_id)
        if i is None:
            i = self._customer_index[customer_id] = len(self._customer_ids)
            self._customer_ids.append(customer_id)
        return i

    def declare(self, candidate: int, purpose: str | None) -> None:
        """Note that service ``candidate`` read customers for ``purpose`` (None: undeclared,
        which makes it a suspect like anyone else unless it is an exempt actor)."""
        if purpose:
            self._purposes.setdefault(candidate, set()).add(purpose)
        else:
            self._undeclared.add(candidate)

    def exempt(self, candidate: int) -> None:
        """List ``candidate`` apart as a service whatever its accesses declare."""
        self._exempt.add(candidate)

    def services(self) -> dict[int, tuple[str, ...]]:
        out = {k: tuple(sorted(p)) for k, p in self._purposes.items() if k not in self._undeclared}
        for k in self._exempt:
            out[k] = tuple(sorted(self._purposes.get(k, ()))) or ("configured",)
        return dict(sorted(out.items()))

    def add(
        self,
        seq: int,
        ts: float,
        candidates: Iterable[int],
        customer_ids: Iterable[str],
        mask: int,
    ) -> None:
        """Record that each candidate was shown ``mask`` about each customer at ``ts``."""
        self.last_seq = max(self.last_seq, seq)
        self.entries += 1
        if not mask:
            return
        cands = list(candidates)
        customer = self.customer
        for cid in customer_ids:
            base = customer(cid) << 32
            for k in cands:
                self._keys.append(base | k)
                self._masks.append(mask)
                self._ts.append(ts)
                self._seqs.append(seq)
        if len(self._keys) >= self.compact_every:
            self._compact()

    def add_event(self, seq: int, event: AccessEvent) -> None:
        self._add(
            seq,
            event.ts.timestamp(),
            event.actor,
            event.role,
            event.unit,
            event.action.value,
            event.decision.value,
            event.customer_ids,
            bool(event.order_ids),
            event.fields,
            event.extra,
            event.purpose,
        )

    def add_body(self, seq: int, body: bytes) -> None:
        """Add an entry from its stored canonical JSON (cheaper than building an AccessEvent)."""
        d = json.loads(body)
        if d.get("decision") != Decision.ALLOW.value or not d.get("customer_ids"):
            self.last_seq = max(self.last_seq, seq)
            self.entries += 1
            return
        self._add(
            seq,
            datetime.fromisoformat(d["ts"]).timestamp(),
            d["actor"],
            d["role"],
            d.get("unit"),
            d["action"],
            d["decision"],
            d["customer_ids"],
            bool(d.get("order_ids")),
            d.get("fields") or {},
            d.get("extra") or {},
            d.get("purpose"),
        )

    def _add(
        self,
        seq: int,
        ts: float,
        actor: str,
        role: str,
        unit: str | None,
        action: str,
        decision: str,
        customer_ids: Sequence[str],
        has_order: bool,
        fields: Mapping[str, str],
        extra: Mapping[str, str],
        purpose: str | None = None,
    ) -> None:
        if decision != Decision.ALLOW.value or not customer_ids:
            self.add(seq, ts, (), (), 0)
            return
        key = (has_order, *fields.items())
        mask = self._masks_seen.get(key, -1)
        if mask < 0:
            mask = exposure_mask(fields, has_order)
            if len(self._masks_seen) < 4096:  # views come from the policy: few combinations
                self._masks_seen[key] = mask
        if not mask:
            # Shown nothing (a lookup, hidden views): not a candidate, so not one of Holm's tests.
            self.add(seq, ts, (), (), 0)
            return
        cands: list[int] = []
        release = extra.get("release") or ""
        partner = extra.get("partner")
        if action == Action.GRANT.value:
            # The operator who granted saw nothing; the release (and through it the partner)
            # is the source.
            if release:
                cands.append(self.candidate(Candidate("release", release, partner=partner)))
        else:
            k = self._actors.get(actor)
            if k is None:
                k = self._actors[actor] = self.candidate(Candidate("principal", actor, role, unit))
                if actor in self.exempt_actors:
                    self._exempt.add(k)
            if role == "service" or k in self._exempt:
                self.declare(k, purpose)
            cands.append(k)
            if release:
                cands.append(self.candidate(Candidate("release", release, partner=partner)))
        self.add(seq, ts, cands, customer_ids, mask)

    # -- reducing ----------------------------------------------------------------------------

    def _compact(self) -> None:
        self._table = _reduce(self._table, self._raw())
        self._keys, self._masks, self._ts, self._seqs = (
            array("q"),
            array("H"),
            array("d"),
            array("q"),
        )

    def _raw(
        self,
    ) -> tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.uint16],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
    ]:
        return (
            np.frombuffer(self._keys, dtype=np.int64).copy(),
            np.frombuffer(self._masks, dtype=np.uint16).copy(),
            np.frombuffer(self._ts, dtype=np.float64).copy(),
            np.frombuffer(self._seqs, dtype=np.int64).copy(),
        )

    def build(self) -> ExposureIndex:
        """The index of everything added so far (the builder can go on adding afterwards)."""
        if len(self._keys):
            self._compact()
        keys, first_ts, first_seq = self._table
        n = len(self._customer_ids)
        customers = (keys >> 32).astype(np.int64)
        offsets = np.searchsorted(customers, np.arange(n + 1)).astype(np.int64)
        return ExposureIndex(
            customer_ids=list(self._customer_ids),
            customer_index=dict(self._customer_index),
            candidates=list(self._candidates),
            pair_candidate=(keys & 0xFFFFFFFF).astype(np.int32),
            offsets=offsets,
            first_ts=first_ts,
            first_seq=first_seq,
            last_seq=self.last_seq,
            services=self.services(),
        )


def _reduce(
    table: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]],
    raw: tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.uint16],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
    ],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Fold raw accesses into the pair table: the earliest access per pair and bit wins (ties
    to the lower sequence number)."""
    t_keys, t_ts, t_seq = table
    keys, masks, ts, seqs = raw
    # The table, as one row per (pair, bit) it already has.
    parts_k, parts_m, parts_t, parts_s = [keys], [masks], [ts], [seqs]
    for b in range(BITS):
        have = np.isfinite(t_ts[b])
        if have.any():
            parts_k.append(t_keys[have])
            parts_m.append(np.full(int(have.sum()), 1 << b, dtype=np.uint16))
            parts_t.append(t_ts[b][have])
            parts_s.append(t_seq[b][have])
    k = np.concatenate(parts_k)
    m = np.concatenate(parts_m)
    t = np.concatenate(parts_t)
    s = np.concatenate(parts_s)
    order = np.lexsort((s, t, k))
    k, m, t, s = k[order], m[order], t[order], s[order]
    ukeys = np.unique(k)
    first_ts = np.full((BITS, ukeys.size), np.inf)
    first_seq = np.full((BITS, ukeys.size), -1, dtype=np.int64)
    for b in range(BITS):
        sel = np.flatnonzero(m & (1 << b))
        if not sel.size:
            continue
        kb = k[sel]
        first = np.ones(sel.size, dtype=bool)
        first[1:] = kb[1:] != kb[:-1]
        rows = sel[first]
        pos = np.searchsorted(ukeys, k[rows])
        first_ts[b, pos] = t[rows]
        first_seq[b, pos] = s[rows]
    return ukeys, first_ts, first_seq


Progress = Callable[[int], None]


def _no_progress(_: int) -> None:
    return None


class AuditExposure:
    """An :class:`ExposureIndex` kept up to date with the audit log.

    The first :meth:`refresh` streams the whole log once (``iter_entries``); later ones read only
    the entries appended since, fold them in and rebuild the arrays. One instance per process;
    the index lives in memory (see docs/trace.md, part 3 for its size).
    """

    def __init__(
        self, store: AuditStore, *, batch: int = 5000, exempt_actors: frozenset[str] = frozenset()
    ) -> None:
        self.store = store
        self.batch = batch
        self._builder = ExposureIndexBuilder(exempt_actors=exempt_actors)
        self._index: ExposureIndex | None = None
        self._lock = threading.Lock()

    def pending(self) -> int:
        """Entries in the log the index has not read yet."""
        with self.store.read() as tx:
            return max(0, tx.head() - 1 - self._builder.last_seq)

    def refresh(self, progress: Progress = _no_progress) -> ExposureIndex:
        with self._lock:
            b = self._builder
            with self.store.read() as tx:
                head = tx.head()
                if self._index is not None and b.last_seq >= head - 1:
                    return self._index
                if b.last_seq < 0:
                    for row in tx.iter_entries(self.batch):
                        if row.seq >= head:
                            break
                        b.add_body(row.seq, row.body)
                        progress(1)
                else:
                    start = b.last_seq + 1
                    while start < head:
                        end = min(head, start + self.batch)
                        for row in tx.entries(start, end):
                            b.add_body(row.seq, row.body)
                            progress(1)
                        start = end
                # Gaps in seq (none in a healthy log) must not make us re-read forever.
                b.last_seq = max(b.last_seq, head - 1)
            self._index = b.build()
            return self._index
