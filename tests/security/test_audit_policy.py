"""Issue #10 point 4: a checkpoint every T seconds of entries (not only every N entries), so the
forgeable tail after the last published checkpoint is bounded in time too."""

from __future__ import annotations

import json

from sqlalchemy import text

from shieldwall.audit.log import verify
from shieldwall.audit.merkle import leaf_hash
from shieldwall.core.clock import ManualClock
from shieldwall.core.events import AccessEvent, Action, Decision
from shieldwall.wiring import Services, witness_file

T = 300.0  # the default audit.checkpoint_seconds


def event(clock: ManualClock, n: int) -> AccessEvent:
    return AccessEvent(
        ts=clock.now(),
        actor="agent-li",
        role="agent",
        action=Action.READ,
        decision=Decision.ALLOW,
        reason="via_ticket",
        customer_ids=(f"C{n:06d}",),
    )


def test_entries_older_than_t_get_a_published_checkpoint(
    services: Services, clock: ManualClock
) -> None:
    """Entries followed T seconds later by another get a checkpoint (published to the witness)
    before it; rehashing one of them then fails verify against the witness."""
    log = services.audit
    assert log.policy.seconds == T
    start = log.size()
    for i in range(3):
        log.append([event(clock, i)])
    clock.advance(T + 1)
    log.append([event(clock, 3)])
    with services.audit_store.read() as tx:
        sizes = [cp.tree_size for cp in tx.checkpoints()]
    assert start + 3 in sizes
    witnessed = [log.signer.verifier.open(n) for n in witness_file(services.settings).notes()]
    assert start + 3 in [cp.tree_size for cp in witnessed]

    seq = start + 1
    with services.engine.begin() as conn:
        body = conn.execute(text("SELECT body FROM audit_entries WHERE seq = :s"), {"s": seq})
        doc = json.loads(body.scalar_one())
        doc["customer_ids"] = ["C999999"]
        forged = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        conn.execute(
            text("UPDATE audit_entries SET body = :b, leaf_hash = :h WHERE seq = :s"),
            {"b": forged, "h": leaf_hash(forged.encode()), "s": seq},
        )
        conn.execute(text("DELETE FROM audit_checkpoints"))
    report = verify(services.audit_store, log.signer.verifier, policy=None, trusted=witnessed)
    assert not report.ok
    assert any("do not match the signed checkpoint" in f.problem for f in report.findings)


def test_an_idle_logs_tail_is_signed_by_tick(services: Services, clock: ManualClock) -> None:
    """tick() signs a checkpoint over entries T seconds old by the clock, and not before."""
    log = services.audit
    log.append([event(clock, 1)])
    clock.advance(T - 1)
    assert log.tick() is None
    clock.advance(2)
    cp = log.tick()
    assert cp is not None and cp.tree_size == log.size()
