"""What warnings need from the outside world: the outbox, order facts, a sender.

``shieldwall.storage.contact_warnings_repo`` implements :class:`OutboxStore` on SQLite and
PostgreSQL; :class:`OrderFacts` is answered from custody's store (:mod:`.facts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shieldwall.contact.warnings.model import Notification, NotificationStatus, Trigger
from shieldwall.core.paging import Position
from shieldwall.custody.ports import SealedOrder


class OutboxTx(Protocol):
    """One transaction over the outbox."""

    def lock(self) -> None:
        """Serialize planners and dispatchers for the rest of the transaction (PostgreSQL takes
        a table lock that readers pass; SQLite already holds its write lock)."""
        ...

    def planned(self, trigger: Trigger, customer_ids: Sequence[str]) -> set[str]:
        """Which of these customers already have a notification for ``trigger``."""
        ...

    def warned_since(self, customer_ids: Sequence[str], since: datetime) -> set[str]:
        """Which of these customers have a notification not dead-lettered, created or sent at
        or after ``since``, for any trigger."""
        ...

    def insert(self, rows: Sequence[Notification]) -> None: ...

    def attempted_since(self, since: datetime) -> int:
        """Notifications whose latest attempt started at or after ``since``."""
        ...

    def release_stale(self, claimed_before: datetime, max_attempts: int, now: datetime) -> int:
        """Return notifications claimed before ``claimed_before`` and never finished to the
        queue (or to the dead letters when out of attempts); return how many."""
        ...

    def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        """Mark up to ``limit`` due pending notifications, highest score first, as sending:
        attempts + 1, attempted_at = now. Returns them as claimed."""
        ...

    def unclaim(self, notification_ids: Sequence[str]) -> None:
        """Put claimed notifications back in the queue untried (the run stopped before them)."""
        ...

    def finish(
        self,
        notification_id: str,
        status: NotificationStatus,
        *,
        at: datetime,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
    ) -> None: ...

    def counts(self, trigger: Trigger | None = None) -> dict[str, int]: ...

    def list(
        self,
        *,
        trigger: Trigger | None = None,
        status: NotificationStatus | None = None,
        limit: int = 100,
    ) -> list[Notification]: ...

    def newest(
        self,
        *,
        trigger: Trigger | None = None,
        status: NotificationStatus | None = None,
        limit: int,
        after: Position | None = None,
    ) -> Sequence[Notification]:
        """Up to ``limit`` notifications newest first (``created_at``, then
        ``notification_id``, both descending), strictly after ``after`` in that order."""
        ...

    def due_pending(self, now: datetime) -> int: ...

    def next_due(self) -> datetime | None: ...


class OutboxStore(Protocol):
    def read(self) -> AbstractContextManager[OutboxTx]: ...
    def write(self) -> AbstractContextManager[OutboxTx]: ...


class OrderFacts(Protocol):
    """Order statuses and times of customers (no decryption)."""

    def existing(self, customer_ids: Iterable[str]) -> set[str]: ...
    def orders(self, customer_ids: Sequence[str], since: datetime) -> list[SealedOrder]: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A warning ready to go: everything but the recipient's address, which the sender
    resolves (and the resolution is audited)."""

    notification_id: str
    customer_id: str
    channel: str
    locale: str
    subject: str | None
    text: str
    trigger: str


class SendFailed(Exception):
    """A send failed. ``retryable``: try again later; otherwise dead-letter it. ``code`` is a
    short machine-readable cause (``http_503``, ``smtp_550``, ``network``, ``no_address``) that
    never contains an address."""

    def __init__(self, code: str, *, retryable: bool) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable


class Sender(Protocol):
    channel: str

    def send(self, message: Outgoing) -> None:
        """Deliver ``message`` or raise :class:`SendFailed`."""
        ...
