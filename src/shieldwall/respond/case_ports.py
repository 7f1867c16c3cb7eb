"""What cases and evidence need from outside the package: storage, the records a case may
refer to, and the suspend machinery (``shieldwall.storage`` and ``wiring`` implement them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from shieldwall.core.events import AccessEvent
from shieldwall.core.model import Principal
from shieldwall.core.paging import Position
from shieldwall.respond.case_model import (
    Case,
    CaseLink,
    EvidenceRecord,
    SourceKind,
    TimelineEntry,
)
from shieldwall.respond.states import CaseState


class CaseTx(Protocol):
    """One transaction over cases; a write transaction stages audit events in it."""

    def get_case(self, case_id: str, *, for_update: bool = False) -> Case | None: ...
    def list_cases(
        self, state: CaseState | None, limit: int, after: Position | None = None
    ) -> list[Case]:
        """Cases newest first (``opened_at``, then ``case_id``), strictly after ``after``."""
        ...

    def insert_case(self, case: Case) -> None: ...
    def update_case(
        self, case_id: str, *, state: CaseState, owner_id: str | None, updated_at: datetime
    ) -> None: ...
    def links(self, case_id: str) -> list[CaseLink]: ...
    def add_links(self, links: Sequence[CaseLink]) -> list[CaseLink]:
        """Insert the links not already there; return those inserted."""
        ...

    def add_timeline(
        self, case_id: str, at: datetime, actor: str, action: str, detail: dict[str, str]
    ) -> TimelineEntry:
        """Append to the case's timeline (numbered 1, 2, ... per case)."""
        ...

    def timeline(self, case_id: str) -> list[TimelineEntry]: ...
    def insert_evidence(self, record: EvidenceRecord, sealed: bytes) -> None: ...
    def evidence(self, case_id: str) -> list[EvidenceRecord]: ...
    def sealed_evidence(
        self, case_id: str, evidence_id: str
    ) -> tuple[EvidenceRecord, bytes] | None: ...

    def set_receipt_seq(self, evidence_id: str, seq: int) -> None: ...
    def stage_audit(self, events: Sequence[AccessEvent]) -> list[int]:
        """Stage ``events`` in the audit outbox in this transaction; their outbox ids."""
        ...


class CaseStore(Protocol):
    def read(self) -> AbstractContextManager[CaseTx]: ...
    def write(self) -> AbstractContextManager[CaseTx]: ...


class CaseReferences(Protocol):
    """Whether the records a case names exist (never reading personal data)."""

    def source_exists(self, kind: SourceKind, ref: str) -> bool: ...
    def principal(self, principal_id: str) -> Principal | None: ...
    def release_exists(self, release_id: str) -> bool: ...
    def existing_customers(self, customer_ids: Iterable[str]) -> set[str]: ...


class Suspender(Protocol):
    """Custody's suspend machinery (``custody.principals.Principals.set_active``)."""

    def set_active(
        self,
        principal_id: str,
        active: bool,
        *,
        alert_id: str | None = None,
        actor: Principal = ...,
        channel: str = ...,
    ) -> Principal: ...
