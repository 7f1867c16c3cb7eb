"""SQL implementation of the audit log's storage (``shieldwall.audit.ports``).

Every customer read appends here, so the append path is the hottest write in shieldwall. Its
statements run on the driver's cursor, inside the transaction SQLAlchemy opened, with SQL written
once per dialect: through SQLAlchemy's statement machinery the same four statements cost about
ten times more (measured: ~550 us against ~50 us per append on SQLite). Everything else uses
prebuilt SQLAlchemy statements.

On PostgreSQL a batch is three round trips while the head row is locked (lock, one statement
writing entries, nodes and head, COMMIT), and the COMMIT of an append does not wait for the disk:
:meth:`SqlAuditStore.flush` does, after the lock is gone (see ``MerkleAuditLog._lead``). Not
psycopg's pipeline mode nor ``executemany`` (which uses it): under cProfile, 400 single appends
spent 0.58 s of their 5.1 s in the pipeline's result loop (``_communicate_gen``, 25 turns per
append), more than in any other Python function.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select
from sqlalchemy.exc import DBAPIError

from shieldwall.audit.ports import Checkpoint, EntryRow
from shieldwall.core.clock import utc
from shieldwall.core.events import AccessEvent
from shieldwall.storage.db import read_transaction, translate_errors, write_transaction
from shieldwall.storage.tables.audit import (
    audit_checkpoints,
    audit_entries,
    audit_head,
    audit_nodes,
    audit_outbox,
)

_HEAD = select(audit_head.c.tree_size, audit_head.c.frontier).where(audit_head.c.id == 1)
_LEAF = select(audit_entries.c.leaf_hash).where(audit_entries.c.seq == bindparam("idx"))
_NODE = select(audit_nodes.c.hash).where(
    audit_nodes.c.level == bindparam("level"), audit_nodes.c.idx == bindparam("idx")
)
_RANGE = (
    select(audit_entries)
    .where(audit_entries.c.seq >= bindparam("start"), audit_entries.c.seq < bindparam("end"))
    .order_by(audit_entries.c.seq)
)
_AFTER = (
    select(audit_entries)
    .where(audit_entries.c.seq > bindparam("last"))
    .order_by(audit_entries.c.seq)
    .limit(bindparam("batch"))
)
_CHECKPOINTS = select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size)
_LATEST = select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size.desc()).limit(1)
_HAS_CHECKPOINT = select(audit_checkpoints.c.tree_size).where(
    audit_checkpoints.c.tree_size == bindparam("size")
)
_EARLIEST = select(func.min(audit_entries.c.ts)).where(audit_entries.c.seq >= bindparam("start"))
_STAGED = (
    select(audit_outbox.c.id, audit_outbox.c.body)
    .order_by(audit_outbox.c.id)
    .limit(bindparam("limit"))
)

_STAGED_IDS = select(audit_outbox.c.id, audit_outbox.c.body).where(
    audit_outbox.c.id.in_(bindparam("ids", expanding=True))
)
_IN_CHUNK = 500  # ids per IN list: well under SQLite's bound-parameter limit
# The append's head lock on PostgreSQL, for a commit that does not wait for the disk
# (set_config(..., true) is SET LOCAL, inside the same statement: no extra round trip).
_HEAD_DEFERRED = (
    "SELECT tree_size, frontier, set_config('synchronous_commit', 'off', true)"
    " FROM audit_head WHERE id = 1 FOR UPDATE"
)
# A batch's entries, its tree nodes and the new head in one statement (one round trip). The
# arrays go in PostgreSQL's binary format (``%b``): in the text format psycopg quotes every
# element and escapes every '"' of the JSON bodies with a regular expression (measured on raw
# psycopg, the lock, this statement and the commit: ~490 us of CPU in text, ~340 us in binary;
# docs/custody.md, "CPU per read, third pass").
_PG_APPEND = (
    "WITH entries AS (INSERT INTO audit_entries (seq, ts, actor, action, body, leaf_hash)"
    " SELECT * FROM unnest(%b::bigint[], %b::timestamptz[], %b::text[], %b::text[],"
    " %b::text[], %b::bytea[])),"
    " nodes AS (INSERT INTO audit_nodes (level, idx, hash)"
    " SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[]))"
    " UPDATE audit_head SET tree_size = %s, frontier = %s WHERE id = 1"
)
# The same for a batch of one entry (the usual batch when requests do not overlap): the entry's
# columns as plain parameters, which psycopg dumps without working out an array's element type
# (measured: ~290 us against ~340 us for the lock, this statement and the commit).
_PG_APPEND_ONE = (
    "WITH entries AS (INSERT INTO audit_entries (seq, ts, actor, action, body, leaf_hash)"
    " VALUES (%b, %b, %b, %b, %b, %b)),"
    " nodes AS (INSERT INTO audit_nodes (level, idx, hash)"
    " SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[]))"
    " UPDATE audit_head SET tree_size = %s, frontier = %s WHERE id = 1"
)
_FLUSH = "SELECT pg_logical_emit_message(true, 'shieldwall.audit.flush', '')"


_RAW = {
    "sqlite": {
        "head": "SELECT tree_size, frontier FROM audit_head WHERE id = 1",
        "init": "INSERT INTO audit_head (id, tree_size, frontier) VALUES (1, 0, x'')",
        "entry": "INSERT INTO audit_entries (seq, ts, actor, action, body, leaf_hash)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        "node": "INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)",
        "set_head": "UPDATE audit_head SET tree_size = ?, frontier = ? WHERE id = 1",
    },
    "postgresql": {
        "head": "SELECT tree_size, frontier FROM audit_head WHERE id = 1 FOR UPDATE",
        "init": "INSERT INTO audit_head (id, tree_size, frontier) VALUES (1, 0, '')",
    },
}


def _sqlite_time(ts: datetime) -> str:
    """SQLAlchemy's storage format for DateTime on SQLite (UTC, naive), so reads parse it."""
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


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

    @contextlib.contextmanager
    def write_deferred(self) -> Iterator[SqlAuditTx]:
        """On PostgreSQL, a transaction with ``synchronous_commit`` off (set when the head is
        locked, the first statement of an append): COMMIT returns, and the head row's lock
        goes, once the commit is in the server's journal buffer, before it is on disk;
        :meth:`flush` then waits for the disk. SQLite commits as :meth:`write`."""
        with write_transaction(self.engine) as conn:
            yield SqlAuditTx(conn, deferred=True)

    def flush(self) -> None:
        """Return once every transaction committed before the call is on disk.

        PostgreSQL writes its journal (WAL) in order and a synchronous commit returns once the
        journal is flushed up to its own commit record, so one small synchronous transaction
        makes every earlier commit durable. The smallest that writes a commit record is a
        transactional logical-decoding message (no table, no lock, allowed to any role; a
        logical-decoding consumer sees an empty ``shieldwall.audit.flush`` message). SQLite:
        nothing to do, its commits are already on disk.
        """
        if self.engine.dialect.name != "postgresql":
            return
        with translate_errors(), self.engine.connect() as conn:
            SqlAuditTx(conn).emit_flush()


def _checkpoint(row: Any) -> Checkpoint:
    m = row._mapping
    return Checkpoint(
        m["tree_size"], m["root_hash"], utc(m["ts"]), m["key_id"], m["signature"], m["note"]
    )


def _entry(row: Any) -> EntryRow:
    m = row._mapping
    return EntryRow(
        m["seq"], utc(m["ts"]), m["actor"], m["action"], m["body"].encode(), m["leaf_hash"]
    )


class SqlAuditTx:
    def __init__(self, conn: Connection, *, deferred: bool = False) -> None:
        self.conn = conn
        self.deferred = deferred

    def head(self) -> int:
        row = self.conn.execute(_HEAD).first()
        return 0 if row is None else int(row.tree_size)

    def lock_head(self) -> tuple[int, bytes]:
        dialect = self.conn.dialect.name
        sql = _RAW[dialect]
        cur = self._cursor()
        deferred = self.deferred and dialect == "postgresql"
        cur.execute(_HEAD_DEFERRED if deferred else sql["head"])
        row = cur.fetchone()
        if row is None:
            cur.execute(sql["init"])
            return 0, b""
        return int(row[0]), bytes(row[1])

    def node(self, level: int, index: int) -> bytes:
        if level == 0:
            value = self.conn.execute(_LEAF, {"idx": index}).scalar()
        else:
            value = self.conn.execute(_NODE, {"level": level, "idx": index}).scalar()
        if value is None:
            raise LookupError(f"audit node ({level}, {index}) is missing")
        return bytes(value)

    def entries(self, start: int, end: int) -> list[EntryRow]:
        return [_entry(r) for r in self.conn.execute(_RANGE, {"start": start, "end": end})]

    def iter_entries(self, batch: int = 5000) -> Iterator[EntryRow]:
        last = -1
        while True:
            rows = [_entry(r) for r in self.conn.execute(_AFTER, {"last": last, "batch": batch})]
            if not rows:
                return
            yield from rows
            last = rows[-1].seq

    def checkpoints(self) -> list[Checkpoint]:
        return [_checkpoint(r) for r in self.conn.execute(_CHECKPOINTS)]

    def latest_checkpoint(self) -> Checkpoint | None:
        row = self.conn.execute(_LATEST).first()
        return None if row is None else _checkpoint(row)

    def append(
        self,
        rows: Sequence[EntryRow],
        nodes: Sequence[tuple[int, int, bytes]],
        size: int,
        frontier: bytes,
    ) -> None:
        cur = self._cursor()
        if self.conn.dialect.name == "postgresql":
            # The head row is locked from here to the commit, and every other appender (another
            # worker) waits for it: one statement, one round trip, whatever the batch's size.
            levels, indexes, hashes = zip(*nodes, strict=True) if nodes else ((), (), ())
            tree = (list(levels), list(indexes), list(hashes), size, frontier)
            if len(rows) == 1:
                (r,) = rows
                entry: tuple[Any, ...] = (
                    r.seq,
                    r.ts,
                    r.actor,
                    r.action,
                    r.body.decode(),
                    r.leaf_hash,
                )
                cur.execute(_PG_APPEND_ONE, entry + tree)
                return
            entries = (
                [r.seq for r in rows],
                [r.ts for r in rows],
                [r.actor for r in rows],
                [r.action for r in rows],
                [r.body.decode() for r in rows],
                [r.leaf_hash for r in rows],
            )
            cur.execute(_PG_APPEND, entries + tree)
            return
        sql = _RAW["sqlite"]
        cur.executemany(
            sql["entry"],
            [
                (r.seq, _sqlite_time(r.ts), r.actor, r.action, r.body.decode(), r.leaf_hash)
                for r in rows
            ],
        )
        if nodes:
            cur.executemany(sql["node"], nodes)
        cur.execute(sql["set_head"], (size, frontier))

    def emit_flush(self) -> None:
        """PostgreSQL: the flush's one statement, in autocommit (its own synchronous commit), on
        a connection outside any transaction. Run on the driver's cursor and the driver's own
        autocommit switch, set and put back here: through SQLAlchemy (an isolation-level
        execution option, ``exec_driver_sql``, and the option's reset when the connection goes
        back to the pool) a flush cost ~320-400 us of CPU, this way ~180-210 us (the statement
        alone on a bare psycopg connection ~80 us). Autocommit is switched off again whatever
        happens, so the pooled connection goes back transactional."""
        driver: Any = self.conn.connection.driver_connection  # psycopg's Connection
        driver.autocommit = True  # psycopg's own switch: no round trip
        try:
            self._cursor().execute(_FLUSH)
        except self.conn.dialect.loaded_dbapi.Error as err:
            raise DBAPIError.instance(
                _FLUSH, None, err, self.conn.dialect.loaded_dbapi.Error
            ) from None
        finally:
            if not driver.closed:
                driver.autocommit = False

    def _cursor(self) -> Any:
        return self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        if self.conn.execute(_HAS_CHECKPOINT, {"size": checkpoint.tree_size}).first():
            return  # signed already, by another process whose checkpoint this one did not see
        self.conn.execute(
            insert(audit_checkpoints).values(
                tree_size=checkpoint.tree_size,
                root_hash=checkpoint.root_hash,
                ts=checkpoint.ts,
                key_id=checkpoint.key_id,
                signature=checkpoint.signature,
                note=checkpoint.note,
            )
        )

    def earliest_ts(self, start: int) -> datetime | None:
        value = self.conn.execute(_EARLIEST, {"start": start}).scalar()
        return None if value is None else utc(value)

    def staged(self, limit: int) -> list[tuple[int, AccessEvent]]:
        rows = self.conn.execute(_STAGED, {"limit": limit})
        return [(int(r.id), AccessEvent.from_dict(json.loads(r.body))) for r in rows]

    def staged_by_id(self, ids: Sequence[int]) -> list[tuple[int, AccessEvent]]:
        found: list[tuple[int, AccessEvent]] = []
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = list(ids[start : start + _IN_CHUNK])
            rows = self.conn.execute(_STAGED_IDS, {"ids": chunk})
            found.extend((int(r.id), AccessEvent.from_dict(json.loads(r.body))) for r in rows)
        return sorted(found, key=lambda item: item[0])

    def unstage(self, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = list(ids[start : start + _IN_CHUNK])
            self.conn.execute(delete(audit_outbox).where(audit_outbox.c.id.in_(chunk)))


def stage_events(conn: Connection, events: Sequence[AccessEvent]) -> list[int]:
    """Stage ``events`` in the outbox in ``conn``'s transaction (another capability's), to be
    logged by ``MerkleAuditLog.log_staged`` (or ``flush_outbox`` at the next start) once it
    commits; return their outbox ids, in the order of ``events``."""
    if not events:
        return []
    rows = conn.execute(
        insert(audit_outbox).returning(audit_outbox.c.id, sort_by_parameter_order=True),
        [{"body": json.dumps(e.to_dict(), sort_keys=True)} for e in events],
    )
    return [int(r.id) for r in rows]
