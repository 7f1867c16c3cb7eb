"""What the victims register and the compensation desk need from storage, as interfaces.

``shieldwall.storage.respond_money_repo`` implements :class:`MoneyStore` on SQLite and
PostgreSQL. The ledger side has no method that changes or removes a posting: the only write is
:meth:`MoneyTx.insert_posting`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from shieldwall.core.events import AccessEvent
from shieldwall.core.paging import Position
from shieldwall.respond.compensation import Claim, ClaimStatus, Posting, PostingKind
from shieldwall.respond.victims import ContactRecord, Keys, Victim, VictimStatus


class MoneyTx(Protocol):
    """One transaction over the register's, the claims' and the ledger's tables."""

    def stage_audit(self, events: Sequence[AccessEvent]) -> list[int]:
        """Stage audit events in this transaction (logged if and only if it commits)."""
        ...

    # victims
    def victim_keys(self, case_id: str, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are registered in ``case_id`` already."""
        ...

    def insert_victim(self, victim: Victim, keys: Keys) -> None: ...
    def unmatched_victims(self, limit: int) -> list[tuple[Victim, Keys]]:
        """Victims registered without a customer, with the keyed hashes they are kept under."""
        ...

    def match_victim(self, victim_id: str, customer_id: str, at: datetime) -> bool:
        """Link an unmatched victim to ``customer_id`` (its key becomes ``c:<id>``, its keyed
        hashes dropped); False when it is no longer unmatched."""
        ...

    def get_victim(self, victim_id: str) -> Victim | None: ...
    def victim_of(self, case_id: str, customer_id: str) -> Victim | None: ...

    def list_victims(
        self,
        case_id: str | None,
        status: VictimStatus | None,
        limit: int,
        *,
        newest_first: bool = False,
        after: Position | None = None,
    ) -> list[Victim]:
        """By ``(created_at, victim_id)``, oldest first unless ``newest_first``; ``after`` (a
        page's end, with ``newest_first``) keeps only the rows strictly after it."""
        ...

    def set_victim_status(
        self, victim_id: str, expected: VictimStatus, status: VictimStatus, at: datetime
    ) -> bool:
        """Change the status if it is still ``expected``; False when it was not."""
        ...

    def insert_contact(self, record: ContactRecord) -> None: ...

    # claims
    def insert_claim(self, claim: Claim) -> None: ...
    def get_claim(self, claim_id: str) -> Claim | None: ...

    def save_claim(self, claim: Claim, expected: ClaimStatus, expected_paid: int) -> bool:
        """Write ``claim`` if its row still has ``expected`` status and paid amount."""
        ...

    def list_claims(
        self,
        case_id: str | None,
        statuses: Collection[ClaimStatus] | None,
        limit: int,
        *,
        newest_first: bool = False,
        after: Position | None = None,
    ) -> list[Claim]:
        """By ``(submitted_at, claim_id)``, as :meth:`list_victims` orders victims."""
        ...

    # ledger (append-only)
    def posting_by_key(self, key: str) -> Posting | None: ...
    def insert_posting(self, posting: Posting) -> None: ...

    def list_postings(
        self,
        case_id: str | None,
        claim_id: str | None,
        limit: int,
        *,
        newest_first: bool = False,
        after: Position | None = None,
    ) -> list[Posting]:
        """By ``(created_at, posting_id)``, as :meth:`list_victims` orders victims."""
        ...

    def balances(self, account: str | None = None) -> dict[str, int]:
        """Each account's balance in fen (debits minus credits), or only ``account``'s."""
        ...

    def totals_by_kind(self, case_id: str) -> dict[PostingKind, int]:
        """The total of the case's postings of each kind, in fen."""
        ...


class MoneyStore(Protocol):
    def read(self) -> AbstractContextManager[MoneyTx]: ...
    def write(self) -> AbstractContextManager[MoneyTx]: ...
