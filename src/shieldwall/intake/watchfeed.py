"""The insider watch partitioned by principal: the audit log relayed to ``p.watch.<i>``.

Audit entries land in the audit log first, as always (reads through custody from the API,
record reads from the intake). The :class:`AuditRelay` forwards the log, in sequence order, to
the partition of each entry's actor (``partition_of(actor, N)``); entries that teach the watch
about relationships (tickets, assignments, grants, order status: every action a detector does
not score) go to every partition, since a ticket opened by one principal explains another's
reads. Each message carries ``Nats-Msg-Id`` ``audit:<seq>:<i>``, so a relay restarted before
saving its cursor re-publishes into JetStream's duplicate window and nothing is stored twice.

A partition's consumer runs its own :class:`~shieldwall.trace.watch.engine.Watch` (its own
state, cursor and lease) over its messages. The watch skips an entry at or below the last one it
applied, so a redelivery counts nothing twice. Messages do not always arrive in sequence order:
JetStream redelivers the messages a killed worker held (or a batch put back with a delay) only
after their wait, and hands newer ones out meanwhile. So each message also carries ``prev``,
the sequence number of the entry the relay sent to the same partition just before (None for a
relay's first message to a partition since it started); when ``prev`` is above the last entry
the watch applied, or unknown, the entries in between are read from the log
(:func:`entries_between`) and applied first, and their messages, when they come, are skipped.
Peer baselines are computed within a partition (a random sample of each role's principals);
with few principals per role, keep the partition count small.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shieldwall.core.alerts import Alert
from shieldwall.core.events import AccessEvent, AuditRecord
from shieldwall.intake.subjects import partition_of
from shieldwall.trace.watch.model import ACCESS_ACTIONS
from shieldwall.trace.watch.ports import AlertStore, AuditSource


def partitions_for(record: AuditRecord, partitions: int) -> list[int]:
    """The partitions an entry goes to: its actor's for a scored access, all otherwise."""
    if record.event.action in ACCESS_ACTIONS:
        return [partition_of(record.event.actor, partitions)]
    return list(range(partitions))


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One message of ``p.watch.<i>``: an audit entry, and ``prev``, the sequence number of
    the entry the relay sent to the same partition just before it (None when the relay had
    sent it none since it started)."""

    record: AuditRecord
    prev: int | None = None


def encode_record(record: AuditRecord, prev: int | None = None) -> bytes:
    """An entry as the relay publishes it (identifiers and field names only, like the log)."""
    return json.dumps(
        {
            "seq": record.seq,
            "prev": prev,
            "leaf": record.leaf_hash.hex(),
            "event": record.event.to_dict(),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def decode_entry(raw: bytes) -> FeedEntry:
    data = json.loads(raw)
    record = AuditRecord(
        int(data["seq"]), AccessEvent.from_dict(data["event"]), bytes.fromhex(data["leaf"])
    )
    prev = data.get("prev")
    return FeedEntry(record, None if prev is None else int(prev))


def decode_record(raw: bytes) -> AuditRecord:
    return decode_entry(raw).record


def entries_between(
    source: AuditSource, after: int, before: int, page: int = 1000
) -> list[AuditRecord]:
    """The entries of ``source`` with ``after < seq < before``, in order, a page at a time
    (of a :class:`PartitionSource`, the partition's: its ``read`` may look past ``before``)."""
    out: list[AuditRecord] = []
    while after < before - 1:
        got = [r for r in source.read(after, min(page, before - 1 - after)) if r.seq < before]
        if not got:
            break
        out.extend(got)
        after = got[-1].seq
    return out


class PartitionSource:
    """The audit log as one partition's watch sees it (for its warm-up and replay from the
    log after a restart): entries of other partitions' actors are left out.

    An :class:`~shieldwall.trace.watch.ports.AuditSource`, not an ``AuditFeed``: new entries
    reach the partition from the stream (``p.watch.<i>``), never by subscribing to the log."""

    def __init__(self, log: AuditSource, partition: int, partitions: int) -> None:
        self.log = log
        self.partition = partition
        self.partitions = partitions

    def mine(self, record: AuditRecord) -> bool:
        return self.partition in partitions_for(record, self.partitions)

    def read(self, after_seq: int, limit: int = 1000) -> list[AuditRecord]:
        """This partition's entries after ``after_seq``, scanning pages until some are found
        or the log ends (a page of other partitions' entries is not the end)."""
        while True:
            page = self.log.read(after_seq, limit)
            if not page:
                return []
            mine = [r for r in page if self.mine(r)]
            if mine:
                return mine
            after_seq = page[-1].seq

    def size(self) -> int:
        return self.log.size()

    def entry(self, seq: int) -> AuditRecord:
        return self.log.entry(seq)


class AlertTap:
    """An :class:`AlertStore` that also hands each newly raised alert to ``on_raise`` (the
    worker publishes them to ``p.alerts`` after the batch)."""

    def __init__(self, inner: AlertStore, on_raise: Callable[[Alert], None]) -> None:
        self.inner = inner
        self.on_raise = on_raise

    def raise_alert(self, alert: Alert) -> None:
        self.inner.raise_alert(alert)
        self.on_raise(alert)

    def update_alert(self, alert: Alert) -> bool:
        return self.inner.update_alert(alert)

    def open_alert(self, principal_id: str, kind: str) -> Alert | None:
        return self.inner.open_alert(principal_id, kind)


def split(records: Sequence[AuditRecord], partitions: int) -> list[tuple[int, AuditRecord]]:
    """``(partition, record)`` for each message the relay publishes, in log order."""
    return [(p, r) for r in records for p in partitions_for(r, partitions)]
