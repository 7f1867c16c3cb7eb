"""The SQL release ledger and blind-index lookup on SQLite and PostgreSQL: round trips, newest
first, holdings joined with recipients, canary digests unique across releases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from shieldwall.config import Settings
from shieldwall.core.errors import StorageError
from shieldwall.storage.db import make_engine
from shieldwall.storage.migrate import upgrade
from shieldwall.storage.trace_releases_repo import SqlCustomerIndex, SqlReleaseStore
from shieldwall.trace.releases.model import Canary, Holding, Release, ReleaseRecord

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    settings.home.mkdir(parents=True, exist_ok=True)
    eng = make_engine(settings.resolved_database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def release(rid: str, recipient: str, at: datetime) -> Release:
    return Release(
        rid, recipient, "partner", "partner_fulfilment", "export", ("name", "phone"),
        {"name": "clear", "phone": "clear"}, "csv", 3, 2, 1, 0, 1, True, "ab" * 32,
        "operator", at, "note",
    )  # fmt: skip


def test_round_trip_and_queries(engine: Engine) -> None:
    """A release reads back equal; list is newest first and filters; holdings and canaries."""
    store = SqlReleaseStore(engine)
    a, b = release("rel_a", "p-1", T0), release("rel_b", "p-2", T0 + timedelta(hours=1))
    store.insert_release(
        a,
        [ReleaseRecord("rel_a", "C1", True, False), ReleaseRecord("rel_a", "C2", False, True)],
        [Canary(b"\x01" * 16, "rel_a", "phone", T0)],
    )
    store.insert_release(b, [ReleaseRecord("rel_b", "C1", True, True)], [])
    assert store.get_release("rel_a") == a
    assert store.get_release("rel_missing") is None
    assert [r.release_id for r in store.list_releases(None, 10)] == ["rel_b", "rel_a"]
    assert [r.release_id for r in store.list_releases("p-1", 10)] == ["rel_a"]
    assert sorted(
        store.holdings(["C1", "C2", "C9"]), key=lambda h: (h.release_id, h.customer_id)
    ) == [
        Holding("C1", "rel_a", "p-1", True, False, True),
        Holding("C2", "rel_a", "p-1", False, True, True),
        Holding("C1", "rel_b", "p-2", True, True, True),
    ]
    hits = store.canary_hits([b"\x01" * 16, b"\x02" * 16])
    assert list(hits) == [b"\x01" * 16] and hits[b"\x01" * 16].release_id == "rel_a"
    assert store.canaries_known([b"\x02" * 16]) == set()


def test_canary_digest_is_unique_and_insert_is_atomic(engine: Engine) -> None:
    """A trap digest already issued makes the whole second release fail, leaving no trace."""
    store = SqlReleaseStore(engine)
    store.insert_release(
        release("rel_a", "p-1", T0), [], [Canary(b"\x07" * 16, "rel_a", "email", T0)]
    )
    with pytest.raises(StorageError):
        store.insert_release(
            release("rel_b", "p-1", T0),
            [ReleaseRecord("rel_b", "C1", True, False)],
            [Canary(b"\x07" * 16, "rel_b", "email", T0)],
        )
    assert store.get_release("rel_b") is None and store.holdings(["C1"]) == []


def test_customer_index_finds_nothing_unknown(engine: Engine) -> None:
    """Unknown digests and ids give empty answers (the index reads index columns only)."""
    index = SqlCustomerIndex(engine)
    assert index.by_index("phone", [b"\x00" * 16]) == {}
    assert index.phone_indexes(["C404"]) == {}
