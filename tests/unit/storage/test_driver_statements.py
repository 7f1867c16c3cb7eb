"""Statements run on psycopg's cursor rather than through SQLAlchemy (PostgreSQL): the audit
flush, which switches the driver's autocommit itself, and the masked read's SELECT. Both must
leave the pooled connection as they found it and fail as a StorageError like any other
statement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from shieldwall.audit import merkle
from shieldwall.audit.log import verify
from shieldwall.core.errors import StorageError
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.storage import audit_repo
from shieldwall.storage.audit_repo import SqlAuditStore
from shieldwall.storage.custody_repo import SqlCustodyStore
from shieldwall.storage.db import make_engine, write_transaction
from shieldwall.wiring import Services
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


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_entry_appended_alone_is_stored_as_one_appended_in_a_batch(services: Services) -> None:
    """A batch of one entry goes through its own statement (plain parameters, no arrays): read
    back, its event, body and leaf hash are the ones appended, as for a batch of three, and
    the log (tree nodes and head included) verifies."""
    log = services.audit
    alone = [_event(1)]
    batch = [_event(2), _event(3), _event(4)]
    seqs = log.append(alone) + log.append(batch) + log.append([_event(5)])
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    for seq, appended in zip(seqs, [*alone, *batch, _event(5)], strict=True):
        record = log.entry(seq)
        assert record.event == appended
        assert record.leaf_hash == merkle.leaf_hash(appended.canonical_bytes(seq))
    log.checkpoint()
    assert verify(services.audit_store, log.signer.verifier, policy=log.policy).ok


def _event(n: int) -> AccessEvent:
    return AccessEvent(
        ts=datetime(2026, 3, 2, 9, 0, n, tzinfo=UTC),
        actor="agent-li",
        role="agent",
        action=Action.READ,
        decision=Decision.ALLOW,
        reason="via_ticket",
        customer_ids=(f"C{n:06d}",),
        fields={"name": "masked", "phone": "masked"},
        extra={"note": 'a "quoted" value \\ and a backslash'},
    )
