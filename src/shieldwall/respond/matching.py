"""The register's view of custody (:class:`~shieldwall.respond.victims.VictimLookups`):
customers found through custody's blind indexes and orders, never by decrypting anything.

Unmatched rows are kept under the same blind-index digests custody stores for its customers (so
a victim who becomes a customer later is found again by equality), and order numbers under an
HMAC with the register's own key (``respond.victims``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from shieldwall.custody.blind_index import INDEX_BYTES, BlindIndex
from shieldwall.custody.ports import CustodyStore
from shieldwall.respond.victims import Keys, VictimRow

KEY_PURPOSE = "respond.victims"


class CustodyLookups:
    def __init__(self, store: CustodyStore, index: BlindIndex, order_key: bytes) -> None:
        self.store = store
        self.index = index
        self._order_key = order_key

    def by_phone(self, e164: str) -> list[str]:
        with self.store.read() as tx:
            return tx.find_customers("phone", self.index.digest("phone", e164))

    def by_national_id(self, national_id: str) -> list[str]:
        with self.store.read() as tx:
            return tx.find_customers("national_id", self.index.digest("national_id", national_id))

    def by_digest(self, field: str, digest: bytes) -> list[str]:
        with self.store.read() as tx:
            return tx.find_customers(field, digest)

    def order_customer(self, order_id: str) -> str | None:
        with self.store.read() as tx:
            order = tx.get_order(order_id)
        return None if order is None else order.customer_id

    def existing(self, customer_ids: Sequence[str]) -> set[str]:
        if not customer_ids:
            return set()
        with self.store.read() as tx:
            return tx.existing_customer_ids(list(customer_ids))

    def keys(self, row: VictimRow) -> Keys:
        return Keys(
            phone=None if row.phone is None else self.index.digest("phone", row.phone),
            national_id=None
            if row.national_id is None
            else self.index.digest("national_id", row.national_id),
            order=None if row.order_id is None else self._order(row.order_id),
        )

    def _order(self, order_id: str) -> bytes:
        mac = hmac.new(self._order_key, f"order\x1f{order_id}".encode(), hashlib.sha256)
        return mac.digest()[:INDEX_BYTES]
