"""Building the access events custody appends, in one place, so every entry has the same shape."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.core.model import Principal, Role

# The local operator: whoever runs the CLI on the host that holds the key file. It can decrypt
# everything anyway, so it acts with admin rights; its actions are audited with channel "cli".
OPERATOR = Principal("operator", Role.ADMIN, None, "local operator")


def access_event(
    now: datetime,
    actor: Principal,
    action: Action,
    decision: Decision,
    reason: str,
    *,
    channel: str,
    purpose: str | None = None,
    customer_ids: Iterable[str] = (),
    order_ids: Iterable[str] = (),
    fields: Mapping[str, str] | None = None,
    ticket_id: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> AccessEvent:
    return AccessEvent(
        ts=now,
        actor=actor.principal_id,
        role=actor.role.value,
        unit=actor.unit,
        action=action,
        decision=decision,
        reason=reason,
        purpose=purpose,
        customer_ids=tuple(customer_ids),
        order_ids=tuple(order_ids),
        fields=dict(fields or {}),
        ticket_id=ticket_id,
        channel=channel,
        extra=dict(extra or {}),
    )
