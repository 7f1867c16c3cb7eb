"""The compensation ledger's storage on SQLite and PostgreSQL: the database itself refuses an
UPDATE or DELETE of a ledger row, an unbalanced posting, an entry added to a written posting,
and entries without a posting; the repository has no method that changes a posting."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from shieldwall.core.errors import StorageError
from shieldwall.core.paging import Position
from shieldwall.respond.compensation import CASH, EXPENSE, Entry, Posting, PostingKind
from shieldwall.storage.db import write_transaction
from shieldwall.storage.respond_money_repo import SqlMoneyStore, SqlMoneyTx
from shieldwall.wiring import Services

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def posting(pid: str = "pst-1", key: str = "key-00000001", amount: int = 500) -> Posting:
    return Posting(
        pid,
        key,
        b"\x00" * 32,
        PostingKind.RECOVERY,
        "case-7",
        None,
        (Entry(EXPENSE, amount), Entry(CASH, -amount)),
        T0,
        "operator",
    )


def run(services: Services, *statements: str) -> None:
    with write_transaction(services.engine) as conn:
        for s in statements:
            conn.execute(text(s))


@pytest.fixture
def written(services: Services) -> SqlMoneyStore:
    store = SqlMoneyStore(services.engine)
    with store.write() as tx:
        tx.insert_posting(posting())
    return store


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE respond_ledger_entries SET amount_fen = 1",
        "UPDATE respond_ledger_postings SET total_fen = 1",
        "UPDATE respond_ledger_postings SET created_by = 'x'",
        "DELETE FROM respond_ledger_entries",
        "DELETE FROM respond_ledger_postings",
    ],
)
def test_ledger_rows_cannot_be_updated_or_deleted(
    services: Services, written: SqlMoneyStore, statement: str
) -> None:
    """Even raw SQL on the application's connection is refused by the triggers."""
    with pytest.raises(StorageError, match="append-only"):
        run(services, statement)
    with written.read() as tx:
        assert tx.balances() == {CASH: -500, EXPENSE: 500}


def test_truncate_is_refused_on_postgres(
    services: Services, written: SqlMoneyStore, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(StorageError, match="append-only"):
        run(services, "TRUNCATE respond_ledger_entries")


def test_an_unbalanced_posting_is_refused_at_insert(services: Services) -> None:
    """Entries summing to 100 fen, or a single entry, or a wrong total: the posting row is
    refused and the transaction rolls back with its entries."""
    # The SQL is built from this test's own literals (no outside input).
    for entries, total in (
        ("('p1', 1, 'cash', 600), ('p1', 2, 'compensation_expense', -500)", 600),
        ("('p1', 1, 'cash', 500)", 500),
        ("('p1', 1, 'cash', 500), ('p1', 2, 'compensation_expense', -500)", 400),
    ):
        head = (
            "INSERT INTO respond_ledger_postings (posting_id, idempotency_key, request_digest,"
            " kind, total_fen, created_at, created_by) VALUES "
        )
        values = f"('p1', 'k1', {_blob(services)}, 'recovery', {total}, CURRENT_TIMESTAMP, 'x')"
        with pytest.raises(StorageError, match="unbalanced"):
            run(services, f"INSERT INTO respond_ledger_entries VALUES {entries}", head + values)  # noqa: S608
    with SqlMoneyStore(services.engine).read() as tx:
        assert tx.balances() == {}


def _blob(services: Services) -> str:
    return "'\\x00'::bytea" if services.engine.dialect.name == "postgresql" else "X'00'"


def test_entries_cannot_be_added_to_a_written_posting(
    services: Services, written: SqlMoneyStore
) -> None:
    with pytest.raises(StorageError, match="closed"):
        run(
            services,
            "INSERT INTO respond_ledger_entries VALUES ('pst-1', 3, 'cash', 7),"
            " ('pst-1', 4, 'compensation_expense', -7)",
        )


def test_entries_without_a_posting_cannot_commit(services: Services) -> None:
    """The foreign key is checked at commit: balanced entries alone are refused then."""
    with pytest.raises(StorageError):
        run(
            services,
            "INSERT INTO respond_ledger_entries VALUES ('px', 1, 'cash', 7),"
            " ('px', 2, 'compensation_expense', -7)",
        )


def test_one_idempotency_key_one_posting(services: Services, written: SqlMoneyStore) -> None:
    with pytest.raises(StorageError) as err, written.write() as tx:
        tx.insert_posting(posting("pst-2"))
    assert err.value.code == "conflict"
    with written.read() as tx:
        again = tx.posting_by_key("key-00000001")
        assert again is not None and again.posting_id == "pst-1"
        assert again.entries == posting().entries


def test_the_repository_has_no_way_to_change_a_posting() -> None:
    """The ledger's only write is insert_posting (pinned: a new method needs a reason)."""
    ledger_writes = {
        name
        for name in dir(SqlMoneyTx)
        if not name.startswith("_")
        and any(w in name for w in ("posting", "entr", "ledger", "balance"))
    }
    assert ledger_writes == {"insert_posting", "list_postings", "posting_by_key", "balances"}
    assert not [n for n in dir(SqlMoneyTx) if n.startswith(("update", "delete", "remove"))]


def test_postings_page_newest_first_by_time_then_id(services: Services) -> None:
    """Three postings at one instant and one a second later: newest first is the later one,
    then the tied ones by id descending; ``after`` keeps what sorts strictly after it, in that
    order; without ``newest_first`` the order is oldest first and ``after`` is refused."""
    store = SqlMoneyStore(services.engine)
    later = replace(posting("pst-9", "key-00000009"), created_at=T0 + timedelta(seconds=1))
    with store.write() as tx:
        for n in (2, 1, 3):
            tx.insert_posting(posting(f"pst-{n}", f"key-0000000{n}"))
        tx.insert_posting(later)
    with store.read() as tx:
        newest = tx.list_postings("case-7", None, 10, newest_first=True)
        assert [p.posting_id for p in newest] == ["pst-9", "pst-3", "pst-2", "pst-1"]
        after = tx.list_postings("case-7", None, 10, newest_first=True, after=Position(T0, "pst-3"))
        assert [p.posting_id for p in after] == ["pst-2", "pst-1"]
        first_two = tx.list_postings("case-7", None, 2, newest_first=True)
        assert [p.posting_id for p in first_two] == ["pst-9", "pst-3"]
        oldest = tx.list_postings("case-7", None, 10)
        assert [p.posting_id for p in oldest] == ["pst-1", "pst-2", "pst-3", "pst-9"]
        with pytest.raises(ValueError, match="newest-first"):
            tx.list_postings("case-7", None, 10, after=Position(T0, "pst-3"))
