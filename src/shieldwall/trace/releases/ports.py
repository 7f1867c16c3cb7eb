"""What releases and file attribution need from storage (``shieldwall.storage`` implements it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from shieldwall.core.events import AccessEvent
from shieldwall.core.paging import Position
from shieldwall.trace.releases.model import Canary, Holding, IndexedCustomer, Release, ReleaseRecord


class ReleaseStore(Protocol):
    def insert_release(
        self,
        release: Release,
        records: Sequence[ReleaseRecord],
        canaries: Sequence[Canary],
        audit: Sequence[AccessEvent] = (),
    ) -> list[int]:
        """Record a release, its records and canaries in one transaction, staging the ``audit``
        events in it (logged if and only if it commits); return their outbox ids."""
        ...

    def get_release(self, release_id: str) -> Release | None: ...
    def list_releases(
        self, recipient_id: str | None, limit: int, after: Position | None = None
    ) -> list[Release]:
        """Releases newest first (``created_at``, then ``release_id``), from after ``after``."""
        ...

    def canaries_known(self, digests: Iterable[bytes]) -> set[bytes]: ...
    def canary_hits(self, digests: Iterable[bytes]) -> dict[bytes, Canary]: ...
    def holdings(self, customer_ids: Iterable[str]) -> list[Holding]:
        """Every release that offered one of these customers."""
        ...


class CustomerIndex(Protocol):
    """Customers by blind-index value, never decrypting anything."""

    def by_index(
        self, field: str, digests: Iterable[bytes]
    ) -> dict[bytes, list[IndexedCustomer]]: ...

    def phone_indexes(self, customer_ids: Iterable[str]) -> dict[str, bytes]: ...
