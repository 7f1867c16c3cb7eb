"""SQL store of breach notification records (implements ``respond.notices.ports.NoticeStore``):
the case store's transaction with the notices table added, so a notice to the authority and the
case's move to ``notified`` commit together."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import insert, select

from shieldwall.core.clock import utc
from shieldwall.core.paging import Position
from shieldwall.respond.notices.model import (
    Audience,
    Channel,
    Language,
    NoticeRecord,
    Regime,
)
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.paging import before
from shieldwall.storage.respond_cases_repo import SqlCaseStore, SqlCaseTx
from shieldwall.storage.tables.respond_notices import respond_notices


def _record(row: Any) -> NoticeRecord:
    m = row._mapping
    return NoticeRecord(
        notice_id=m["notice_id"],
        case_id=m["case_id"],
        regime=Regime(m["regime"]),
        audience=Audience(m["audience"]),
        language=Language(m["language"]),
        channel=Channel(m["channel"]),
        customer_id=m["customer_id"],
        reference=m["reference"],
        notified_at=utc(m["notified_at"]),
        recorded_by=m["recorded_by"],
        recorded_at=utc(m["recorded_at"]),
        content_sha256=m["content_sha256"],
        params=json.loads(m["params"]),
    )


class SqlNoticeTx(SqlCaseTx):
    def insert_notices(self, records: Sequence[NoticeRecord]) -> None:
        if not records:
            return
        self.conn.execute(
            insert(respond_notices),
            [
                {
                    "notice_id": r.notice_id,
                    "case_id": r.case_id,
                    "regime": r.regime.value,
                    "audience": r.audience.value,
                    "language": r.language.value,
                    "channel": r.channel.value,
                    "customer_id": r.customer_id,
                    "reference": r.reference,
                    "notified_at": r.notified_at,
                    "recorded_by": r.recorded_by,
                    "recorded_at": r.recorded_at,
                    "content_sha256": r.content_sha256,
                    "params": json.dumps(dict(r.params), sort_keys=True),
                }
                for r in records
            ],
        )

    def notices(self, case_id: str) -> list[NoticeRecord]:
        t = respond_notices
        q = (
            select(t)
            .where(t.c.case_id == case_id)
            .order_by(t.c.recorded_at, t.c.notified_at, t.c.notice_id)
        )
        return [_record(r) for r in self.conn.execute(q)]

    def notices_page(
        self, case_id: str, limit: int, after: Position | None = None
    ) -> list[NoticeRecord]:
        t = respond_notices
        q = (
            select(t)
            .where(t.c.case_id == case_id)
            .order_by(t.c.recorded_at.desc(), t.c.notice_id.desc())
        )
        if after is not None:
            q = q.where(before(t.c.recorded_at, t.c.notice_id, after))
        return [_record(r) for r in self.conn.execute(q.limit(limit))]

    def notified_customers(self, case_id: str, regime: Regime) -> set[str]:
        t = respond_notices
        q = select(t.c.customer_id).where(
            t.c.case_id == case_id,
            t.c.regime == regime.value,
            t.c.audience == Audience.PERSON.value,
        )
        return {r.customer_id for r in self.conn.execute(q) if r.customer_id is not None}


class SqlNoticeStore(SqlCaseStore):
    @contextmanager
    def read(self) -> Iterator[SqlNoticeTx]:
        with read_transaction(self.engine) as conn:
            yield SqlNoticeTx(conn)

    @contextmanager
    def write(self) -> Iterator[SqlNoticeTx]:
        with write_transaction(self.engine) as conn:
            yield SqlNoticeTx(conn)
