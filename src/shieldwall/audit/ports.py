"""The storage the audit log needs (implemented in ``shieldwall.storage.audit_repo``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shieldwall.core.events import AccessEvent, AuditRecord


@dataclass(frozen=True, slots=True)
class EntryRow:
    seq: int
    ts: datetime
    actor: str
    action: str
    body: bytes  # canonical JSON, exactly as hashed
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed tree head: the log had ``tree_size`` entries with ``root_hash`` at ``ts``."""

    tree_size: int
    root_hash: bytes
    ts: datetime
    key_id: str
    signature: bytes
    note: str | None = None  # the C2SP signed note; None for checkpoints signed before notes


class AuditReadTx(Protocol):
    def head(self) -> int: ...
    def node(self, level: int, index: int) -> bytes: ...
    def entries(self, start: int, end: int) -> list[EntryRow]: ...
    def iter_entries(self, batch: int = 5000) -> Iterator[EntryRow]:
        """Every row in seq order, as stored (gaps and all)."""
        ...

    def checkpoints(self) -> list[Checkpoint]: ...
    def latest_checkpoint(self) -> Checkpoint | None: ...
    def earliest_ts(self, start: int) -> datetime | None:
        """The earliest ``ts`` among entries with seq >= ``start``."""
        ...

    def staged(self, limit: int) -> list[tuple[int, AccessEvent]]:
        """Up to ``limit`` events waiting in the outbox, oldest first, with their outbox ids."""
        ...

    def staged_by_id(self, ids: Sequence[int]) -> list[tuple[int, AccessEvent]]:
        """Those of these outbox ids still waiting in the outbox, with their events, by id."""
        ...


class AuditWriteTx(AuditReadTx, Protocol):
    def lock_head(self) -> tuple[int, bytes]:
        """Lock the head row for this transaction; return the committed size and its frontier
        (the right-edge subtree hashes, 32 bytes each, largest first)."""
        ...

    def append(
        self,
        rows: Sequence[EntryRow],
        nodes: Sequence[tuple[int, int, bytes]],
        size: int,
        frontier: bytes,
    ) -> None: ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Store ``checkpoint`` unless one of its size is stored already."""
        ...

    def unstage(self, ids: Sequence[int]) -> None:
        """Remove these events from the outbox (in the transaction that logged them)."""
        ...


class AuditStore(Protocol):
    def read(self) -> AbstractContextManager[AuditReadTx]: ...
    def write(self) -> AbstractContextManager[AuditWriteTx]:
        """A transaction whose commit returns once it is on disk."""
        ...

    def write_deferred(self) -> AbstractContextManager[AuditWriteTx]:
        """A transaction whose commit may return before it is on disk (its locks released
        sooner); it is durable once a later :meth:`flush` returns."""
        ...

    def flush(self) -> None:
        """Return once every transaction this store committed before the call is on disk."""
        ...


class AccessEventSource(Protocol):
    """How other capabilities (insider watch, attribution, cases) read the audit log:
    catch up with :meth:`read` from a remembered position, then follow with :meth:`subscribe`."""

    def read(self, after_seq: int, limit: int = 1000) -> list[AuditRecord]: ...

    def subscribe(self, listener: Callable[[Sequence[AuditRecord]], None]) -> None: ...
