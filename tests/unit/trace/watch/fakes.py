"""An in-memory audit log with the reading and listening side of ``MerkleAuditLog``."""

from __future__ import annotations

from collections.abc import Sequence

from shieldwall.core.events import AccessEvent, AuditRecord
from shieldwall.trace.watch.ports import Listener


class FakeLog:
    def __init__(self, records: Sequence[AuditRecord] = ()) -> None:
        self.records = list(records)
        self.listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def append(self, events: Sequence[AccessEvent]) -> list[AuditRecord]:
        start = len(self.records)
        new = [AuditRecord(start + i, e, b"") for i, e in enumerate(events)]
        self.records.extend(new)
        for listener in self.listeners:
            listener(new)
        return new

    def read(self, after_seq: int, limit: int = 1000) -> list[AuditRecord]:
        return self.records[after_seq + 1 : after_seq + 1 + limit]

    def size(self) -> int:
        return len(self.records)

    def entry(self, seq: int) -> AuditRecord:
        return self.records[seq]
