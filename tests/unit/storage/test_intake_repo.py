"""The intake's processed-event record on SQLite and PostgreSQL: results kept by kind and id,
the first result wins, and reads staged in the audit outbox in the same transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.storage.intake_repo import SqlProcessedEvents
from shieldwall.storage.tables.intake import intake_events
from shieldwall.wiring import Services

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def read(actor: str) -> AccessEvent:
    return AccessEvent(T, actor, "agent", Action.READ, Decision.ALLOW, "store_read")


def test_known_and_first_result_wins(services: Services) -> None:
    """Results come back by id, per kind; recording an id again keeps the first result."""
    p = SqlProcessedEvents(services.engine)
    assert p.known("logins.attempts", ["a"]) == {}
    p.record("logins.attempts", {"a": {"n": 1}, "b": {"n": 2}}, T)
    p.record("logins.attempts", {"a": {"n": 9}, "c": {"n": 3}}, T)
    assert p.known("logins.attempts", ["a", "b", "c", "d", "a"]) == {
        "a": {"n": 1},
        "b": {"n": 2},
        "c": {"n": 3},
    }
    assert p.known("access", ["a"]) == {}  # ids are per kind
    assert p.count("logins.attempts") == 3


def test_a_result_reads_back_as_recorded_whichever_encoder_wrote_it(services: Services) -> None:
    """A decision with floats, nested reasons and non-ASCII text reads back equal, and a row in
    the earlier text form (``json.dumps``: spaces, non-ASCII escaped) still reads back."""
    p = SqlProcessedEvents(services.engine)
    result = {
        "score": 4.35,
        "probability": 0.0001,
        "reasons": [{"detail": "über 3", "code": "account_failures"}],
        "force_password_reset": False,
        "none": None,
    }
    p.record("logins.attempts", {"new": result}, T)
    with services.engine.begin() as conn:
        conn.execute(
            intake_events.insert(),
            {
                "kind": "logins.attempts",
                "event_id": "old",
                "result": json.dumps(result, sort_keys=True),
                "processed_at": T,
            },
        )
    assert p.known("logins.attempts", ["new", "old"]) == {"new": result, "old": result}


def test_record_with_audit_stages_each_event_once(services: Services) -> None:
    """New ids are recorded and staged together; a repeat stages nothing; logging the staged
    ids puts each read in the audit log once."""
    p = SqlProcessedEvents(services.engine)
    items = [(f"r{i}", {"audited": True}, read(f"agent-{i}")) for i in range(3)]
    ids, outbox = p.record_with_audit("access", items, T)
    assert ids == ["r0", "r1", "r2"] and len(outbox) == 3
    again_ids, again_outbox = p.record_with_audit("access", [*items, items[0]], T)
    assert again_ids == [] and again_outbox == []
    before = services.audit.size()
    seqs = services.audit.log_staged(outbox)
    assert len(seqs) == 3 and services.audit.size() == before + 3
    actors = [r.event.actor for r in services.audit.read(before - 1, 10)]
    assert actors == ["agent-0", "agent-1", "agent-2"]


def test_record_commits_without_waiting_on_postgresql_and_only_there(
    services: Services, backend: str
) -> None:
    """On PostgreSQL the batch's insert runs with synchronous_commit off, and the setting ends
    with its transaction: the next transaction on the same connection (a read's audit entry)
    commits synchronously again."""
    if backend != "postgres":
        pytest.skip("a PostgreSQL setting")
    p = SqlProcessedEvents(services.engine)
    seen: list[tuple[str, Any]] = []

    def show(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO intake_events"):
            raw = conn.connection.dbapi_connection
            value = raw.execute("SHOW synchronous_commit").fetchone()[0]
            seen.append((value, id(raw)))

    event.listen(services.engine, "before_cursor_execute", show)
    try:
        p.record("logins.attempts", {"a": {"n": 1}}, T)
    finally:
        event.remove(services.engine, "before_cursor_execute", show)
    assert [v for v, _ in seen] == ["off"]
    with services.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if id(raw) == seen[0][1]:  # the pool handed back the same connection
            assert raw.execute("SHOW synchronous_commit").fetchone()[0] == "on"
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar_one() == "on"
