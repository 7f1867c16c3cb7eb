"""Engines on PostgreSQL: pooled connections pinged only after idling, reads without BEGIN."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from shieldwall.core.errors import StorageError
from shieldwall.storage.db import make_engine, read_transaction, write_transaction
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin() -> Iterator[Engine]:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with read_transaction(engine) as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(admin: Engine, pid: int) -> None:
    """Terminate a server backend and wait (bounded) until it has gone."""
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
        for _ in range(10_000):
            alive = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
            ).scalar_one()
            if not alive:
                return
    raise AssertionError(f"backend {pid} still alive")


def test_connection_that_died_while_idle_is_replaced_before_use(admin: Engine) -> None:
    """A pooled connection idle past the threshold is pinged; a dead one never reaches the
    caller."""
    engine = make_engine(PG_ADMIN_URL, ping_after_idle=0.0, pool_size=1)
    try:
        first = _backend_pid(engine)
        _kill(admin, first)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()


def test_connection_returned_a_moment_ago_is_not_pinged(admin: Engine) -> None:
    """Within the threshold no ping is sent (the round trip it saves): a connection killed
    meanwhile fails its next use as a StorageError, and the pool recovers on the one after."""
    engine = make_engine(PG_ADMIN_URL, ping_after_idle=3600.0, pool_size=1)
    try:
        first = _backend_pid(engine)
        _kill(admin, first)
        with pytest.raises(StorageError):
            _backend_pid(engine)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()


def _status(conn: Connection) -> psycopg.pq.TransactionStatus:
    return conn.connection.driver_connection.info.transaction_status  # type: ignore[union-attr, no-any-return]


def test_reads_run_outside_a_transaction_and_writes_inside_one() -> None:
    """On PostgreSQL a read sends no BEGIN (READ COMMITTED gives each statement its own
    snapshot either way); a write on the same pooled connection afterwards is one transaction."""
    engine = make_engine(PG_ADMIN_URL, pool_size=1)
    try:
        with read_transaction(engine) as conn:
            conn.execute(text("SELECT 1"))
            assert _status(conn) is psycopg.pq.TransactionStatus.IDLE
        with write_transaction(engine) as conn:
            conn.execute(text("SELECT 1"))
            assert _status(conn) is psycopg.pq.TransactionStatus.INTRANS
    finally:
        engine.dispose()
