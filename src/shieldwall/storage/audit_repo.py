"""SQL implementation of the audit log's storage (``shieldwall.audit.ports``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, Engine, insert, select, update

from shieldwall.audit.ports import Checkpoint, EntryRow
from shieldwall.core.clock import utc
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.tables.audit import (
    audit_checkpoints,
    audit_entries,
    audit_head,
    audit_nodes,
)


class SqlAuditStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def read(self) -> Iterator[SqlAuditTx]:
        with read_transaction(self.engine) as conn:
            yield SqlAuditTx(conn)

    @contextlib.contextmanager
    def write(self) -> Iterator[SqlAuditTx]:
        with write_transaction(self.engine) as conn:
            yield SqlAuditTx(conn)


def _checkpoint(row: object) -> Checkpoint:
    m = row._mapping  # type: ignore[attr-defined]
    return Checkpoint(m["tree_size"], m["root_hash"], utc(m["ts"]), m["key_id"], m["signature"])


def _entry(row: object) -> EntryRow:
    m = row._mapping  # type: ignore[attr-defined]
    body = m["body"]
    return EntryRow(m["seq"], utc(m["ts"]), m["actor"], m["action"], body.encode(), m["leaf_hash"])


class SqlAuditTx:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def head(self) -> int:
        value = self.conn.scalar(select(audit_head.c.tree_size).where(audit_head.c.id == 1))
        return int(value or 0)

    def lock_head(self) -> int:
        q = select(audit_head.c.tree_size).where(audit_head.c.id == 1)
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        value = self.conn.scalar(q)
        if value is None:
            self.conn.execute(insert(audit_head).values(id=1, tree_size=0))
            return 0
        return int(value)

    def node(self, level: int, index: int) -> bytes:
        if level == 0:
            q = select(audit_entries.c.leaf_hash).where(audit_entries.c.seq == index)
        else:
            q = select(audit_nodes.c.hash).where(
                audit_nodes.c.level == level, audit_nodes.c.idx == index
            )
        value = self.conn.scalar(q)
        if value is None:
            raise LookupError(f"audit node ({level}, {index}) is missing")
        return bytes(value)

    def entries(self, start: int, end: int) -> list[EntryRow]:
        q = (
            select(audit_entries)
            .where(audit_entries.c.seq >= start, audit_entries.c.seq < end)
            .order_by(audit_entries.c.seq)
        )
        return [_entry(r) for r in self.conn.execute(q)]

    def iter_entries(self, batch: int = 5000) -> Iterator[EntryRow]:
        last = -1
        while True:
            q = (
                select(audit_entries)
                .where(audit_entries.c.seq > last)
                .order_by(audit_entries.c.seq)
                .limit(batch)
            )
            rows = [_entry(r) for r in self.conn.execute(q)]
            if not rows:
                return
            yield from rows
            last = rows[-1].seq

    def checkpoints(self) -> list[Checkpoint]:
        q = select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size)
        return [_checkpoint(r) for r in self.conn.execute(q)]

    def latest_checkpoint(self) -> Checkpoint | None:
        q = select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size.desc()).limit(1)
        row = self.conn.execute(q).first()
        return None if row is None else _checkpoint(row)

    def append(
        self, rows: Sequence[EntryRow], nodes: Sequence[tuple[int, int, bytes]], size: int
    ) -> None:
        self.conn.execute(
            insert(audit_entries),
            [
                {
                    "seq": r.seq,
                    "ts": r.ts,
                    "actor": r.actor,
                    "action": r.action,
                    "body": r.body.decode(),
                    "leaf_hash": r.leaf_hash,
                }
                for r in rows
            ],
        )
        if nodes:
            self.conn.execute(
                insert(audit_nodes), [{"level": lv, "idx": i, "hash": h} for lv, i, h in nodes]
            )
        self.conn.execute(update(audit_head).where(audit_head.c.id == 1).values(tree_size=size))

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self.conn.execute(
            insert(audit_checkpoints).values(
                tree_size=checkpoint.tree_size,
                root_hash=checkpoint.root_hash,
                ts=checkpoint.ts,
                key_id=checkpoint.key_id,
                signature=checkpoint.signature,
            )
        )
