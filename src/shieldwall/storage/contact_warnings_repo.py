"""SQL implementation of the warnings outbox (``contact.warnings.ports.OutboxStore``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, insert, or_, select, text, update

from shieldwall.contact.warnings.model import (
    Notification,
    NotificationStatus,
    Signal,
    Trigger,
    TriggerKind,
)
from shieldwall.core.clock import utc
from shieldwall.core.paging import Position
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.paging import before
from shieldwall.storage.tables.contact_ledger import contact_outbox as ob

_IN_CHUNK = 500
_LIVE = tuple(s.value for s in NotificationStatus if s is not NotificationStatus.DEAD)


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _row(r: Any) -> Notification:
    m = r._mapping
    return Notification(
        notification_id=m["notification_id"],
        customer_id=m["customer_id"],
        trigger=Trigger(TriggerKind(m["trigger_kind"]), m["trigger_id"]),
        channel=m["channel"],
        locale=m["locale"],
        score=m["score"],
        signals=tuple(
            Signal(x["code"], x["points"], x["detail"]) for x in json.loads(m["reasons"])
        ),
        status=NotificationStatus(m["status"]),
        attempts=m["attempts"],
        created_at=utc(m["created_at"]),
        next_attempt_at=utc(m["next_attempt_at"]),
        attempted_at=_opt(m["attempted_at"]),
        sent_at=_opt(m["sent_at"]),
        last_error=m["last_error"],
        rank=m["rank"],
    )


class SqlOutboxStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def read(self) -> Iterator[SqlOutboxTx]:
        with read_transaction(self.engine) as conn:
            yield SqlOutboxTx(conn)

    @contextlib.contextmanager
    def write(self) -> Iterator[SqlOutboxTx]:
        with write_transaction(self.engine) as conn:
            yield SqlOutboxTx(conn)


class SqlOutboxTx:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def lock(self) -> None:
        # SQLite: the write transaction began IMMEDIATE and already excludes other writers.
        # PostgreSQL: SHARE ROW EXCLUSIVE conflicts with itself and with writers, not readers.
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("LOCK TABLE contact_outbox IN SHARE ROW EXCLUSIVE MODE"))

    def planned(self, trigger: Trigger, customer_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(customer_ids), _IN_CHUNK):
            q = select(ob.c.customer_id).where(
                ob.c.trigger_kind == trigger.kind.value,
                ob.c.trigger_id == trigger.trigger_id,
                ob.c.customer_id.in_(customer_ids[start : start + _IN_CHUNK]),
            )
            found.update(self.conn.scalars(q))
        return found

    def warned_since(self, customer_ids: Sequence[str], since: datetime) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(customer_ids), _IN_CHUNK):
            q = select(ob.c.customer_id).where(
                ob.c.customer_id.in_(customer_ids[start : start + _IN_CHUNK]),
                ob.c.status.in_(_LIVE),
                or_(ob.c.created_at >= since, ob.c.sent_at >= since),
            )
            found.update(self.conn.scalars(q))
        return found

    def insert(self, rows: Sequence[Notification]) -> None:
        if not rows:
            return
        self.conn.execute(
            insert(ob),
            [
                {
                    "notification_id": n.notification_id,
                    "customer_id": n.customer_id,
                    "trigger_kind": n.trigger.kind.value,
                    "trigger_id": n.trigger.trigger_id,
                    "channel": n.channel,
                    "locale": n.locale,
                    "score": n.score,
                    "rank": n.rank,
                    "reasons": json.dumps([s.as_dict() for s in n.signals], ensure_ascii=False),
                    "status": n.status.value,
                    "attempts": n.attempts,
                    "created_at": n.created_at,
                    "next_attempt_at": n.next_attempt_at,
                    "attempted_at": n.attempted_at,
                    "sent_at": n.sent_at,
                    "last_error": n.last_error,
                }
                for n in rows
            ],
        )

    def attempted_since(self, since: datetime) -> int:
        q = select(func.count()).select_from(ob).where(ob.c.attempted_at >= since)
        return int(self.conn.scalar(q) or 0)

    def release_stale(self, claimed_before: datetime, max_attempts: int, now: datetime) -> int:
        stale = (
            ob.c.status == NotificationStatus.SENDING.value,
            ob.c.attempted_at < claimed_before,
        )
        dead = self.conn.execute(
            update(ob)
            .where(*stale, ob.c.attempts >= max_attempts)
            .values(status=NotificationStatus.DEAD.value, last_error="lease_expired")
        ).rowcount
        back = self.conn.execute(
            update(ob)
            .where(*stale)
            .values(
                status=NotificationStatus.PENDING.value,
                next_attempt_at=now,
                last_error="lease_expired",
            )
        ).rowcount
        return int(dead + back)

    def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        q = (
            select(ob.c.notification_id)
            .where(ob.c.status == NotificationStatus.PENDING.value, ob.c.next_attempt_at <= now)
            .order_by(ob.c.score.desc(), ob.c.rank, ob.c.created_at, ob.c.notification_id)
            .limit(limit)
        )
        ids = list(self.conn.scalars(q))
        if not ids:
            return []
        self.conn.execute(
            update(ob)
            .where(ob.c.notification_id.in_(ids))
            .values(
                status=NotificationStatus.SENDING.value,
                attempts=ob.c.attempts + 1,
                attempted_at=now,
            )
        )
        rows = self.conn.execute(
            select(ob)
            .where(ob.c.notification_id.in_(ids))
            .order_by(ob.c.score.desc(), ob.c.rank, ob.c.created_at, ob.c.notification_id)
        )
        return [_row(r) for r in rows]

    def unclaim(self, notification_ids: Sequence[str]) -> None:
        if not notification_ids:
            return
        self.conn.execute(
            update(ob)
            .where(
                ob.c.notification_id.in_(list(notification_ids)),
                ob.c.status == NotificationStatus.SENDING.value,
            )
            .values(status=NotificationStatus.PENDING.value, attempts=ob.c.attempts - 1)
        )

    def finish(
        self,
        notification_id: str,
        status: NotificationStatus,
        *,
        at: datetime,
        next_attempt_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status.value, "last_error": error}
        if status is NotificationStatus.SENT:
            values["sent_at"] = at
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        self.conn.execute(
            update(ob)
            .where(
                ob.c.notification_id == notification_id,
                ob.c.status == NotificationStatus.SENDING.value,
            )
            .values(**values)
        )

    def counts(self, trigger: Trigger | None = None) -> dict[str, int]:
        q = select(ob.c.status, func.count()).group_by(ob.c.status)
        if trigger is not None:
            q = q.where(
                ob.c.trigger_kind == trigger.kind.value, ob.c.trigger_id == trigger.trigger_id
            )
        out = {s.value: 0 for s in NotificationStatus}
        out.update({status: int(n) for status, n in self.conn.execute(q).all()})
        return out

    def list(
        self,
        *,
        trigger: Trigger | None = None,
        status: NotificationStatus | None = None,
        limit: int = 100,
    ) -> list[Notification]:
        q = select(ob).order_by(ob.c.score.desc(), ob.c.rank, ob.c.created_at).limit(limit)
        return [_row(r) for r in self.conn.execute(_filtered(q, trigger, status))]

    def newest(
        self,
        *,
        trigger: Trigger | None = None,
        status: NotificationStatus | None = None,
        limit: int,
        after: Position | None = None,
    ) -> Sequence[Notification]:
        q = select(ob).order_by(ob.c.created_at.desc(), ob.c.notification_id.desc()).limit(limit)
        if after is not None:
            q = q.where(before(ob.c.created_at, ob.c.notification_id, after))
        return [_row(r) for r in self.conn.execute(_filtered(q, trigger, status))]

    def due_pending(self, now: datetime) -> int:
        q = (
            select(func.count())
            .select_from(ob)
            .where(ob.c.status == NotificationStatus.PENDING.value, ob.c.next_attempt_at <= now)
        )
        return int(self.conn.scalar(q) or 0)

    def next_due(self) -> datetime | None:
        q = select(func.min(ob.c.next_attempt_at)).where(
            ob.c.status == NotificationStatus.PENDING.value
        )
        value = self.conn.scalar(q)
        return None if value is None else utc(value)


def _filtered(
    q: Select[Any], trigger: Trigger | None, status: NotificationStatus | None
) -> Select[Any]:
    """``q`` narrowed to one trigger's and one status's notifications, when given."""
    if trigger is not None:
        q = q.where(ob.c.trigger_kind == trigger.kind.value, ob.c.trigger_id == trigger.trigger_id)
    if status is not None:
        q = q.where(ob.c.status == status.value)
    return q
