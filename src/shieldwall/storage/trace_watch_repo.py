"""SQL cursor of the insider watch (implements ``trace.watch.ports.CursorStore``)."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update

from shieldwall.core.clock import Clock, SystemClock
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.tables.trace_watch import watch_cursors


class SqlCursorStore:
    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()

    def load(self, name: str) -> int:
        with read_transaction(self.engine) as conn:
            seq = conn.execute(
                select(watch_cursors.c.seq).where(watch_cursors.c.name == name)
            ).scalar_one_or_none()
        return -1 if seq is None else int(seq)

    def save(self, name: str, seq: int) -> None:
        now = self.clock.now()
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                update(watch_cursors)
                .where(watch_cursors.c.name == name)
                .values(seq=seq, updated_at=now)
            ).rowcount
            if not done:
                conn.execute(insert(watch_cursors).values(name=name, seq=seq, updated_at=now))
