"""Sealing: customers and orders to and from their encrypted, indexed storage form."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from shieldwall.core.model import Customer, Order, OrderItem, PiiField
from shieldwall.custody.blind_index import INDEXED_FIELDS, BlindIndex
from shieldwall.custody.crypto import FieldContext, decrypt_field, encrypt_field
from shieldwall.custody.keys import Keyring
from shieldwall.custody.ports import Reencrypted, SealedCustomer, SealedOrder

CUSTOMER_FIELDS = tuple(f.value for f in PiiField)
ORDER_SEALED_FIELDS = ("items", "delivery_address")


class Sealer:
    """Encrypts and decrypts records field by field; computes their blind indexes."""

    def __init__(self, keyring: Keyring, index: BlindIndex, tenant: str) -> None:
        self.keyring = keyring
        self.index = index
        self.tenant = tenant

    # -- customers ---------------------------------------------------------------------------

    def seal_customer(self, customer: Customer, now: datetime) -> SealedCustomer:
        version = self.keyring.active_field_version()
        cts = {
            f: self._seal("customers", f, customer.customer_id, getattr(customer, f), version)
            for f in CUSTOMER_FIELDS
        }
        indexes = {
            f: None if getattr(customer, f) is None else self.index.digest(f, getattr(customer, f))
            for f in INDEXED_FIELDS
        }
        return SealedCustomer(customer.customer_id, cts, indexes, version, now)

    def open_customer(self, sealed: SealedCustomer, fields: Iterable[str]) -> dict[str, str | None]:
        """Decrypt only ``fields`` of a customer (the ones the caller's view needs)."""
        return {
            f: self._open("customers", f, sealed.customer_id, sealed.ciphertexts.get(f))
            for f in fields
        }

    def reseal_customer(self, sealed: SealedCustomer, version: int) -> Reencrypted:
        plain = self.open_customer(sealed, CUSTOMER_FIELDS)
        return Reencrypted(
            sealed.customer_id,
            {
                f: self._seal("customers", f, sealed.customer_id, v, version)
                for f, v in plain.items()
            },
        )

    # -- orders ------------------------------------------------------------------------------

    def seal_order(self, order: Order) -> SealedOrder:
        version = self.keyring.active_field_version()
        items = json.dumps(
            [[i.sku, i.title, i.quantity, i.unit_price_cents] for i in order.items],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        items_ct = self._seal("orders", "items", order.order_id, items, version)
        assert items_ct is not None  # noqa: S101 - items is never None
        return SealedOrder(
            order_id=order.order_id,
            customer_id=order.customer_id,
            items_ct=items_ct,
            delivery_address_ct=self._seal(
                "orders", "delivery_address", order.order_id, order.delivery_address, version
            ),
            amount_cents=order.amount_cents,
            status=order.status,
            created_at=order.created_at,
            key_version=version,
            paid_at=order.paid_at,
            shipped_at=order.shipped_at,
            delivered_at=order.delivered_at,
            refunded_at=order.refunded_at,
        )

    def open_items(self, sealed: SealedOrder) -> tuple[OrderItem, ...]:
        raw = self._open("orders", "items", sealed.order_id, sealed.items_ct) or "[]"
        return tuple(OrderItem(s, t, int(q), int(p)) for s, t, q, p in json.loads(raw))

    def open_delivery_address(self, sealed: SealedOrder) -> str | None:
        return self._open("orders", "delivery_address", sealed.order_id, sealed.delivery_address_ct)

    def reseal_order(self, sealed: SealedOrder, version: int) -> Reencrypted:
        oid = sealed.order_id
        items = self._open("orders", "items", oid, sealed.items_ct)
        address = self.open_delivery_address(sealed)
        return Reencrypted(
            oid,
            {
                "items": self._seal("orders", "items", oid, items, version),
                "delivery_address": self._seal("orders", "delivery_address", oid, address, version),
            },
        )

    # -- primitives --------------------------------------------------------------------------

    def _seal(
        self, table: str, field: str, record_id: str, value: str | None, version: int
    ) -> bytes | None:
        if value is None:
            return None
        key = self.keyring.field_key(f"{table}.{field}", version)
        return encrypt_field(
            key, version, FieldContext(self.tenant, table, field, record_id), value.encode()
        )

    def _open(self, table: str, field: str, record_id: str, token: bytes | None) -> str | None:
        if token is None:
            return None
        purpose = f"{table}.{field}"
        plain = decrypt_field(
            lambda v: self.keyring.field_key(purpose, v),
            FieldContext(self.tenant, table, field, record_id),
            token,
        )
        return plain.decode()
