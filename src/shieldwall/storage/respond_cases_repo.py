"""SQL store of incident cases (implements ``respond.case_ports.CaseStore``) and the audit
checkpoint history a bundle export reads (``respond.bundle.CheckpointHistory``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from shieldwall.audit.ports import AuditStore, Checkpoint
from shieldwall.core.clock import utc
from shieldwall.core.events import AccessEvent
from shieldwall.core.paging import Position
from shieldwall.respond.case_model import (
    Case,
    CaseLink,
    EvidenceKind,
    EvidenceRecord,
    LinkKind,
    SourceKind,
    TimelineEntry,
)
from shieldwall.respond.states import CaseState
from shieldwall.storage.audit_repo import stage_events
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.paging import before
from shieldwall.storage.tables.respond_cases import (
    respond_case_links,
    respond_case_timeline,
    respond_cases,
    respond_evidence,
)

_RECORD_COLUMNS = [c for c in respond_evidence.c if c.name != "content_ct"]


def _case(row: Any) -> Case:
    m = row._mapping
    return Case(
        case_id=m["case_id"],
        state=CaseState(m["state"]),
        source_kind=SourceKind(m["source_kind"]),
        source_ref=m["source_ref"],
        owner_id=m["owner_id"],
        opened_by=m["opened_by"],
        opened_at=utc(m["opened_at"]),
        updated_at=utc(m["updated_at"]),
    )


def _evidence(row: Any) -> EvidenceRecord:
    m = row._mapping
    return EvidenceRecord(
        evidence_id=m["evidence_id"],
        case_id=m["case_id"],
        kind=EvidenceKind(m["kind"]),
        media_type=m["media_type"],
        suffix=m["suffix"],
        size=int(m["size"]),
        sha256=m["sha256"],
        received_by=m["received_by"],
        received_at=utc(m["received_at"]),
        receipt_seq=None if m["receipt_seq"] is None else int(m["receipt_seq"]),
    )


class SqlCaseTx:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_case(self, case_id: str, *, for_update: bool = False) -> Case | None:
        q = select(respond_cases).where(respond_cases.c.case_id == case_id)
        if for_update and self.conn.dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE
            q = q.with_for_update()
        row = self.conn.execute(q).first()
        return None if row is None else _case(row)

    def list_cases(
        self, state: CaseState | None, limit: int, after: Position | None = None
    ) -> list[Case]:
        q = select(respond_cases).order_by(
            respond_cases.c.opened_at.desc(), respond_cases.c.case_id.desc()
        )
        if after is not None:
            q = q.where(before(respond_cases.c.opened_at, respond_cases.c.case_id, after))
        if state is not None:
            q = q.where(respond_cases.c.state == state.value)
        return [_case(r) for r in self.conn.execute(q.limit(limit))]

    def insert_case(self, case: Case) -> None:
        self.conn.execute(
            insert(respond_cases).values(
                case_id=case.case_id,
                state=case.state.value,
                source_kind=case.source_kind.value,
                source_ref=case.source_ref,
                owner_id=case.owner_id,
                opened_by=case.opened_by,
                opened_at=case.opened_at,
                updated_at=case.updated_at,
            )
        )

    def update_case(
        self, case_id: str, *, state: CaseState, owner_id: str | None, updated_at: datetime
    ) -> None:
        self.conn.execute(
            update(respond_cases)
            .where(respond_cases.c.case_id == case_id)
            .values(state=state.value, owner_id=owner_id, updated_at=updated_at)
        )

    def links(self, case_id: str) -> list[CaseLink]:
        t = respond_case_links
        q = select(t).where(t.c.case_id == case_id).order_by(t.c.linked_at, t.c.kind, t.c.ref)
        return [
            CaseLink(r.case_id, LinkKind(r.kind), r.ref, r.linked_by, utc(r.linked_at))
            for r in self.conn.execute(q)
        ]

    def add_links(self, links: Sequence[CaseLink]) -> list[CaseLink]:
        if not links:
            return []
        t = respond_case_links
        case_ids = {link.case_id for link in links}
        have = {
            (r.case_id, r.kind, r.ref)
            for r in self.conn.execute(
                select(t.c.case_id, t.c.kind, t.c.ref).where(t.c.case_id.in_(case_ids))
            )
        }
        new = [link for link in links if (link.case_id, link.kind.value, link.ref) not in have]
        if new:
            self.conn.execute(
                insert(t),
                [
                    {
                        "case_id": link.case_id,
                        "kind": link.kind.value,
                        "ref": link.ref,
                        "linked_by": link.linked_by,
                        "linked_at": link.linked_at,
                    }
                    for link in new
                ],
            )
        return new

    def add_timeline(
        self, case_id: str, at: datetime, actor: str, action: str, detail: dict[str, str]
    ) -> TimelineEntry:
        t = respond_case_timeline
        last = self.conn.execute(select(func.max(t.c.n)).where(t.c.case_id == case_id)).scalar_one()
        n = int(last or 0) + 1
        self.conn.execute(
            insert(t).values(
                case_id=case_id,
                n=n,
                at=at,
                actor=actor,
                action=action,
                detail=json.dumps(detail, sort_keys=True),
            )
        )
        return TimelineEntry(case_id, n, at, actor, action, dict(detail))

    def timeline(self, case_id: str) -> list[TimelineEntry]:
        t = respond_case_timeline
        q = select(t).where(t.c.case_id == case_id).order_by(t.c.n)
        return [
            TimelineEntry(r.case_id, r.n, utc(r.at), r.actor, r.action, json.loads(r.detail))
            for r in self.conn.execute(q)
        ]

    def insert_evidence(self, record: EvidenceRecord, sealed: bytes) -> None:
        self.conn.execute(
            insert(respond_evidence).values(
                evidence_id=record.evidence_id,
                case_id=record.case_id,
                kind=record.kind.value,
                media_type=record.media_type,
                suffix=record.suffix,
                size=record.size,
                sha256=record.sha256,
                received_by=record.received_by,
                received_at=record.received_at,
                receipt_seq=record.receipt_seq,
                content_ct=sealed,
            )
        )

    def evidence(self, case_id: str) -> list[EvidenceRecord]:
        t = respond_evidence
        q = (
            select(*_RECORD_COLUMNS)
            .where(t.c.case_id == case_id)
            .order_by(t.c.received_at, t.c.evidence_id)
        )
        return [_evidence(r) for r in self.conn.execute(q)]

    def sealed_evidence(
        self, case_id: str, evidence_id: str
    ) -> tuple[EvidenceRecord, bytes] | None:
        t = respond_evidence
        row = self.conn.execute(
            select(t).where(t.c.case_id == case_id, t.c.evidence_id == evidence_id)
        ).first()
        return None if row is None else (_evidence(row), bytes(row.content_ct))

    def set_receipt_seq(self, evidence_id: str, seq: int) -> None:
        self.conn.execute(
            update(respond_evidence)
            .where(respond_evidence.c.evidence_id == evidence_id)
            .values(receipt_seq=seq)
        )

    def stage_audit(self, events: Sequence[AccessEvent]) -> list[int]:
        return stage_events(self.conn, events)


class SqlCaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def read(self) -> Iterator[SqlCaseTx]:
        with read_transaction(self.engine) as conn:
            yield SqlCaseTx(conn)

    @contextmanager
    def write(self) -> Iterator[SqlCaseTx]:
        with write_transaction(self.engine) as conn:
            yield SqlCaseTx(conn)


class SqlCheckpointHistory:
    """Every signed checkpoint the audit store holds, oldest first."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store

    def checkpoints(self) -> list[Checkpoint]:
        with self.store.read() as tx:
            return sorted(tx.checkpoints(), key=lambda c: c.tree_size)
