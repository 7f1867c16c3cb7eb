"""What custody needs from the outside world, as interfaces. ``shieldwall.storage`` implements
them on SQLite and PostgreSQL; tests use the in-memory fakes in ``tests/unit/custody/fakes.py``.

A :class:`CustodyStore` opens transactions; a :class:`CustodyTx` is one transaction's view of
the tables. Sealed rows hold ciphertexts and blind indexes only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from shieldwall.core.alerts import Alert
from shieldwall.core.events import AccessEvent
from shieldwall.core.model import Assignment, Grant, OrderStatus, Principal, Ticket

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SealedCustomer:
    customer_id: str
    ciphertexts: Mapping[str, bytes | None]  # "name", "phone", ... -> token
    indexes: Mapping[str, bytes | None]  # "phone", "email", "national_id" -> blind index
    key_version: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SealedOrder:
    order_id: str
    customer_id: str
    items_ct: bytes
    delivery_address_ct: bytes | None
    amount_cents: int
    status: OrderStatus
    created_at: datetime
    key_version: int
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    refunded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PrincipalRecord:
    principal: Principal
    key_id: str | None
    key_hash: bytes | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RelayBinding:
    binding_id: str
    relay_number: str
    courier_id: str
    order_id: str
    customer_id: str
    created_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reencrypted:
    """New ciphertexts for one row during rotation."""

    record_id: str
    ciphertexts: Mapping[str, bytes | None] = field(default_factory=dict)


class CustodyTx(Protocol):
    """One transaction over the custody tables."""

    # audit outbox
    def stage_audit(self, events: Sequence[AccessEvent]) -> list[int]:
        """Stage audit events in this transaction: they are logged if and only if it commits.
        Returns their outbox ids, for :meth:`OutboxAuditSink.log_staged` after the commit."""
        ...

    # customers
    def insert_customers(self, rows: Sequence[SealedCustomer]) -> None: ...
    def existing_customer_ids(self, ids: Iterable[str]) -> set[str]: ...
    def get_customer(self, customer_id: str) -> SealedCustomer | None: ...
    def customer_and_open_tickets(
        self, customer_id: str, agent_id: str
    ) -> tuple[SealedCustomer | None, list[Ticket]]:
        """The customer (None if unknown) and ``agent_id``'s open tickets for them, latest
        expiry first, as :meth:`get_customer` and :meth:`open_tickets` would return them, in
        one statement: a masked read through a ticket needs both."""
        ...

    def find_customers(self, field: str, digest: bytes) -> list[str]: ...
    def count_customers(self) -> int: ...

    # orders
    def insert_orders(self, rows: Sequence[SealedOrder]) -> None: ...
    def existing_order_ids(self, ids: Iterable[str]) -> set[str]: ...
    def get_order(self, order_id: str) -> SealedOrder | None: ...
    def orders_of(self, customer_id: str, limit: int) -> list[SealedOrder]: ...
    def set_order_status(self, order_id: str, status: OrderStatus, at: datetime) -> None: ...
    def orders_of_customers(
        self, customer_ids: Iterable[str], since: datetime
    ) -> list[SealedOrder]:
        """Orders of these customers created, shipped, delivered or refunded at or after
        ``since``, or still in transit (contact's warnings read statuses and times only)."""
        ...

    # principals
    def insert_principal(self, record: PrincipalRecord) -> None: ...
    def get_principal(self, principal_id: str) -> PrincipalRecord | None: ...
    def principal_by_key_id(self, key_id: str) -> PrincipalRecord | None: ...
    def list_principals(self) -> list[PrincipalRecord]: ...
    def set_principal_key(self, principal_id: str, key_id: str, key_hash: bytes) -> None: ...
    def set_principal_active(self, principal_id: str, active: bool) -> None: ...
    def bump_principals_version(self) -> None:
        """Count one change to any principal's status or key (same transaction as the change)."""
        ...

    def principals_version(self) -> int:
        """The count of such changes: a cheap single-row read every worker polls."""
        ...

    # relationships
    def insert_ticket(self, ticket: Ticket) -> None: ...
    def get_ticket(self, ticket_id: str) -> Ticket | None: ...
    def open_tickets(self, agent_id: str, customer_id: str) -> list[Ticket]: ...
    def close_ticket(self, ticket_id: str, at: datetime) -> None: ...
    def insert_assignment(self, assignment: Assignment) -> None: ...
    def assignments_for(self, courier_id: str, order_id: str) -> list[Assignment]: ...
    def end_assignments(self, order_id: str, at: datetime) -> None: ...
    def insert_grants(self, grants: Sequence[Grant]) -> None: ...
    def grants_for(self, partner_id: str, customer_id: str) -> list[Grant]: ...

    # relay numbers
    def insert_relay_binding(self, binding: RelayBinding) -> None: ...
    def relay_binding(self, courier_id: str, order_id: str) -> RelayBinding | None: ...
    def relay_bindings_by_number(self, number: str, courier_id: str) -> list[RelayBinding]: ...
    def relay_numbers_in_use(self, courier_id: str, at: datetime) -> set[str]: ...
    def expire_relay_bindings(self, order_id: str, at: datetime) -> None: ...

    # rotation
    def customers_below_version(self, version: int, limit: int) -> list[SealedCustomer]: ...
    def orders_below_version(self, version: int, limit: int) -> list[SealedOrder]: ...
    def count_below_version(self, version: int) -> int: ...
    def update_customer_ciphertexts(self, rows: Sequence[Reencrypted], version: int) -> None: ...
    def update_order_ciphertexts(self, rows: Sequence[Reencrypted], version: int) -> None: ...

    # policy history
    def policy_known(self, digest: str) -> bool: ...
    def record_policy(self, digest: str, source: str, at: datetime) -> None: ...


class CustodyStore(Protocol):
    def read(self) -> AbstractContextManager[CustodyTx]: ...
    def write(self) -> AbstractContextManager[CustodyTx]: ...


class AuditSink(Protocol):
    """Appends access events durably; returns their sequence numbers once they are committed."""

    def append(self, events: Sequence[AccessEvent]) -> Sequence[int]: ...


class SlidingLog(Protocol):
    """Per-key logs of event times, for sliding-window rate limits."""

    def add_if_below(self, key: str, now: float, since: float, limit: int) -> float | None:
        """Atomically: forget ``key``'s times at or before ``since``; if fewer than ``limit``
        remain, log ``now`` and return None; else log nothing and return the oldest time kept."""
        ...


class OutboxAuditSink(AuditSink, Protocol):
    """An audit sink that also logs events staged in data transactions (the outbox).

    A mutation stages its events with :meth:`CustodyTx.stage_audit` in the transaction that
    writes its data and calls :meth:`log_staged` right after the commit: if the process dies in
    between, the next start's :meth:`flush_outbox` logs them. Reads append directly (they are
    served only once their entry is durable)."""

    def log_staged(self, ids: Sequence[int]) -> Sequence[int | None]:
        """Log these staged events (committed) now; their sequence numbers, in order (None:
        logged first by another process)."""
        ...

    def flush_outbox(self) -> Sequence[int]:
        """Log every event staged in committed transactions (at start)."""
        ...


class AlertSink(Protocol):
    def raise_alert(self, alert: Alert) -> None: ...


class ProgressCallback(Protocol):
    def __call__(self, advance: int) -> None: ...


def no_progress(advance: int) -> None:
    """A :class:`ProgressCallback` that ignores progress."""


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
