"""Access events: what custody appends to the audit log and what trace reads from it.

An event names who did what to which records, through which view and why. It carries
identifiers (customer and order ids, ticket ids) and field *names*, never field values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    READ = "read"
    LOOKUP = "lookup"
    REVEAL = "reveal"
    EXPORT = "export"
    BREAK_GLASS = "break_glass"
    IMPORT = "import"
    TICKET_OPEN = "ticket_open"
    TICKET_CLOSE = "ticket_close"
    ASSIGN = "assign"
    ORDER_STATUS = "order_status"
    RELAY_RESOLVE = "relay_resolve"
    POLICY_CHANGE = "policy_change"
    KEY_ROTATE = "key_rotate"
    PRINCIPAL_ADD = "principal_add"
    PRINCIPAL_STATUS = "principal_status"  # a principal suspended or reinstated
    GRANT = "grant"
    NOTIFY = "notify"  # a system component decrypted a contact point to send a notification
    CONTACT = "contact"  # a genuine outbound contact was registered in the contact ledger
    CASE = "case"  # an incident case opened, moved, assigned or linked (respond)
    EVIDENCE = "evidence"  # evidence received, read or exported (respond's chain of custody)
    VICTIM = "victim"  # the victims register changed (respond: a list, a status, a contact)
    CLAIM = "claim"  # a compensation claim changed (respond)
    LEDGER = "ledger"  # a posting to the compensation ledger (respond)


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One audited action. ``fields`` maps field name to the view that was served."""

    ts: datetime
    actor: str
    role: str
    action: Action
    decision: Decision
    reason: str
    unit: str | None = None
    purpose: str | None = None
    customer_ids: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    ticket_id: str | None = None
    channel: str = "api"
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ts": self.ts.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": self.actor,
            "role": self.role,
            "unit": self.unit,
            "action": self.action.value,
            "decision": self.decision.value,
            "reason": self.reason,
            "purpose": self.purpose,
            "customer_ids": list(self.customer_ids),
            "order_ids": list(self.order_ids),
            "fields": dict(self.fields),
            "ticket_id": self.ticket_id,
            "channel": self.channel,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AccessEvent:
        return cls(
            ts=datetime.fromisoformat(data["ts"]),
            actor=data["actor"],
            role=data["role"],
            unit=data.get("unit"),
            action=Action(data["action"]),
            decision=Decision(data["decision"]),
            reason=data["reason"],
            purpose=data.get("purpose"),
            customer_ids=tuple(data.get("customer_ids", ())),
            order_ids=tuple(data.get("order_ids", ())),
            fields=dict(data.get("fields", {})),
            ticket_id=data.get("ticket_id"),
            channel=data.get("channel", "api"),
            extra=dict(data.get("extra", {})),
        )

    def canonical_bytes(self, seq: int) -> bytes:
        """The exact bytes hashed into the Merkle log: sorted-key compact JSON with ``seq``.

        Binding the sequence number into the leaf makes a reordered row fail verification.
        """
        body = self.to_dict()
        body["seq"] = seq
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An event as stored: its position in the log and its RFC 6962 leaf hash."""

    seq: int
    event: AccessEvent
    leaf_hash: bytes
