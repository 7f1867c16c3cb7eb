"""``shieldwall worker`` against the real NATS JetStream server on 127.0.0.1:4222, as a
subprocess: exactly-once effect across a SIGKILL, redelivery, re-published duplicates, the
dead-letter subject, decisions, a graceful SIGTERM, and the partitioned insider watch (its
alerts on ``p.alerts`` against one watch in one process, across a SIGKILL). Each test has its
own stream and subject prefix (deleted afterwards) and its own SQLite home."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError

from shieldwall.config import NatsSettings, Settings, load_settings
from shieldwall.core.alerts import Alert
from shieldwall.core.clock import ManualClock
from shieldwall.core.model import Role
from shieldwall.intake.events import Kind
from shieldwall.intake.subjects import Subjects, partition_of
from shieldwall.intake.watchfeed import partitions_for
from shieldwall.intake.worker import consumer_name, ensure_stream
from shieldwall.storage.db import make_engine
from shieldwall.storage.intake_repo import SqlProcessedEvents
from shieldwall.storage.trace_watch_repo import SqlCursorStore
from shieldwall.storage.watch_state_memory import MemoryAlertStore
from shieldwall.trace.delivery.nats import NatsSink
from shieldwall.trace.delivery.ports import AlertEvent
from shieldwall.wiring import build, initialize
from shieldwall.wiring.trace import build_watch
from tests.functional.clihome import cli_home

pytestmark = pytest.mark.slow
SHIELDWALL = str(Path(sys.executable).parent / "shieldwall")
BOUND = 120.0  # seconds: a generous bound on conditions polled, never a pace


def poll(condition: Callable[[], bool], what: str, bound: float = BOUND) -> None:
    """Wait until ``condition()`` holds; fail after ``bound`` seconds."""
    end = time.monotonic() + bound
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not within {bound} s: {what}")
        time.sleep(0.02)


@dataclass
class Env:
    home: Path
    env: dict[str, str]
    settings: Settings

    @property
    def nats(self) -> NatsSettings:
        return self.settings.nats

    def start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [SHIELDWALL, "worker"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def processed(self, kind: Kind) -> int:
        engine = make_engine(self.settings.resolved_database_url)
        try:
            return SqlProcessedEvents(engine).count(kind.value)
        finally:
            engine.dispose()

    def store_reads(self) -> list[str]:
        """The event ids of the record reads in the audit log, one per entry."""
        svc = build(self.settings)  # logs what a killed worker left in the outbox, as it would
        try:
            records = svc.audit.read(-1, 1_000_000)
        finally:
            svc.close()
        return [r.event.extra["event_id"] for r in records if r.event.channel == "store"]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _publish(s: NatsSettings, subject: str, bodies: list[bytes]) -> None:
    nc = await nats.connect(s.address)
    js = nc.jetstream()
    await ensure_stream(js, s)
    for body in bodies:
        await js.publish_async(subject, body)
    await js.publish_async_completed()
    await nc.close()


async def _consumer(s: NatsSettings, kind: Kind) -> tuple[int, int, int]:
    """(pending, ack pending, redelivered) of the kind's durable consumer."""
    nc = await nats.connect(s.address)
    try:
        info = await nc.jetstream().consumer_info(s.stream, consumer_name(s, kind))
    except NotFoundError:
        return -1, -1, 0
    finally:
        await nc.close()
    return info.num_pending or 0, info.num_ack_pending or 0, info.num_redelivered or 0


async def _read_all(s: NatsSettings, subject: str) -> list[dict[str, Any]]:
    """Every message stored on ``subject`` so far, decoded."""
    return [json.loads(data) for _, data in await _stored(s, subject)]


async def _delete_stream(s: NatsSettings) -> None:
    nc = await nats.connect(s.address)
    with contextlib.suppress(NotFoundError):
        await nc.jetstream().delete_stream(s.stream)
    await nc.close()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    tag = secrets.token_hex(4)
    with cli_home(tmp_path, monkeypatch) as home:
        from shieldwall.cli.app import main

        assert main(["principals", "add", "agent-li", "--role", "agent", "--unit", "cs-1"]) == 0
        assert main(["principals", "add", "app", "--role", "service", "--unit", "app"]) == 0
        (home / "shieldwall.toml").write_text(
            "[nats]\nbatch = 50\nack_wait_seconds = 5\nretry_seconds = 0.2\n", encoding="utf-8"
        )
        environ = {
            **os.environ,
            "SHIELDWALL_HOME": str(home),
            "SHIELDWALL_NATS_PREFIX": f"t{tag}",
            "SHIELDWALL_NATS_STREAM": f"T{tag}",
        }
        environ.pop("SHIELDWALL_CONFIG", None)
        settings = load_settings(environ)
        try:
            yield Env(home, environ, settings)
        finally:
            run(_delete_stream(settings.nats))


def read_event(i: int, prefix: str = "r") -> bytes:
    return json.dumps(
        {
            "event_id": f"{prefix}-{i}",
            "ts": "2026-03-02T08:00:00+00:00",
            "principal_id": "agent-li",
            "customer_ids": [f"C{i:06d}"],
            "fields": {"phone": "masked"},
            "system": "oms",
        }
    ).encode()


def stop(proc: subprocess.Popen[str]) -> tuple[int, dict[str, int]]:
    """SIGTERM; the exit code and the counts the worker printed."""
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=BOUND)
    assert proc.returncode == 0, err
    return proc.returncode, json.loads(out.strip().splitlines()[-1])


def test_sigkill_mid_stream_then_a_new_worker_processes_every_event_once(env: Env) -> None:
    """N reads, a worker SIGKILLed mid-stream, another started: the audit log holds each read
    exactly once (what the killed worker fetched and did not acknowledge was redelivered)."""
    n = 3000
    s = env.nats
    run(_publish(s, Subjects(s.prefix).inbound(Kind.ACCESS), [read_event(i) for i in range(n)]))
    first = env.start()
    try:
        poll(lambda: env.processed(Kind.ACCESS) >= 100, "the first worker processing")
    finally:
        first.kill()
        first.wait(timeout=BOUND)
    assert first.returncode == -signal.SIGKILL
    assert env.processed(Kind.ACCESS) < n  # killed mid-stream, not after the end

    second = env.start()
    try:
        poll(lambda: env.processed(Kind.ACCESS) == n, "every event processed")
        poll(lambda: run(_consumer(s, Kind.ACCESS))[:2] == (0, 0), "every message acked")
        stop(second)
    finally:
        if second.poll() is None:
            second.kill()
    ids = env.store_reads()
    assert len(ids) == n and set(ids) == {f"r-{i}" for i in range(n)}


def test_redelivered_and_republished_events_change_nothing(env: Env) -> None:
    """The same events published again: answered duplicate, audited once; decisions and the
    dead letters of bad events carry reasons, never the values."""
    s = env.nats
    subjects = Subjects(s.prefix)
    run(_publish(s, subjects.inbound(Kind.ACCESS), [read_event(i) for i in range(200)]))
    account = "13800138000"
    attempts = [
        json.dumps({"event_id": f"a-{i}", "account": account, "ip": "1.80.3.4"}).encode()
        for i in range(20)
    ]
    bad = [
        json.dumps({"event_id": "bad-1", "account": account, "ip": f"x{account}"}).encode(),
        b"\xff not json " + account.encode(),
        json.dumps({"event_id": "bad-3", "account": account}).encode(),
    ]
    run(_publish(s, subjects.inbound(Kind.LOGIN_ATTEMPT), attempts + bad))
    worker = env.start()
    try:
        poll(lambda: env.processed(Kind.ACCESS) == 200, "the reads processed")
        poll(lambda: env.processed(Kind.LOGIN_ATTEMPT) == 20, "the attempts processed")
        # the store retries: the same events again, and one more new read
        again = [read_event(i) for i in range(100)] + [read_event(500)]
        run(_publish(s, subjects.inbound(Kind.ACCESS), again))
        run(_publish(s, subjects.inbound(Kind.LOGIN_ATTEMPT), attempts[:5]))
        poll(lambda: env.processed(Kind.ACCESS) == 201, "the new read processed")
        for kind in (Kind.ACCESS, Kind.LOGIN_ATTEMPT):
            poll(lambda k=kind: run(_consumer(s, k))[:2] == (0, 0), "every message acked")
        _, stats = stop(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert stats["duplicates"] == 105 and stats["processed"] == 221
    assert stats["deadlettered"] == 3
    ids = env.store_reads()
    assert len(ids) == 201 and len(set(ids)) == 201

    decisions = run(_read_all(s, subjects.decisions(Kind.LOGIN_ATTEMPT)))
    # republished within the duplicate window: JetStream kept each event's first decision
    assert sorted(d["event_id"] for d in decisions) == sorted(f"a-{i}" for i in range(20))
    assert {d["result"]["decision"] for d in decisions} <= {"allow", "challenge", "deny"}
    dead = run(_read_all(s, subjects.deadletter))
    assert len(dead) == 3
    by_id = {d["event_id"]: d for d in dead}
    assert by_id["bad-1"]["field"] == "ip" and by_id["bad-3"]["field"] == "ip"
    assert by_id[None]["code"] == "not_json"
    assert all(d["kind"] == "logins.attempts" and d["stream_seq"] > 0 for d in dead)
    for d in decisions + dead:
        assert account not in json.dumps(d)


def test_watch_partitions_each_process_their_principals_reads(env: Env) -> None:
    """Two workers run watch partitions 0 and 1 of 2 (the first also relays the audit log):
    each partition's watch applies exactly the reads of its principals, and its cursor
    reaches the last of them."""
    from shieldwall.cli.app import main

    agents = [f"agent-{i}" for i in range(6)]
    for a in agents:
        assert main(["principals", "add", a, "--role", "agent", "--unit", "cs-2"]) == 0
    assert {partition_of(a, 2) for a in agents} == {0, 1}
    s = env.nats
    bodies = [
        json.dumps(
            {
                "event_id": f"w-{i}",
                "ts": "2026-03-02T08:00:00+00:00",
                "principal_id": agents[i % len(agents)],
                "customer_ids": [f"C{i:06d}"],
            }
        ).encode()
        for i in range(300)
    ]
    run(_publish(s, Subjects(s.prefix).inbound(Kind.ACCESS), bodies))
    workers = [
        subprocess.Popen(
            [SHIELDWALL, "worker", "--watch", "--partitions", "2", "--partition", str(i)],
            env=env.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (0, 1)
    ]
    try:
        poll(lambda: env.processed(Kind.ACCESS) == 300, "the reads processed")
        svc = build(env.settings)
        try:
            entries = svc.audit.read(-1, 1_000_000)
        finally:
            svc.close()
        last = {
            p: max(r.seq for r in entries if partition_of(r.event.actor, 2) == p) for p in (0, 1)
        }
        engine = make_engine(env.settings.resolved_database_url)
        cursors = SqlCursorStore(engine)
        try:
            for p in (0, 1):
                poll(
                    lambda p=p: cursors.load(f"insider-watch.p{p}of2") == last[p],
                    f"partition {p} caught up",
                )
        finally:
            engine.dispose()
        stats = [stop(w)[1] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    reads = [r for r in entries if r.event.channel == "store"]
    for p in (0, 1):
        mine = sum(partition_of(r.event.actor, 2) == p for r in reads)
        assert stats[p]["watched"] >= mine  # its reads (and every relationship entry)
    assert stats[0]["relayed"] == len(entries) and stats[1]["relayed"] == 0
    # every partition saw only its own principals' reads
    assert stats[0]["watched"] + stats[1]["watched"] == len(reads) + 2 * (len(entries) - len(reads))


# An alert pushed anywhere (webhook, NATS sink, the worker's ``<prefix>.alerts``) is this
# document, written out here rather than taken from the serializer: Alert.to_notice() wrapped in
# {"type", "alert"}, customer ids counted, never listed.
NOTICE_KEYS = {"type", "alert"}
NOTICE_ALERT_KEYS = {
    "alert_id",
    "kind",
    "principal_id",
    "severity",
    "score",
    "status",
    "raised_at",
    "first_at",
    "last_at",
    "reasons",
    "audit_seqs",
    "details",
    "customers",
}


async def _stored(s: NatsSettings, subject: str) -> list[tuple[dict[str, str], bytes]]:
    """(headers, data) of every message stored on ``subject`` so far."""
    nc = await nats.connect(s.address)
    js = nc.jetstream()
    out: list[tuple[dict[str, str], bytes]] = []
    try:
        info = await js.stream_info(s.stream, subjects_filter=subject)
        n = sum((info.state.subjects or {}).values())
        if n:
            sub = await js.subscribe(subject, ordered_consumer=True)
            for _ in range(n):
                msg = await sub.next_msg(timeout=BOUND)
                out.append((dict(msg.headers or {}), msg.data))
            await sub.unsubscribe()
    finally:
        await nc.close()
    return out


async def _through_the_sink(s: NatsSettings, subject: str, alert: Alert) -> Msg:
    """``alert`` raised through the NATS alert sink onto ``subject``, as a subscriber gets it."""
    nc = await nats.connect(s.address)
    try:
        sub = await nc.subscribe(subject)
        await nc.flush()
        sink = NatsSink(s.address, subject)
        try:
            await asyncio.to_thread(sink.deliver, AlertEvent.raised(alert))
        finally:
            await asyncio.to_thread(sink.close)
        return await sub.next_msg(timeout=BOUND)
    finally:
        await nc.close()


def _bulk_export_to_one_partition(env: Env) -> list[str]:
    """A 250-customer export by agent-li published to the access subject, consumed by one
    watch partition (a ``shieldwall worker`` stopped once it published its alert); the ids."""
    s = env.nats
    customers = [f"C{i:06d}" for i in range(250)]  # bulk_export_rows is 200
    export = {
        "event_id": "x-1",
        "ts": "2026-03-02T08:00:00+00:00",
        "principal_id": "agent-li",
        "action": "export",
        "customer_ids": customers,
        "fields": {"phone": "masked"},
    }
    subjects = Subjects(s.prefix)
    run(_publish(s, subjects.inbound(Kind.ACCESS), [json.dumps(export).encode()]))
    worker = subprocess.Popen(
        [SHIELDWALL, "worker", "--watch", "--partitions", "1", "--partition", "0"],
        env=env.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        poll(lambda: len(run(_stored(s, subjects.alerts))) >= 1, "an alert published")
        _, stats = stop(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert stats["alerts"] == 1
    return customers


def test_a_watch_partition_publishes_its_alerts_as_the_nats_sink_does(env: Env) -> None:
    """A bulk export read from the stream raises an alert in a watch partition; what the worker
    publishes on ``<prefix>.alerts`` is the NATS sink's document with the sink's
    ``Nats-Msg-Id`` (so JetStream stores the sink's push of the same alert once), and names
    none of the 250 customers."""
    s = env.nats
    subjects = Subjects(s.prefix)
    customers = _bulk_export_to_one_partition(env)
    ((headers, raw),) = run(_stored(s, subjects.alerts))
    doc = json.loads(raw)
    assert set(doc) == NOTICE_KEYS and set(doc["alert"]) == NOTICE_ALERT_KEYS
    alert_id = doc["alert"]["alert_id"]
    assert doc["type"] == "alert.raised" and headers == {"Nats-Msg-Id": alert_id}
    assert doc["alert"]["kind"] == "bulk_export" and doc["alert"]["principal_id"] == "agent-li"
    assert doc["alert"]["customers"] == 250
    assert not [c for c in customers if c in raw.decode()]

    svc = build(env.settings)
    try:
        alert = svc.alerts.get(alert_id)
    finally:
        svc.close()
    assert alert is not None
    pushed = run(_through_the_sink(s, subjects.alerts, alert))
    assert pushed.headers == headers
    sink_doc = json.loads(pushed.data)
    assert set(sink_doc) == NOTICE_KEYS and set(sink_doc["alert"]) == NOTICE_ALERT_KEYS
    assert sink_doc["type"] == doc["type"] and sink_doc["alert"]["alert_id"] == alert_id
    # the same Nats-Msg-Id within the duplicate window: the stream kept the worker's message only
    assert run(_stored(s, subjects.alerts)) == [(headers, raw)]


# -- the partitioned watch end to end: alerts ------------------------------------------------------

# Local midnight of 2026-03-02 in Asia/Shanghai, the watch's default zone: day 0 of the store.
DAY0 = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
HARVESTER = "agent-harvest"
READERS = tuple(f"agent-{i}" for i in range(10))
HARVEST_DAY = 4  # days 0-3 are the baseline; on day 4 the harvester reads 300 customers
# Phase one ends at 14:00 of the harvest day; the rest of the day is published after the alert.
CUT = DAY0 + timedelta(days=HARVEST_DAY, hours=14)


def watch_store_reads(seed: int = 7) -> list[tuple[datetime, str, str]]:
    """``(ts, principal, customer)`` of five working days (09:00-17:00 local), in time order.

    Ten agents read 16-20 customers a day; the harvester reads 24 a day (its own busy day is
    above its peers', so its volume baseline is its own, the same whichever peers a partition
    holds), then 300 on day 4. Customers are drawn at random from a million (no id walk).
    """
    rng = random.Random(seed)
    reads: list[tuple[datetime, str, str]] = []
    for day in range(HARVEST_DAY + 1):
        quota = {p: rng.randint(16, 20) for p in READERS}
        quota[HARVESTER] = 300 if day == HARVEST_DAY else 24
        for principal, n in quota.items():
            for _ in range(n):
                ts = DAY0 + timedelta(days=day, seconds=9 * 3600 + rng.randrange(8 * 3600))
                reads.append((ts, principal, f"C{rng.randrange(1, 1_000_000):07d}"))
    reads.sort()
    return reads


def alert_key(message: dict[str, Any]) -> tuple[str, str, str]:
    """(alert id, detector, principal) of a ``p.alerts`` message, whichever shape it has: the
    fields at the top (the worker's summary) or nested as a sink's event (``{"alert": {...}}``)."""
    alert = message.get("alert", message)
    return alert["alert_id"], alert["kind"], alert["principal_id"]


class AlertListener:
    """A core-NATS subscription to ``p.alerts`` on its own thread and event loop, made before
    any worker starts: it sees every message published there, in order."""

    def __init__(self, s: NatsSettings) -> None:
        self.settings = s
        self.got: queue.Queue[dict[str, Any]] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._done: asyncio.Event | None = None
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),))

    async def _main(self) -> None:
        try:
            nc = await nats.connect(self.settings.address)

            async def on_msg(msg: Any) -> None:
                self.got.put(json.loads(msg.data))

            await nc.subscribe(Subjects(self.settings.prefix).alerts, cb=on_msg)
            await nc.flush()  # the server has the subscription before anyone publishes
            self._done = asyncio.Event()
        except BaseException as exc:
            self._failed = exc
            raise
        finally:
            self._ready.set()
        await self._done.wait()
        await nc.close()

    def __enter__(self) -> AlertListener:
        self._thread.start()
        assert self._ready.wait(BOUND) and self._failed is None, self._failed
        return self

    def __exit__(self, *exc: object) -> None:
        if self._done is not None:
            self._loop.call_soon_threadsafe(self._done.set)
        self._thread.join(BOUND)
        self._loop.close()

    def next(self) -> dict[str, Any]:
        """The next message; fails after ``BOUND`` seconds without one."""
        try:
            return self.got.get(timeout=BOUND)
        except queue.Empty:
            raise AssertionError(f"no alert on p.alerts within {BOUND} s") from None

    def received(self) -> list[dict[str, Any]]:
        """The messages received so far and not taken by :meth:`next`."""
        out = []
        while not self.got.empty():
            out.append(self.got.get_nowait())
        return out


async def _subject_counts(s: NatsSettings, pattern: str) -> dict[str, int]:
    """Messages stored in the stream per subject matching ``pattern``."""
    nc = await nats.connect(s.address)
    try:
        info = await nc.jetstream().stream_info(s.stream, subjects_filter=pattern)
    finally:
        await nc.close()
    return dict(info.state.subjects or {})


@pytest.fixture
def store_env(tmp_path: Path) -> Iterator[Env]:
    """A SQLite home whose principals (the harvester and ten readers, agents of ``cs-2``) were
    added at the store's day 0, not now: an audit entry dated now ahead of five days of reads
    would move the watch's day to today for good (a late record counts on the current day)."""
    tag = secrets.token_hex(4)
    home = tmp_path / "home"
    home.mkdir()
    (home / "shieldwall.toml").write_text(
        "[nats]\nbatch = 50\nack_wait_seconds = 5\nretry_seconds = 0.2\n", encoding="utf-8"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SHIELDWALL_")}
    environ |= {
        "SHIELDWALL_HOME": str(home),
        "SHIELDWALL_NATS_PREFIX": f"t{tag}",
        "SHIELDWALL_NATS_STREAM": f"T{tag}",
    }
    settings = load_settings(environ)
    clock = ManualClock(DAY0 - timedelta(hours=1))
    initialize(settings, clock)
    svc = build(settings, clock)
    try:
        for principal in (HARVESTER, *READERS):
            svc.custody.principals.add(principal, Role.AGENT.value, unit="cs-2")
    finally:
        svc.close()
    try:
        yield Env(home, environ, settings)
    finally:
        run(_delete_stream(settings.nats))


def start_partition(env: Env, partition: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SHIELDWALL, "worker", "--watch", "--partitions", "2", "--partition", str(partition)],
        env=env.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_watch_partitions_alert_once_like_one_process_across_a_sigkill(store_env: Env) -> None:
    """Eleven agents' reads through two watch partitions: the harvester's volume alert is raised
    once, by its partition, and reaches ``p.alerts``; no reader is flagged; one watch over the
    whole log in one process finds the same. The harvester's partition worker (also the
    relay) is SIGKILLed mid-stream and started again: the alert is not raised or published
    again, it holds the same customers and entries as the one-process alert, and each entry
    is relayed to each of its partitions once."""
    env = store_env
    # By hand, as docs/operations.md defines the partition (BLAKE2b, 8-byte digest, big-endian,
    # mod N): `printf %s agent-harvest | b2sum -l 64` is fc7b5dfe399a398e, even, so partition 0;
    # `printf %s agent-3 | b2sum -l 64` is 2ee9d97bb902bc39, odd, so partition 1.
    assert partition_of(HARVESTER, 2) == 0 and partition_of("agent-3", 2) == 1
    # Both partitions hold enough agents for peer baselines (7 and 4 with these names).
    spread = Counter(partition_of(p, 2) for p in (HARVESTER, *READERS))
    assert min(spread[0], spread[1]) >= 4

    reads = watch_store_reads()
    bodies = [
        (
            ts,
            json.dumps(
                {
                    "event_id": f"v-{i}",
                    "ts": ts.isoformat(),
                    "principal_id": principal,
                    "customer_ids": [customer],
                    "fields": {"phone": "masked"},
                    "system": "crm",
                }
            ).encode(),
        )
        for i, (ts, principal, customer) in enumerate(reads)
    ]
    before = [b for ts, b in bodies if ts < CUT]
    after = [b for ts, b in bodies if ts >= CUT]
    day_start = DAY0 + timedelta(days=HARVEST_DAY)
    harvested_before = sum(p == HARVESTER and day_start <= ts < CUT for ts, p, _ in reads)
    # Volume's null is 3 x the busy day (24): 72; 122 customers are the first past a score of 6.
    assert harvested_before >= 150
    s = env.nats
    subjects = Subjects(s.prefix)
    p0 = "insider-watch.p0of2"
    engine = make_engine(env.settings.resolved_database_url)
    cursors = SqlCursorStore(engine)
    with AlertListener(s) as listener:
        run(_publish(s, subjects.inbound(Kind.ACCESS), before))
        workers = {i: start_partition(env, i) for i in (0, 1)}
        try:
            first = listener.next()
            assert alert_key(first)[1:] == ("volume", HARVESTER)
            run(_publish(s, subjects.inbound(Kind.ACCESS), after))
            workers[0].kill()
            workers[0].wait(timeout=BOUND)
            at_kill = cursors.load(p0)
            workers[0] = start_partition(env, 0)
            poll(lambda: env.processed(Kind.ACCESS) == len(reads), "every read processed")
            svc = build(env.settings)
            try:
                entries = svc.audit.read(-1, 1_000_000)
            finally:
                svc.close()
            last = {p: max(r.seq for r in entries if p in partitions_for(r, 2)) for p in (0, 1)}
            for p in (0, 1):
                poll(
                    lambda p=p: cursors.load(f"insider-watch.p{p}of2") == last[p],
                    f"partition {p} caught up",
                )
            stats = {i: stop(w)[1] for i, w in workers.items()}
        finally:
            engine.dispose()
            for w in workers.values():
                if w.poll() is None:
                    w.kill()
        seen = [first, *listener.received()]

    assert at_kill < last[0]  # killed with entries of its partition still to watch
    # Raised once, by the first worker of partition 0: neither the restarted one nor
    # partition 1's worker published an alert.
    assert stats[0]["alerts"] == 0 and stats[1]["alerts"] == 0
    alert_id = alert_key(first)[0]
    assert {alert_key(m) for m in seen} == {(alert_id, "volume", HARVESTER)}
    stored = run(_read_all(s, subjects.alerts))
    assert [alert_key(m) for m in stored] == [(alert_id, "volume", HARVESTER)]
    svc = build(env.settings)
    try:
        listed = svc.alerts.list()
    finally:
        svc.close()
    assert [(a.alert_id, a.kind, a.principal_id) for a in listed] == [
        (alert_id, "volume", HARVESTER)
    ]

    # The same events through one watch in one process (the API's in-process watch, built
    # by the same wiring, here catching up over the whole log): the same detections.
    one = MemoryAlertStore()
    svc = build(env.settings)
    try:
        runner = build_watch(env.settings, svc.engine, svc.audit, one, svc.clock)
        runner.catch_up()
        assert runner.watch.last_seq == entries[-1].seq
    finally:
        svc.close()
    single = one.list()
    # (no reader flagged, in either run: the harvester's volume alert is the only one)
    assert {(a.kind, a.principal_id) for a in single} == {("volume", HARVESTER)}
    # Nothing missed across the kill: the partitioned alert names what the one-process one does.
    assert set(listed[0].customer_ids) == set(single[0].customer_ids)
    assert listed[0].audit_seqs == single[0].audit_seqs
    assert len(single[0].customer_ids) > 150

    # The relay (killed with partition 0's worker, then resumed from its cursor) stored each
    # entry once on each partition it goes to: re-published ones were dropped by Nats-Msg-Id.
    relayed = run(_subject_counts(s, f"{s.prefix}.watch.*"))
    assert relayed == {
        subjects.watch(p): sum(p in partitions_for(r, 2) for r in entries) for p in (0, 1)
    }
    ids = env.store_reads()
    assert len(ids) == len(reads) and len(set(ids)) == len(reads)


def _kill_mid_stream_then_resend(
    env: Env, events: list[bytes], kind: Kind = Kind.LOGIN_ATTEMPT
) -> dict[str, int]:
    """Publish ``events`` of ``kind``; a worker SIGKILLed after it processed 100 (before the
    end); another started, which processes them all; the first 300 sent again and
    acknowledged; the second worker stopped: its counts."""
    s, n = env.nats, len(events)
    subject = Subjects(s.prefix).inbound(kind)
    run(_publish(s, subject, events))
    first = env.start()
    try:
        poll(lambda: env.processed(kind) >= 100, "the first worker processing")
    finally:
        first.kill()
        first.wait(timeout=BOUND)
    assert env.processed(kind) < n  # killed mid-stream, not after the end

    second = env.start()
    try:
        poll(lambda: env.processed(kind) == n, "every event processed")
        run(_publish(s, subject, events[:300]))
        poll(lambda: run(_consumer(s, kind))[:2] == (0, 0), "every message acked")
        _, stats = stop(second)
    finally:
        if second.poll() is None:
            second.kill()
    return stats


@contextlib.contextmanager
def _redis_tenant(env: Env, letter: str) -> Iterator[tuple[str, Any]]:
    """The env's workers on Redis state under a tenant of their own: ``(tenant, client)``;
    the tenant's keys deleted afterwards."""
    import redis

    tenant = letter + secrets.token_hex(4)
    config = env.home / "shieldwall.toml"
    config.write_text(f'tenant = "{tenant}"\n' + config.read_text(encoding="utf-8"), "utf-8")
    env.env["SHIELDWALL_STATE_BACKEND"] = "redis"
    client = redis.Redis.from_url(env.settings.redis_url)
    try:
        yield tenant, client
    finally:
        for key in client.scan_iter(match=f"shieldwall:{tenant}:*", count=1000):
            client.delete(key)
        client.close()


def test_batch_decisions_across_a_sigkill_and_a_resend(env: Env) -> None:
    """``nats.decisions = batch``: attempts, a worker SIGKILLed mid-stream, another started,
    then the store sends a part again. Each attempt is recorded once, every event is decided
    in the batch messages and nowhere else, and all the decisions of one event carry the same
    result (a redelivered or re-sent event changes nothing)."""
    n = 2000
    s = env.nats
    subjects = Subjects(s.prefix)
    env.env["SHIELDWALL_NATS_DECISIONS"] = "batch"
    attempts = [
        json.dumps(
            {"event_id": f"b-{i}", "account": f"1380{i % 97:07d}", "ip": f"1.80.{i % 50}.4"}
        ).encode()
        for i in range(n)
    ]
    stats = _kill_mid_stream_then_resend(env, attempts)
    assert env.processed(Kind.LOGIN_ATTEMPT) == n
    assert stats["duplicates"] >= 300 and stats["rejected"] == 0

    messages = run(_read_all(s, subjects.decisions_batch(Kind.LOGIN_ATTEMPT)))
    assert run(_read_all(s, subjects.decisions(Kind.LOGIN_ATTEMPT))) == []
    assert messages and all(m["kind"] == "login" for m in messages)
    results: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        for d in m["decisions"]:
            assert d["status"] in {"processed", "duplicate"}
            results.setdefault(d["event_id"], []).append(d["result"])
    assert set(results) == {f"b-{i}" for i in range(n)}
    assert all(all(r == rs[0] for r in rs) for rs in results.values())
    # (the re-sent ones' batch messages may be dropped by JetStream as repeats of the first:
    # the same ids in the same order give the same Nats-Msg-Id)
    for m in messages:
        assert "13800000001" not in json.dumps(m)


def test_queue_lag_reaches_a_multiprocess_scrape_and_leaves_with_the_worker(
    env: Env, tmp_path: Path
) -> None:
    """A worker sharing ``PROMETHEUS_MULTIPROC_DIR`` (as beside the API): once it has processed
    the attempts, a scrape of the directory has its queue lag for ``logins.attempts`` (between
    0 and the age of the first message published) and its pending count (0: drained), and
    nothing for the subjects it does not consume; after SIGTERM its live gauges are gone."""
    from shieldwall.observe.metrics import Exposition, PrometheusMetrics
    from tests.unit.observe.test_metrics import value

    prom = tmp_path / "prom"
    prom.mkdir()
    environ = env.env | {"PROMETHEUS_MULTIPROC_DIR": str(prom)}
    s = env.nats
    attempts = [
        json.dumps({"event_id": f"l-{i}", "account": f"acct-{i % 9}", "ip": "1.80.3.4"}).encode()
        for i in range(120)
    ]
    first_published = time.time()
    run(_publish(s, Subjects(s.prefix).inbound(Kind.LOGIN_ATTEMPT), attempts))
    worker = subprocess.Popen(
        [SHIELDWALL, "worker", "--only", "logins.attempts"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scrape = Exposition(PrometheusMetrics(), multiprocess_dir=prom)
    try:
        poll(lambda: env.processed(Kind.LOGIN_ATTEMPT) == 120, "the attempts processed")
        text = scrape.render()
        oldest = time.time() - first_published
        stop(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    lag = value(text, "shieldwall_queue_lag_seconds", queue="logins.attempts")
    assert lag is not None and 0.0 <= lag <= oldest, (lag, oldest)
    assert value(text, "shieldwall_queue_pending_messages", queue="logins.attempts") == 0
    assert value(text, "shieldwall_queue_lag_seconds", queue="access") is None
    after = scrape.render()
    assert value(after, "shieldwall_queue_lag_seconds", queue="logins.attempts") is None


def test_worker_logs_are_json_lines_without_customer_values(env: Env) -> None:
    """``shieldwall worker`` logs as ``serve`` does: every stderr line one JSON object with
    ``timestamp``, ``level``, ``logger`` and ``event`` (its start and its stop among them), and
    neither the phone number nor the e-mail address its events carried (good and bad ones)."""
    phone, email = "13800138000", "li.wei@example.com"
    s = env.nats
    attempts = [
        json.dumps({"event_id": f"j-{i}", "account": account, "ip": "1.80.3.4"}).encode()
        for i, account in enumerate([phone, email] * 5)
    ]
    bad = [json.dumps({"event_id": "bad-j", "account": phone, "ip": f"x{email}"}).encode()]
    run(_publish(s, Subjects(s.prefix).inbound(Kind.LOGIN_ATTEMPT), attempts + bad))
    worker = subprocess.Popen(
        [SHIELDWALL, "worker", "--only", "logins.attempts"],
        env=env.env | {"SHIELDWALL_LOG_LEVEL": "info", "SHIELDWALL_LOG_FORMAT": "json"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        poll(lambda: env.processed(Kind.LOGIN_ATTEMPT) == 10, "the attempts processed")
        poll(lambda: run(_consumer(s, Kind.LOGIN_ATTEMPT))[:2] == (0, 0), "every message acked")
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=BOUND)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["deadlettered"] == 1
    lines = [json.loads(line) for line in err.splitlines()]
    assert all(isinstance(line, dict) for line in lines)
    assert all({"timestamp", "level", "logger", "event"} <= line.keys() for line in lines), lines
    ours = [line["event"] for line in lines if line["logger"] == "shieldwall.intake.worker"]
    assert any(e.startswith("worker consuming stream") for e in ours), ours
    assert any(e.startswith("worker stopped: 10 processed") for e in ours), ours
    for value in (phone, phone[3:], email, "li.wei"):
        assert value not in err


def test_a_partition_with_a_nats_sink_on_the_alerts_subject_publishes_each_alert_once(
    env: Env, tmp_path: Path
) -> None:
    """The deployment's example configures a NATS alert sink on ``<prefix>.alerts``. A watch
    partition then pushes its alert through the sink when it raises it and marks the outbox row
    delivered, so the stream holds one message for the alert (the sink's and the worker's share
    a ``Nats-Msg-Id``) and no serving process re-sends it from the outbox later."""
    s = env.nats
    subjects = Subjects(s.prefix)
    config = tmp_path / "shieldwall.toml"
    config.write_text(
        f'[[trace.alerts.sinks]]\ntype = "nats"\nurl = "{s.address}"\n'
        f'subject = "{subjects.alerts}"\n'
    )
    env.env["SHIELDWALL_CONFIG"] = str(config)
    _bulk_export_to_one_partition(env)
    ((headers, raw),) = run(_stored(s, subjects.alerts))
    alert_id = json.loads(raw)["alert"]["alert_id"]
    assert headers == {"Nats-Msg-Id": alert_id}
    svc = build(load_settings(env.env))
    try:
        later = svc.clock.now() + timedelta(days=1)
        due = svc.alerts.claim_due(later, timedelta(seconds=1), 10)
    finally:
        svc.close()
    assert due == []  # before: the row stayed pending, for an API's outbox flush to re-send


@pytest.mark.redis
def test_attempts_on_redis_state_are_counted_once_across_a_sigkill(env: Env) -> None:
    """Login attempts on Redis state (shared by the workers, so it outlives a killed one): a
    worker SIGKILLed mid-stream, another started, then the store sends a part again. The
    platform's hour buckets, read from Redis by the key layout, count each attempt once: the
    batch the killed worker had assessed and not recorded is redelivered, and counted once."""
    n = 2000
    attempts = [
        json.dumps(
            {"event_id": f"o-{i}", "account": f"1390{i % 97:07d}", "ip": f"1.81.{i % 50}.4"}
        ).encode()
        for i in range(n)
    ]
    with _redis_tenant(env, "o") as (tenant, client):
        stats = _kill_mid_stream_then_resend(env, attempts)
        assert stats["duplicates"] >= 300 and stats["rejected"] == 0
        # the hour buckets: hash ``h`` of the tenant's risk keys, field ``<hour>:a`` the attempts
        buckets = client.hgetall(f"shieldwall:{tenant}:risk:h")
        assert buckets and sum(int(v) for f, v in buckets.items() if f.endswith(b":a")) == n


def _new_key(env: Env, name: str, role: str) -> str:
    """A new principal's API key, as ``principals add`` prints it once."""
    done = subprocess.run(
        [SHIELDWALL, "principals", "add", name, "--role", role, "--unit", "ops"],
        env=env.env,
        capture_output=True,
        text=True,
        check=True,
    )
    (key,) = re.findall(r"API key \(shown once\): (\S+)", done.stdout)
    return key


def test_a_worker_serves_its_probes_and_metrics_on_its_port(env: Env) -> None:
    """``shieldwall worker --port``: its first line says where; ``/livez`` answers; ``/readyz``
    checks the database, NATS and the keys; ``/metrics`` asks for an API key (401 problem+json
    without one, 403 for an agent) and, for a monitor, shows this worker's decisions and queue
    lag; a second worker on the same port stops at once with a one-line usage error; SIGTERM
    stops the worker and its listener."""
    from tests.unit.observe.test_metrics import value

    monitor = _new_key(env, "mon", "monitor")
    agent = _new_key(env, "agent-zhao", "agent")
    s = env.nats
    attempts = [
        json.dumps({"event_id": f"p-{i}", "account": f"acct-{i % 5}", "ip": "1.80.3.4"}).encode()
        for i in range(20)
    ]
    run(_publish(s, Subjects(s.prefix).inbound(Kind.LOGIN_ATTEMPT), attempts))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    command = [SHIELDWALL, "worker", "--only", "logins.attempts", "--port", str(port)]
    worker = subprocess.Popen(
        command, env=env.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        first = worker.stdout.readline()
        assert first.startswith(f"shieldwall worker: probes on {base}/livez {base}/readyz;")
        poll(lambda: env.processed(Kind.LOGIN_ATTEMPT) == 20, "the attempts processed")
        assert httpx.get(f"{base}/livez", timeout=BOUND).status_code == 200
        ready = httpx.get(f"{base}/readyz", timeout=BOUND)
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert {"database", "nats", "keys"} <= checks.keys()
        assert all(c["ok"] for c in checks.values()), checks
        anonymous = httpx.get(f"{base}/metrics", timeout=BOUND)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith("application/problem+json")
        as_agent = httpx.get(f"{base}/metrics", headers={"X-API-Key": agent}, timeout=BOUND)
        assert as_agent.status_code == 403
        scrape = httpx.get(f"{base}/metrics", headers={"X-API-Key": monitor}, timeout=BOUND)
        assert scrape.status_code == 200
        second = subprocess.run(
            command, check=False, env=env.env, capture_output=True, text=True, timeout=BOUND
        )
        _, stats = stop(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert stats["processed"] == 20
    decided = sum(
        value(scrape.content, "shieldwall_decisions_total", kind="login", outcome=o) or 0.0
        for o in ("allow", "challenge", "deny")
    )
    assert decided == 20
    lag = value(scrape.content, "shieldwall_queue_lag_seconds", queue="logins.attempts")
    assert lag is not None and lag >= 0.0
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"error: --port: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/livez", timeout=5)


@pytest.mark.redis
def test_outcomes_on_redis_state_answer_once_across_a_sigkill(env: Env) -> None:
    """Login attempts on Redis state, processed; then their outcomes: a worker SIGKILLed
    mid-stream, another started, then the store sends a part again. No outcome is rejected
    (none dead-lettered, none decided ``rejected``): the batch the killed worker had reported
    and not recorded is redelivered and answers its first results. The hour buckets,
    read from Redis by the key layout, hold one failure per failed outcome and one unknown
    account per failed outcome of an unknown account (a stopped attempt's failure is counted
    by its stop, and its failed outcome adds none; no success answers a stop, so nothing is
    taken back)."""
    n = 1000
    s = env.nats
    subjects = Subjects(s.prefix)
    attempts = [
        json.dumps(
            {"event_id": f"a-{i}", "account": f"1391{i % 97:07d}", "ip": f"1.82.{i % 50}.4"}
        ).encode()
        for i in range(n)
    ]
    with _redis_tenant(env, "u") as (tenant, client):
        run(_publish(s, subjects.inbound(Kind.LOGIN_ATTEMPT), attempts))
        worker = env.start()
        try:
            poll(lambda: env.processed(Kind.LOGIN_ATTEMPT) == n, "every attempt processed")
            poll(lambda: run(_consumer(s, Kind.LOGIN_ATTEMPT))[:2] == (0, 0), "attempts acked")
        finally:
            worker.kill()
            worker.wait(timeout=BOUND)
        decided = {
            d["event_id"]: d["result"]
            for d in run(_read_all(s, subjects.decisions(Kind.LOGIN_ATTEMPT)))
        }
        assert len(decided) == n
        outcomes, failed, unknown = [], 0, 0
        for i in range(n):
            result = decided[f"a-{i}"]
            success = i % 2 == 0 and result["decision"] == "allow"
            known = i % 3 != 0
            failed += not success
            unknown += not success and not known
            outcomes.append(
                json.dumps(
                    {
                        "event_id": f"o-{i}",
                        "assessment_id": result["assessment_id"],
                        "success": success,
                        "account_known": known,
                    }
                ).encode()
            )
        stats = _kill_mid_stream_then_resend(env, outcomes, Kind.LOGIN_OUTCOME)
        assert stats["duplicates"] >= 300 and stats["rejected"] == 0
        assert run(_read_all(s, subjects.deadletter)) == []
        answers = run(_read_all(s, subjects.decisions(Kind.LOGIN_OUTCOME)))
        assert {d["event_id"] for d in answers} == {f"o-{i}" for i in range(n)}
        # each event's first decision message (JetStream drops a repeat of its message id): a
        # redelivery after the record, before the publish, answers ``duplicate``
        assert {d["status"] for d in answers} <= {"processed", "duplicate"}
        # the hour buckets: hash ``h`` of the tenant's risk keys, fields ``<hour>:f`` the
        # failures and ``<hour>:u`` the unknown accounts' failures
        buckets = client.hgetall(f"shieldwall:{tenant}:risk:h")
        assert sum(int(v) for f, v in buckets.items() if f.endswith(b":f")) == failed
        assert sum(int(v) for f, v in buckets.items() if f.endswith(b":u")) == unknown
