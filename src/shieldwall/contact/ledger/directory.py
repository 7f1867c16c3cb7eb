"""The ledger's :class:`~shieldwall.contact.ledger.ports.Directory`, answered from custody's
store: principals, customers and orders by id. Nothing is decrypted."""

from __future__ import annotations

from datetime import datetime

from shieldwall.core.model import Principal
from shieldwall.custody.ports import CustodyStore


class CustodyDirectory:
    def __init__(self, store: CustodyStore) -> None:
        self.store = store

    def principal(self, principal_id: str) -> Principal | None:
        with self.store.read() as tx:
            record = tx.get_principal(principal_id)
        return None if record is None else record.principal

    def customer_exists(self, customer_id: str) -> bool:
        with self.store.read() as tx:
            return bool(tx.existing_customer_ids([customer_id]))

    def has_open_ticket(self, agent_id: str, customer_id: str, at: datetime) -> bool:
        with self.store.read() as tx:
            tickets = tx.open_tickets(agent_id, customer_id)
        return any(t.expires_at > at for t in tickets)

    def order_customer(self, order_id: str) -> str | None:
        with self.store.read() as tx:
            order = tx.get_order(order_id)
        return None if order is None else order.customer_id
