"""The worker's decisions, per event and per batch, on a fake JetStream client (no NATS): the
same bodies either way, batch messages split under the payload limit, acknowledgements only
after the decisions, and a redelivered batch that changes nothing. The NATS path itself is
tested against the real server in tests/functional/test_intake_worker.py."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Literal, cast

from nats.aio.msg import Msg

from shieldwall.config import NatsSettings
from shieldwall.intake.events import Kind, parse_event
from shieldwall.intake.worker import IntakeWorker
from tests.unit.intake.test_service import CountingEngine, DictEvents, make


@dataclass
class FakeJetStream:
    """Records what the worker publishes; ``log`` interleaves publications and acks."""

    log: list[str] = field(default_factory=list)
    published: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    async def publish_async(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        self.published.append((subject, payload, headers))
        self.log.append("publish")

    async def publish_async_completed(self) -> None:
        self.log.append("completed")

    async def publish(self, subject: str, payload: bytes) -> None:
        self.published.append((subject, payload, {}))


@dataclass
class FakeMsg:
    data: bytes
    js: FakeJetStream
    acked: bool = False

    async def ack(self) -> None:
        self.acked = True
        self.js.log.append("ack")


def attempt(i: int) -> bytes:
    return json.dumps(
        {"event_id": f"e-{i}", "account": f"acct-{i % 7}", "ip": f"10.0.{i % 5}.{i % 250 + 1}"}
    ).encode()


def worker(
    decisions: Literal["per_event", "batch"], max_payload: int = 1_048_576
) -> tuple[IntakeWorker, FakeJetStream]:
    """A worker on a fresh intake (in-process risk state, a dict of processed events)."""
    intake, _, _ = make()
    w = IntakeWorker(intake, NatsSettings(prefix="p", decisions=decisions))
    js = FakeJetStream()
    w._js = cast(Any, js)  # the client run() would connect
    w._nc = cast(Any, SimpleNamespace(max_payload=max_payload))
    return w, js


def deliver(w: IntakeWorker, js: FakeJetStream, bodies: list[bytes]) -> list[FakeMsg]:
    msgs = [FakeMsg(b, js) for b in bodies]
    asyncio.run(w.handle(Kind.LOGIN_ATTEMPT, cast(list[Msg], msgs)))
    return msgs


def batch_entries(js: FakeJetStream) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for subject, payload, _ in js.published:
        assert subject == "p.decisions.batch.login"
        body = json.loads(payload)
        assert body["kind"] == "login"
        out.extend(body["decisions"])
    return out


def test_batch_decisions_carry_the_per_event_bodies_in_order() -> None:
    """One batch message holds, in the batch's order, what per-event mode sends one by one."""
    bodies = [attempt(i) for i in range(40)]
    per_event, js1 = worker("per_event")
    deliver(per_event, js1, bodies)
    batch, js2 = worker("batch")
    deliver(batch, js2, bodies)

    assert [s for s, _, _ in js1.published] == ["p.decisions.login"] * 40
    assert [h["Nats-Msg-Id"] for _, _, h in js1.published] == [f"login:e-{i}" for i in range(40)]
    singles = [json.loads(p) for _, p, _ in js1.published]
    assert len(js2.published) == 1
    entries = batch_entries(js2)
    assert [e["event_id"] for e in entries] == [f"e-{i}" for i in range(40)]
    # the same shape; assessment ids differ between the two engines, decisions do not
    for one, entry in zip(singles, entries, strict=True):
        assert one["kind"] == "login" and one["status"] == entry["status"] == "processed"
        assert one["result"].keys() == entry["result"].keys()
        assert one["result"]["decision"] == entry["result"]["decision"]


def test_a_batch_over_the_payload_limit_is_split_and_acked_after_its_decisions() -> None:
    """With a small server payload limit the decisions go out in several messages, each under
    it, together every event once in order; every ack comes after the last publication."""
    w, js = worker("batch", max_payload=4096 + 2000)
    msgs = deliver(w, js, [attempt(i) for i in range(60)])
    assert len(js.published) > 2
    assert all(len(p) <= 4096 + 2000 for _, p, _ in js.published)
    assert [e["event_id"] for e in batch_entries(js)] == [f"e-{i}" for i in range(60)]
    assert all(m.acked for m in msgs)
    first_ack = js.log.index("ack")
    assert "publish" not in js.log[first_ack:] and js.log[first_ack - 1] == "completed"
    ids = [h["Nats-Msg-Id"] for _, _, h in js.published]
    assert len(set(ids)) == len(ids) and all(i.startswith("batch:login:") for i in ids)


def test_a_redelivered_batch_changes_nothing() -> None:
    """The same batch delivered again: nothing assessed or recorded, every event answered
    duplicate with its first result, under the same message ids (JetStream drops them within
    its duplicate window)."""
    w, js = worker("batch")
    engine = cast(CountingEngine, w.intake.risk)
    processed = cast(DictEvents, w.intake.processed)
    bodies = [attempt(i) for i in range(30)]
    deliver(w, js, bodies)
    rows = dict(processed.rows)
    first = batch_entries(js)
    first_ids = [h["Nats-Msg-Id"] for _, _, h in js.published]
    js.published.clear()

    again = deliver(w, js, bodies)
    assert engine.batches[0] == 30 and sum(engine.batches) == 30  # assessed once, the first time
    assert [h["Nats-Msg-Id"] for _, _, h in js.published] == first_ids
    assert processed.rows == rows
    second = batch_entries(js)
    assert [e["status"] for e in second] == ["duplicate"] * 30
    assert [e["result"] for e in second] == [e["result"] for e in first]
    assert all(m.acked for m in again)
    assert w.stats.processed == 30 and w.stats.duplicates == 30


def test_bad_events_are_dead_lettered_and_the_rest_decided() -> None:
    """A bad event in a batch is dead-lettered (field named, value absent) and acknowledged;
    the batch message holds the others."""
    w, js = worker("batch")
    bad = json.dumps({"event_id": "bad", "account": "13800138000", "ip": "x1"}).encode()
    msgs = [FakeMsg(b, js) for b in (attempt(1), bad, attempt(2))]
    for m in msgs:  # what the dead letter reads off a JetStream message
        m.subject = "p.logins.attempts"  # type: ignore[attr-defined]
        m.metadata = SimpleNamespace(sequence=SimpleNamespace(stream=7))  # type: ignore[attr-defined]
    asyncio.run(w.handle(Kind.LOGIN_ATTEMPT, cast(list[Msg], msgs)))
    dead = [json.loads(p) for s, p, _ in js.published if s == "p.deadletter"]
    assert [(d["event_id"], d["field"]) for d in dead] == [("bad", "ip")]
    assert "13800138000" not in json.dumps(dead)
    decided = [json.loads(p) for s, p, _ in js.published if s == "p.decisions.batch.login"]
    assert [e["event_id"] for e in decided[0]["decisions"]] == ["e-1", "e-2"]
    assert all(m.acked for m in msgs)
    assert parse_event(Kind.LOGIN_ATTEMPT, attempt(1)).event_id == "e-1"
