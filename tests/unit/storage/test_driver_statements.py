"""Statements run on psycopg's cursor rather than through SQLAlchemy (PostgreSQL): the audit
flush, which switches the driver's autocommit itself, and the masked read's SELECT. Both must
leave the pooled connection as they found it and fail as a StorageError like any other
statement."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from shieldwall.core.errors import StorageError
from shieldwall.storage import audit_repo
from shieldwall.storage.audit_repo import SqlAuditStore
from shieldwall.storage.custody_repo import SqlCustodyStore
from shieldwall.storage.db import make_engine, write_transaction
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
def one_connection() -> Iterator[Engine]:
    """An engine whose pool holds one connection: every check-out gets the same one back."""
    engine = make_engine(PG_ADMIN_URL, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _rolled_back_insert_is_gone(engine: Engine) -> bool:
    """Insert in a write transaction that then fails: True if the insert was rolled back (as
    it is unless the connection was left in autocommit)."""
    with write_transaction(engine) as conn:
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS probe (n int)"))
        conn.execute(text("DELETE FROM probe"))
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        conn.execute(text("INSERT INTO probe VALUES (1)"))
        raise RuntimeError("abort the transaction")
    with write_transaction(engine) as conn:
        return conn.execute(text("SELECT count(*) FROM probe")).scalar_one() == 0


def test_a_flush_leaves_the_connection_transactional(one_connection: Engine) -> None:
    """After the flush (run in the driver's autocommit), the same pooled connection rolls a
    failed write transaction back: autocommit was switched off again."""
    SqlAuditStore(one_connection).flush()
    with one_connection.connect() as conn:
        assert conn.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
    assert _rolled_back_insert_is_gone(one_connection)


def test_a_failed_flush_is_a_storage_error_and_restores_the_connection(
    one_connection: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flush the server refuses raises StorageError (not the driver's own exception, which
    the audit log would hand raw to every waiting request), and the connection is
    transactional again afterwards."""
    monkeypatch.setattr(audit_repo, "_FLUSH", "SELECT 1 / 0")
    with pytest.raises(StorageError, match="division by zero"):
        SqlAuditStore(one_connection).flush()
    assert _rolled_back_insert_is_gone(one_connection)


def test_the_read_select_on_the_driver_fails_as_a_storage_error(one_connection: Engine) -> None:
    """The masked read's SELECT, run on the driver's cursor, is mapped like a statement run
    through SQLAlchemy (a StorageError with the driver's first line), and the message carries
    neither the SQL's parameters nor the ids asked for."""
    with pytest.raises(StorageError) as failed, SqlCustodyStore(one_connection).read() as tx:
        tx.customer_and_open_tickets("C-SECRET-ID", "agent-secret")
    message = str(failed.value)
    assert message == 'database error: relation "customers" does not exist'
    assert "C-SECRET-ID" not in message and "agent-secret" not in message
