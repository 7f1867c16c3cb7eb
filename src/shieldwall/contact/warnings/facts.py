"""Warnings' :class:`~shieldwall.contact.warnings.ports.OrderFacts`, answered from custody's
store through its interface. Only ids, statuses and times are read; nothing is decrypted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from shieldwall.custody.ports import CustodyStore, SealedOrder


class CustodyOrderFacts:
    def __init__(self, store: CustodyStore) -> None:
        self.store = store

    def existing(self, customer_ids: Iterable[str]) -> set[str]:
        with self.store.read() as tx:
            return tx.existing_customer_ids(customer_ids)

    def orders(self, customer_ids: Sequence[str], since: datetime) -> list[SealedOrder]:
        with self.store.read() as tx:
            return tx.orders_of_customers(customer_ids, since)
