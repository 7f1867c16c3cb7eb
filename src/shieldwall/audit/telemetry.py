"""Counting the audit log's decisions for operators (an append listener)."""

from __future__ import annotations

from collections.abc import Sequence

from shieldwall.core.events import AuditRecord
from shieldwall.core.telemetry import Telemetry


class DecisionCounter:
    """Reports each committed entry's decision as ``access.<action>`` with outcome ``allow`` or
    ``deny`` (subscribe it with :meth:`~shieldwall.audit.log.MerkleAuditLog.subscribe`): every
    access custody decides is audited, so the log is where all of them pass."""

    def __init__(self, telemetry: Telemetry) -> None:
        self.telemetry = telemetry

    def __call__(self, records: Sequence[AuditRecord]) -> None:
        for record in records:
            event = record.event
            self.telemetry.decision(f"access.{event.action.value}", event.decision.value)
