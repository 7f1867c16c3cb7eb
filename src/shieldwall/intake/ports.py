"""What the intake needs from storage: the record of events already processed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from shieldwall.core.events import AccessEvent

Result = dict[str, Any]


class ProcessedEvents(Protocol):
    """``(kind, event_id)`` pairs already processed, each with the result it gave (decisions and
    identifiers only, never personal data)."""

    def known(self, kind: str, event_ids: Sequence[str]) -> dict[str, Result]:
        """The stored results of those of ``event_ids`` already processed."""
        ...

    def record(self, kind: str, results: Mapping[str, Result], now: datetime) -> None:
        """Record ``results`` by event id; an id recorded meanwhile keeps its first result."""
        ...

    def record_with_audit(
        self, kind: str, items: Sequence[tuple[str, Result, AccessEvent]], now: datetime
    ) -> tuple[list[str], list[int]]:
        """In one transaction: record each ``(event_id, result, event)`` not yet recorded and
        stage its access event in the audit outbox. Returns the event ids recorded now and
        their outbox ids (for ``MerkleAuditLog.log_staged``), in the same order."""
        ...
