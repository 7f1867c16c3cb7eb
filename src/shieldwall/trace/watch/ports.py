"""What the insider watch needs from outside: the audit log, a place for its state, its cursor,
and the alert store. ``shieldwall.storage`` implements them; tests use the in-memory ones.

State is a key-value map of small serialized records with a time-to-live, plus a lease. The
watch keeps its working set in process and writes the records it changed back at the end of
every batch; only the holder of the lease processes the log, so that write-back is the whole
protocol (one writer, many possible readers after a handover). Correctness never rests on a
TTL: every record carries the event times it needs, and TTLs only collect garbage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from shieldwall.core.alerts import Alert
from shieldwall.core.events import AuditRecord


class WatchState(Protocol):
    """Durable or in-process storage of the watch's working set (memory or Redis)."""

    @property
    def durable(self) -> bool:
        """True when records outlive the process (the watch then writes changes back)."""
        ...

    def load_all(self) -> Iterator[tuple[str, bytes]]:
        """Every stored record (a new lease holder loads its working set from these)."""
        ...

    def put_many(self, items: Mapping[str, bytes], ttl_seconds: int) -> None:
        """Store every item (replacing), each expiring after ``ttl_seconds``."""
        ...

    def acquire(self, owner: str, ttl_seconds: float) -> bool:
        """Take or renew the single processing lease for ``owner``; False if another holds it."""
        ...

    def release(self, owner: str) -> None:
        """Give the lease up if ``owner`` holds it."""
        ...


class CursorStore(Protocol):
    """Where a reader of the audit log remembers how far it got (durable)."""

    def load(self, name: str) -> int:
        """The last processed sequence number, or -1 when nothing was processed yet."""
        ...

    def save(self, name: str, seq: int) -> None: ...


class AlertStore(Protocol):
    """Alerts as :class:`~shieldwall.storage.alerts_repo.SqlAlertStore` keeps them."""

    def raise_alert(self, alert: Alert) -> None: ...

    def update_alert(self, alert: Alert) -> bool:
        """Replace the severity, score, reasons, times and evidence of an existing alert."""
        ...

    def open_alert(self, principal_id: str, kind: str) -> Alert | None:
        """The open alert of this kind for this principal, if there is one."""
        ...


Listener = Callable[[Sequence[AuditRecord]], None]


class AuditSource(Protocol):
    """The audit log as the watch reads it (``MerkleAuditLog`` implements this): pages after a
    sequence number, its size and one entry. Being told of appends is a separate port
    (:class:`AuditFeed`): a source fed some other way (one insider-watch partition, fed from
    the stream) has no appends to offer and does not pretend to."""

    def read(self, after_seq: int, limit: int = 1000) -> list[AuditRecord]: ...

    def size(self) -> int: ...

    def entry(self, seq: int) -> AuditRecord: ...


class AuditFeed(AuditSource, Protocol):
    """An :class:`AuditSource` that also calls listeners with each batch of appended records
    (the in-process watch follows ``MerkleAuditLog`` this way)."""

    def subscribe(self, listener: Listener) -> None: ...
