"""Relay numbers (the privacy waybill): a courier sees a virtual number, never the phone.

A binding maps (relay number, courier) to one order's customer. The same number can serve many
couriers at once (each pair is distinct, as in AXB privacy-number platforms), never two live
orders of one courier. A binding lives until the order is delivered plus a grace period.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from shieldwall.core.clock import Clock, utc
from shieldwall.core.events import Action, Decision
from shieldwall.core.ids import new_id
from shieldwall.core.model import Principal, Role
from shieldwall.custody import masking
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.errors import AccessDenied, CustodyError, ValidationError
from shieldwall.custody.ports import AuditSink, CustodyStore, CustodyTx, RelayBinding, SealedOrder
from shieldwall.custody.sealing import Sealer

_DIGITS = re.compile(r"\D")
MAX_ALLOCATION_TRIES = 64


@dataclass(frozen=True, slots=True)
class RelayResolution:
    """Where a call from ``courier`` to ``relay_number`` is connected."""

    relay_number: str
    courier_id: str
    order_id: str
    customer_id: str
    target_e164: str  # the switch dials this; never shown to the courier
    target_masked: str
    expires_at: datetime | None


class RelayNumbers:
    def __init__(
        self,
        store: CustodyStore,
        sealer: Sealer,
        audit: AuditSink,
        clock: Clock,
        *,
        prefix: str,
        digits: int,
        grace: timedelta,
    ) -> None:
        if len(prefix) >= digits:
            raise CustodyError(
                "relay prefix must be shorter than the number", code="invalid_config"
            )
        self.store = store
        self.sealer = sealer
        self.audit = audit
        self.clock = clock
        self.prefix = prefix
        self.digits = digits
        self.grace = grace

    def binding_for(self, courier_id: str, order: SealedOrder) -> RelayBinding:
        """The courier's live binding for the order, created on first use."""
        now = self.clock.now()
        with self.store.read() as tx:
            existing = tx.relay_binding(courier_id, order.order_id)
        if existing is not None and _live(existing, now):
            return existing
        with self.store.write() as tx:
            existing = tx.relay_binding(courier_id, order.order_id)
            if existing is not None and _live(existing, now):
                return existing
            return self._allocate(tx, courier_id, order, now)

    def _allocate(
        self, tx: CustodyTx, courier_id: str, order: SealedOrder, now: datetime
    ) -> RelayBinding:
        in_use = tx.relay_numbers_in_use(courier_id, now)
        for _ in range(MAX_ALLOCATION_TRIES):
            tail = "".join(
                secrets.choice("0123456789") for _ in range(self.digits - len(self.prefix))
            )
            number = self.prefix + tail
            if number not in in_use:
                break
        else:
            raise CustodyError(
                "relay number pool exhausted for this courier", code="relay_exhausted"
            )
        expires = None if order.delivered_at is None else utc(order.delivered_at) + self.grace
        binding = RelayBinding(
            new_id("rly"), number, courier_id, order.order_id, order.customer_id, now, expires
        )
        tx.insert_relay_binding(binding)
        return binding

    def resolve(self, number: str, courier: Principal, *, channel: str = "api") -> RelayResolution:
        """Where would a call from ``courier`` to ``number`` be connected? Refuses otherwise."""
        digits = _DIGITS.sub("", number or "")
        if not self.prefix.isdigit() or len(digits) != self.digits:
            raise ValidationError(f"must be a {self.digits}-digit relay number", field="number")
        now = self.clock.now()
        with self.store.read() as tx:
            bindings = tx.relay_bindings_by_number(digits, courier.principal_id)
            live = [b for b in bindings if _live(b, now)]
            customer = tx.get_customer(live[0].customer_id) if live else None
        reason = "bound" if live else ("expired" if bindings else "unknown_number")
        if courier.role is not Role.COURIER:
            live, reason = [], "not_a_courier"
        event = access_event(
            now,
            courier,
            Action.RELAY_RESOLVE,
            Decision.ALLOW if live else Decision.DENY,
            reason,
            channel=channel,
            purpose="delivery",
            customer_ids=[live[0].customer_id] if live else [],
            order_ids=[live[0].order_id] if live else [],
            fields={"phone": "relay"} if live else {},
        )
        self.audit.append([event])
        if not live or customer is None:
            text = {
                "expired": "the binding expired after delivery",
                "unknown_number": "this number is not bound to this courier",
                "not_a_courier": "only couriers call through relay numbers",
            }.get(reason, reason)
            raise AccessDenied(f"relay refused: {text}", [reason])
        binding = live[0]
        phone = self.sealer.open_customer(customer, ["phone"])["phone"] or ""
        return RelayResolution(
            binding.relay_number,
            binding.courier_id,
            binding.order_id,
            binding.customer_id,
            phone,
            masking.phone(phone),
            binding.expires_at,
        )


def _live(binding: RelayBinding, now: datetime) -> bool:
    return binding.expires_at is None or utc(binding.expires_at) > now
