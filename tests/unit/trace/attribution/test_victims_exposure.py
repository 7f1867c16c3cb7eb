"""The exposure index: which views show what, one pass over the log, incremental refresh, and
compaction that never changes the answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.audit.ports import EntryRow
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.trace.attribution.exposure import (
    AuditExposure,
    Candidate,
    ExposureIndex,
    ExposureIndexBuilder,
    Knowledge,
    exposure_mask,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def bit(*ks: Knowledge) -> int:
    return sum(1 << k for k in ks)


def test_views_that_show_and_that_do_not() -> None:
    """clear/granted show a field; relay shows the phone; masked only the record; the rest
    nothing; an order access also shows the order number."""
    assert exposure_mask({"name": "clear"}) == bit(Knowledge.SEEN, Knowledge.NAME)
    assert exposure_mask({"phone": "granted"}) == bit(Knowledge.SEEN, Knowledge.PHONE)
    assert exposure_mask({"phone": "relay"}) == bit(Knowledge.SEEN, Knowledge.PHONE)
    assert exposure_mask({"name": "relay"}) == bit(Knowledge.SEEN)
    assert exposure_mask({"phone": "masked", "name": "masked"}) == bit(Knowledge.SEEN)
    assert exposure_mask({"delivery_address": "clear"}) == bit(Knowledge.SEEN, Knowledge.ADDRESS)
    assert exposure_mask({"name": "hidden", "phone": "pseudonym", "email": "derived"}) == 0
    assert exposure_mask({"items": "clear"}, has_order=True) == bit(
        Knowledge.SEEN, Knowledge.ITEMS, Knowledge.ORDER
    )
    assert exposure_mask({}, has_order=True) == 0


def event(
    action: Action = Action.READ,
    decision: Decision = Decision.ALLOW,
    customers: tuple[str, ...] = ("C1",),
    fields: dict[str, str] | None = None,
    at: datetime = T0,
    actor: str = "agent-1",
    extra: dict[str, str] | None = None,
) -> AccessEvent:
    return AccessEvent(
        at,
        actor,
        "agent",
        action,
        decision,
        "r",
        customer_ids=customers,
        fields=fields if fields is not None else {"name": "clear"},
        extra=extra or {},
    )


def test_denied_and_fieldless_events_are_not_exposures() -> None:
    """A denial, a ticket open and a lookup show nothing and make no candidate."""
    b = ExposureIndexBuilder()
    b.add_event(0, event(decision=Decision.DENY))
    b.add_event(1, event(Action.TICKET_OPEN, fields={}))
    b.add_event(2, event(Action.LOOKUP, fields={}))
    idx = b.build()
    assert idx.pairs == 0 and idx.last_seq == 2


def test_export_with_a_release_names_both_the_exporter_and_the_release() -> None:
    """An export tied to a release is a source twice: who exported, and the release."""
    b = ExposureIndexBuilder()
    b.add_event(0, event(Action.EXPORT, extra={"release": "rel-1", "partner": "p"}))
    assert {c.key for c in b.build().candidates} == {"principal:agent-1", "release:rel-1"}


def test_first_exposure_per_bit_wins_whatever_the_order() -> None:
    """Out-of-order entries: each bit keeps its earliest time and that entry's seq."""
    b = ExposureIndexBuilder()
    b.add_event(0, event(fields={"name": "clear"}, at=T0 + timedelta(hours=2)))
    b.add_event(1, event(fields={"name": "clear", "phone": "clear"}, at=T0))
    idx = b.build()
    rows = idx.rows_of("C1")
    assert idx.first_seq[Knowledge.NAME, rows].tolist() == [1]
    assert idx.first_seq[Knowledge.PHONE, rows].tolist() == [1]
    assert idx.ready_at(rows, bit(Knowledge.NAME)).tolist() == [T0.timestamp()]
    assert idx.rows_of("nobody") == slice(0, 0)


Access = tuple[int, int, int, int]  # customer, candidate, mask, minutes


def build(accesses: list[Access], compact_every: int, split: int) -> ExposureIndex:
    b = ExposureIndexBuilder(compact_every=compact_every)
    for n, (c, k, m, minutes) in enumerate(accesses):
        if n == split:
            b.build()
        cand = b.candidate(Candidate("principal", f"p{k}"))
        b.add(n, (T0 + timedelta(minutes=minutes)).timestamp(), [cand], [f"C{c}"], m)
    return b.build()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 3), st.integers(0, 511), st.integers(0, 50)),
        max_size=60,
    ),
    st.integers(1, 20),
    st.integers(0, 60),
)
def test_compaction_and_incremental_builds_do_not_change_the_index(
    accesses: list[Access], compact_every: int, split: int
) -> None:
    """Folding raw rows early or building halfway gives the same index as one pass."""
    one = build(accesses, 10_000_000, -1)
    other = build(accesses, compact_every, split)
    assert list(one.customer_ids) == list(other.customer_ids)
    assert np.array_equal(one.pair_candidate, other.pair_candidate)
    assert np.array_equal(one.offsets, other.offsets)
    assert np.array_equal(one.first_ts, other.first_ts)
    assert np.array_equal(one.first_seq, other.first_seq)


class FakeTx:
    def __init__(self, rows: list[EntryRow]) -> None:
        self.rows = rows

    def head(self) -> int:
        return len(self.rows)

    def iter_entries(self, batch: int = 5000) -> Iterator[EntryRow]:
        yield from list(self.rows)

    def entries(self, start: int, end: int) -> list[EntryRow]:
        return [r for r in self.rows if start <= r.seq < end]


class FakeStore:
    """An audit store holding canonical rows in memory."""

    def __init__(self) -> None:
        self.rows: list[EntryRow] = []
        self.reads = 0

    def append(self, e: AccessEvent) -> None:
        seq = len(self.rows)
        self.rows.append(EntryRow(seq, e.ts, e.actor, e.action.value, e.canonical_bytes(seq), b""))

    @contextmanager
    def read(self) -> Iterator[FakeTx]:
        self.reads += 1
        yield FakeTx(self.rows)


def test_refresh_reads_only_new_entries() -> None:
    """The first refresh streams the log; later ones fold in appended entries only."""
    store = FakeStore()
    store.append(event(customers=("C1", "C2")))
    exposure = AuditExposure(store, batch=2)  # type: ignore[arg-type]
    counted: list[int] = []
    first = exposure.refresh(counted.append)
    assert first.pairs == 2 and sum(counted) == 1 and exposure.pending() == 0
    assert exposure.refresh() is first  # nothing new: the same index
    for i in range(5):
        store.append(event(customers=(f"C{i + 3}",), actor="agent-2"))
    counted.clear()
    second = exposure.refresh(counted.append)
    assert sum(counted) == 5 and second.pairs == 7 and second.last_seq == 5
    assert {c.candidate_id for c in second.candidates} == {"agent-1", "agent-2"}
