"""The Merkle audit log on real storage (SQLite and PostgreSQL): concurrent appends from threads
and processes, checkpoints, proofs against stored nodes, and verification."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from datetime import UTC, datetime

import pytest

from shieldwall.audit import merkle
from shieldwall.audit.log import verify
from shieldwall.config import Settings
from shieldwall.core.errors import StorageError
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.wiring import Services, build


def event(n: int, actor: str = "agent-li") -> AccessEvent:
    return AccessEvent(
        ts=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        actor=actor,
        role="agent",
        action=Action.READ,
        decision=Decision.ALLOW,
        reason="via_ticket",
        customer_ids=(f"C{n:06d}",),
    )


def test_concurrent_threads_get_distinct_contiguous_seqs(services: Services) -> None:
    """Eight threads appending at once get every seq exactly once, and the log verifies."""
    log = services.audit
    start = log.size()
    got: list[int] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        for i in range(40):
            seqs = log.append([event(k * 1000 + i), event(k * 1000 + i + 500)])
            with lock:
                got.extend(seqs)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(start, start + 640))
    log.checkpoint()
    report = verify(services.audit_store, log.signer.verifier, policy=log.policy)
    assert report.ok and report.entries == start + 640


def test_a_leader_hands_the_lead_on_once_its_own_entry_is_durable(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two appends that queue while the leader commits are committed together by the oldest of
    them, not by the first leader, whose append returns after its own commit."""
    log = services.audit
    started, release = threading.Event(), threading.Event()
    commits: list[tuple[str, int]] = []
    real_commit = log._commit

    def observed_commit(events):  # type: ignore[no-untyped-def]
        commits.append((threading.current_thread().name, len(events)))
        if len(commits) == 1:
            started.set()
            release.wait(10)
        return real_commit(events)

    monkeypatch.setattr(log, "_commit", observed_commit)
    done: dict[str, list[int]] = {}

    def append(name: str, n: int) -> None:
        done[name] = log.append([event(n)])

    first = threading.Thread(target=append, args=("a", 1), name="a")
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=append, args=(x, n), name=x) for x, n in (("b", 2), ("c", 3))]
    for t in others:
        t.start()
    deadline = time.monotonic() + 10
    while len(log._queue) < 2 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for t in (first, *others):
        t.join(10)
    assert set(done) == {"a", "b", "c"}
    assert commits[0] == ("a", 1)
    assert commits[1][0] in {"b", "c"} and commits[1][1] == 2  # a waiter led, not "a"
    assert len(commits) == 2


def test_stored_tree_matches_recomputed_tree(services: Services) -> None:
    """Roots and proofs served from stored nodes equal those of the tree rebuilt from leaves."""
    log = services.audit
    log.append([event(i) for i in range(77)])
    size = log.size()
    leaves = [r.leaf_hash for r in log.read(-1, size)]
    rebuilt = merkle.ListNodes(leaves)
    for n in (1, 2, 3, 31, 64, size):
        assert log.root(n) == merkle.root(rebuilt, n)
    for seq in (0, 5, size - 1):
        got_size, proof, leaf = log.inclusion_proof(seq)
        assert proof == merkle.inclusion_proof(rebuilt, seq, got_size) and leaf == leaves[seq]
    _, proof = log.consistency_proof(17, size)
    assert merkle.verify_consistency(17, size, log.root(17), log.root(size), proof)


def test_checkpoints_every_n_entries(settings: Settings, clock) -> None:  # type: ignore[no-untyped-def]
    """With checkpoint_every=10, a commit that crosses a multiple of 10 signs a checkpoint."""
    from shieldwall.wiring import initialize

    tuned = settings.model_copy(
        update={"audit": settings.audit.model_copy(update={"checkpoint_every": 10})}
    )
    initialize(tuned, clock)
    svc = build(tuned, clock)
    try:
        for i in range(25):
            svc.audit.append([event(i)])
        with svc.audit_store.read() as tx:
            checkpoints = tx.checkpoints()
        start = svc.audit.size() - 25
        expected = [s for s in range(start + 1, start + 26) if s % 10 == 0]
        assert [cp.tree_size for cp in checkpoints][-len(expected) :] == expected
        assert all(svc.audit.signer.check(cp) for cp in checkpoints)
    finally:
        svc.close()


def _append_from_process(settings_json: str, actor: str, count: int) -> None:
    settings = Settings.model_validate_json(settings_json)
    svc = build(settings)
    try:
        for i in range(count):
            svc.audit.append([event(i, actor)])
    finally:
        svc.close()


def test_two_processes_share_one_log(services: Services, settings: Settings) -> None:
    """Two processes appending to one database interleave without a gap, a clash or a bad hash."""
    start = services.audit.size()
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_append_from_process, args=(settings.model_dump_json(), f"proc-{k}", 60))
        for k in range(2)
    ]
    for p in procs:
        p.start()
    services.audit.append([event(i, "parent") for i in range(30)])
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    services.audit.checkpoint()
    report = verify(
        services.audit_store, services.audit.signer.verifier, policy=services.audit.policy
    )
    assert report.ok and report.entries == start + 150
    actors = [r.event.actor for r in services.audit.read(start - 1, 1000)]
    assert (
        actors.count("proc-0") == 60
        and actors.count("proc-1") == 60
        and actors.count("parent") == 30
    )


def test_an_append_returns_only_once_its_commit_is_flushed(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch commits without waiting for the disk, then the store's flush runs, and only
    then do listeners hear of the records and the append return."""
    log, store = services.audit, services.audit_store
    steps: list[str] = []
    real_deferred, real_flush = store.write_deferred, store.flush

    @contextlib.contextmanager
    def deferred():  # type: ignore[no-untyped-def]
        with real_deferred() as tx:
            yield tx
        steps.append("committed")

    def flush() -> None:
        real_flush()
        steps.append("flushed")

    monkeypatch.setattr(store, "write_deferred", deferred)
    monkeypatch.setattr(store, "flush", flush)
    log.subscribe(lambda records: steps.append(f"heard {len(records)}"))
    seqs = log.append([event(1), event(2)])
    steps.append("returned")
    assert steps == ["committed", "flushed", "heard 2", "returned"]
    assert [r.event.customer_ids for r in log.read(seqs[0] - 1, 2)] == [
        ("C000001",),
        ("C000002",),
    ]


def test_a_failed_flush_fails_the_batch_and_nothing_is_heard(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the flush fails the append raises (the read it logs is refused), listeners hear
    nothing; the next append works and the log verifies."""
    log, store = services.audit, services.audit_store
    heard: list[int] = []
    log.subscribe(lambda records: heard.extend(r.seq for r in records))

    def broken() -> None:
        raise StorageError("the database is unreachable: server closed the connection")

    with monkeypatch.context() as patch:
        patch.setattr(store, "flush", broken)
        with pytest.raises(StorageError):
            log.append([event(1)])
    assert heard == []
    seqs = log.append([event(2)])
    assert heard == seqs
    assert verify(store, log.signer.verifier, policy=log.policy).ok


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_deferred_commit_is_on_disk_once_flushed(services: Services) -> None:
    """On PostgreSQL the append's transaction commits with synchronous_commit off, other
    writes with it on, and a flush moves the server's flushed journal position past the
    deferred commit."""
    store = services.audit_store

    def setting(tx) -> str:  # type: ignore[no-untyped-def]
        return str(tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar_one())

    with store.write_deferred() as tx:
        size, frontier = tx.lock_head()
        assert setting(tx) == "off"
        tx.append([], [], size, frontier)  # rewrites the head row: a commit record to flush
    with store.read() as rtx:
        written = rtx.conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn()").scalar_one()
    store.flush()
    with store.read() as rtx:
        flushed_enough = rtx.conn.exec_driver_sql(
            "SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", (written,)
        ).scalar_one()
    assert flushed_enough
    with store.write() as tx:
        tx.lock_head()
        assert setting(tx) == "on"
