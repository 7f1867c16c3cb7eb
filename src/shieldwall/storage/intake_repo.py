"""The intake's record of processed events in SQL (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, Insert, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite

from shieldwall.core.events import AccessEvent
from shieldwall.storage.audit_repo import stage_events
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.tables.intake import intake_events

_CHUNK = 500
Result = dict[str, Any]
# A result's stored text: compact JSON with sorted keys, by msgspec (one row per streamed event;
# ``json.dumps(..., sort_keys=True)`` cost about 10 µs an event, msgspec about 1). Rows written
# by json.dumps (spaces after separators, non-ASCII escaped) read back the same: only
# ``json.loads`` reads them.
_encode_result = msgspec.json.Encoder(order="sorted").encode


def _result_text(result: Result) -> str:
    return _encode_result(result).decode("utf-8")


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


class SqlProcessedEvents:
    """Implements ``intake.ports.ProcessedEvents``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _known(self, conn: Connection, kind: str, event_ids: Sequence[str]) -> dict[str, Result]:
        out: dict[str, Result] = {}
        for chunk in _chunks(list(dict.fromkeys(event_ids))):
            rows = conn.execute(
                select(intake_events.c.event_id, intake_events.c.result).where(
                    and_(intake_events.c.kind == kind, intake_events.c.event_id.in_(chunk))
                )
            )
            out.update((r.event_id, json.loads(r.result)) for r in rows)
        return out

    def known(self, kind: str, event_ids: Sequence[str]) -> dict[str, Result]:
        if not event_ids:
            return {}
        with read_transaction(self.engine) as conn:
            return self._known(conn, kind, event_ids)

    def _insert_ignoring_duplicates(self, conn: Connection) -> Insert:
        # A row recorded meanwhile (a redelivery processed by another worker) keeps its result.
        if conn.dialect.name == "postgresql":
            return postgresql.insert(intake_events).on_conflict_do_nothing()
        return sqlite.insert(intake_events).on_conflict_do_nothing()

    def record(self, kind: str, results: Mapping[str, Result], now: datetime) -> None:
        """One transaction for the batch. On PostgreSQL its commit does not wait for the disk
        (``synchronous_commit`` off for this transaction only, as the audit append does): a
        database crash may forget the last fraction of a second of recorded ids, whose
        messages are acknowledged by then; an event the store sends again after that is
        processed again. Nothing else is recorded this way: record reads (with their audit
        entries) go through :meth:`record_with_audit`, synchronous."""
        if not results:
            return
        with write_transaction(self.engine) as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            conn.execute(
                self._insert_ignoring_duplicates(conn),
                [
                    {
                        "kind": kind,
                        "event_id": event_id,
                        "result": _result_text(result),
                        "processed_at": now,
                    }
                    for event_id, result in results.items()
                ],
            )

    def record_with_audit(
        self, kind: str, items: Sequence[tuple[str, Result, AccessEvent]], now: datetime
    ) -> tuple[list[str], list[int]]:
        if not items:
            return [], []
        with write_transaction(self.engine) as conn:
            known = self._known(conn, kind, [event_id for event_id, _, _ in items])
            fresh: dict[str, tuple[Result, AccessEvent]] = {}
            for event_id, result, event in items:
                if event_id not in known:
                    fresh.setdefault(event_id, (result, event))
            if not fresh:
                return [], []
            # A plain insert: a concurrent worker recording one of these ids makes this whole
            # transaction fail (conflict), so no event is staged twice; the batch is retried.
            conn.execute(
                intake_events.insert(),
                [
                    {
                        "kind": kind,
                        "event_id": event_id,
                        "result": _result_text(result),
                        "processed_at": now,
                    }
                    for event_id, (result, _) in fresh.items()
                ],
            )
            staged = stage_events(conn, [event for _, event in fresh.values()])
        return list(fresh), staged

    def count(self, kind: str) -> int:
        """Events of ``kind`` recorded (tests and ``shieldwall worker --status``)."""
        with read_transaction(self.engine) as conn:
            n = conn.execute(
                select(func.count()).select_from(intake_events).where(intake_events.c.kind == kind)
            ).scalar_one()
        return int(n)
