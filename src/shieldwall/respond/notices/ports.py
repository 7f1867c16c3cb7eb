"""What notices need from outside: storage (one transaction with the case, so recording the
authority notice and moving the case to ``notified`` commit together), the records that show
what was exposed, and customers' names, masked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from shieldwall.core.events import AccessEvent
from shieldwall.core.model import Principal
from shieldwall.core.paging import Position
from shieldwall.respond.case_ports import CaseTx
from shieldwall.respond.notices.model import NoticeRecord, Regime


class NoticeTx(CaseTx, Protocol):
    def insert_notices(self, records: Sequence[NoticeRecord]) -> None: ...
    def notices(self, case_id: str) -> list[NoticeRecord]: ...
    def notices_page(
        self, case_id: str, limit: int, after: Position | None = None
    ) -> list[NoticeRecord]:
        """Up to ``limit`` of the case's records newest first by ``(recorded_at, notice_id)``,
        strictly after ``after``."""
        ...

    def notified_customers(self, case_id: str, regime: Regime) -> set[str]: ...


class NoticeStore(Protocol):
    def read(self) -> AbstractContextManager[NoticeTx]: ...
    def write(self) -> AbstractContextManager[NoticeTx]: ...


class ExposureRecords(Protocol):
    """The records that show what a case exposed, and when it was first detected."""

    def release_columns(self, release_id: str) -> Mapping[str, str] | None:
        """``{field: view}`` a release exported, or None if there is no such release."""
        ...

    def alert(self, alert_id: str) -> tuple[datetime, tuple[int, ...]] | None:
        """When the alert's first event happened (else when it was raised), and the audit
        entries it names; None if there is no such alert."""
        ...

    def entry(self, seq: int) -> AccessEvent | None: ...


class PersonNames(Protocol):
    """Customers' names, masked (``张*``); each call is an audited access."""

    def masked(
        self, customer_ids: Sequence[str], *, actor: Principal, channel: str, case_id: str
    ) -> dict[str, str | None]: ...
