"""The watch feed: which partitions an entry goes to, its encoding, a partition's log view."""

from __future__ import annotations

from datetime import UTC, datetime

from shieldwall.core.events import AccessEvent, Action, AuditRecord, Decision
from shieldwall.intake.subjects import partition_of
from shieldwall.intake.watchfeed import (
    FeedEntry,
    PartitionSource,
    decode_entry,
    decode_record,
    encode_record,
    entries_between,
    partitions_for,
    split,
)

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def record(seq: int, actor: str, action: Action = Action.READ) -> AuditRecord:
    event = AccessEvent(
        T, actor, "agent", action, Decision.ALLOW, "ok", unit="cs-1", customer_ids=("C1",)
    )
    return AuditRecord(seq, event, bytes([seq % 256]) * 32)


def test_reads_go_to_the_actor_and_relationships_everywhere() -> None:
    """A read goes to its actor's partition; a ticket opened goes to all of them."""
    r = record(1, "agent-7")
    assert partitions_for(r, 5) == [partition_of("agent-7", 5)]
    assert partitions_for(record(2, "agent-7", Action.TICKET_OPEN), 5) == [0, 1, 2, 3, 4]
    pairs = split([r, record(2, "x", Action.ASSIGN)], 3)
    assert [p for p, _ in pairs][1:] == [0, 1, 2] and pairs[0][1] is r


def test_record_round_trip() -> None:
    """What the relay publishes decodes to the same record, with the ``prev`` it was sent with."""
    r = record(42, "agent-1")
    back = decode_record(encode_record(r))
    assert back == r
    assert decode_entry(encode_record(r, 17)) == FeedEntry(r, 17)
    assert decode_entry(encode_record(r)) == FeedEntry(r, None)


class Log:
    def __init__(self, records: list[AuditRecord]) -> None:
        self.records = records

    def read(self, after_seq: int, limit: int = 1000) -> list[AuditRecord]:
        return [r for r in self.records if r.seq > after_seq][:limit]

    def size(self) -> int:
        return len(self.records)

    def entry(self, seq: int) -> AuditRecord:
        return self.records[seq]


def test_partition_source_skips_pages_of_other_partitions() -> None:
    """A page holding none of this partition's entries is not the end of the log."""
    mine, other = "agent-a", "agent-b"
    assert partition_of(mine, 2) != partition_of(other, 2)
    records = [record(i, other) for i in range(10)] + [record(10, mine), record(11, other)]
    src = PartitionSource(Log(records), partition_of(mine, 2), 2)
    got = src.read(-1, limit=3)
    assert [r.seq for r in got] == [10]
    assert src.read(10, limit=3) == []
    assert src.size() == 12


def test_a_partition_source_reads_the_log_but_offers_no_subscription() -> None:
    """A partition is fed from the stream: it is an AuditSource with no ``subscribe`` at all
    (no method that only raises), while the audit log itself is an AuditFeed."""
    from shieldwall.audit.log import MerkleAuditLog
    from shieldwall.trace.watch.ports import AuditFeed, AuditSource

    src: AuditSource = PartitionSource(Log([record(0, "agent-a")]), 0, 1)
    assert not hasattr(src, "subscribe")
    assert [r.seq for r in src.read(-1)] == [0]
    assert callable(getattr(MerkleAuditLog, "subscribe", None))
    feed_methods = {"read", "size", "entry", "subscribe"}
    assert all(callable(getattr(MerkleAuditLog, m, None)) for m in feed_methods)
    assert AuditFeed.__mro__[1] is AuditSource


def test_entries_between_reads_only_the_gap() -> None:
    """A partition's entries strictly between two sequence numbers, across pages of other
    partitions' entries, and none at or past the upper bound."""
    mine, other = "agent-a", "agent-b"
    records = [record(i, mine if i in (3, 7, 8, 12) else other) for i in range(15)]
    src = PartitionSource(Log(records), partition_of(mine, 2), 2)
    assert [r.seq for r in entries_between(src, 3, 12, page=2)] == [7, 8]
    assert [r.seq for r in entries_between(src, -1, 12)] == [3, 7, 8]
    assert entries_between(src, 8, 12) == [] and entries_between(src, 7, 8) == []
