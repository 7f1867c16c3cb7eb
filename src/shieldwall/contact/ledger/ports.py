"""What the ledger needs from the outside world, as interfaces.

``shieldwall.storage.contact_ledger_repo`` implements :class:`LedgerStore` on SQLite and
PostgreSQL; :class:`Directory` is answered from custody's store (:mod:`.directory`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from shieldwall.contact.ledger.model import Contact
from shieldwall.contact.ledger.numbers import OfficialNumber
from shieldwall.core.events import AccessEvent
from shieldwall.core.model import Principal


class LedgerTx(Protocol):
    """One transaction over the ledger tables."""

    def stage_audit(self, events: Sequence[AccessEvent]) -> list[int]:
        """Stage audit events in this transaction (logged if and only if it commits); their
        outbox ids, for ``OutboxAuditSink.log_staged`` after the commit."""
        ...

    def insert_number(self, entry: OfficialNumber) -> bool:
        """Insert ``entry``; False (and nothing written) when its value is registered already."""
        ...

    def get_number(self, value: str) -> OfficialNumber | None: ...
    def list_numbers(self) -> list[OfficialNumber]: ...

    def insert_contact(self, contact: Contact) -> None: ...
    def get_contact(self, contact_id: str) -> Contact | None: ...

    def contacts_of(self, customer_id: str, since: datetime, limit: int) -> list[Contact]:
        """The customer's contacts that started at or after ``since``, newest first."""
        ...

    def end_contact(self, contact_id: str, at: datetime) -> None: ...

    def take_code_attempt(self, contact_id: str, max_attempts: int) -> int | None:
        """Atomically count one attempt if fewer than ``max_attempts`` were made and the code
        was not used; return the attempts made so far, or None when the attempt is refused."""
        ...

    def mark_code_verified(self, contact_id: str, at: datetime) -> None: ...


class LedgerStore(Protocol):
    def read(self) -> AbstractContextManager[LedgerTx]: ...
    def write(self) -> AbstractContextManager[LedgerTx]: ...


class Directory(Protocol):
    """Facts the ledger checks against custody: who the agent is, whether ids exist."""

    def principal(self, principal_id: str) -> Principal | None: ...
    def customer_exists(self, customer_id: str) -> bool: ...

    def has_open_ticket(self, agent_id: str, customer_id: str, at: datetime) -> bool:
        """Whether the agent holds a ticket for the customer, open and unexpired at ``at``."""
        ...

    def order_customer(self, order_id: str) -> str | None:
        """The id of the customer an order belongs to, None if there is no such order."""
        ...
