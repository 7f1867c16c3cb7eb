"""The deployment of ``deploy/`` on this machine: two ``shieldwall serve`` processes and two
``shieldwall worker`` processes on PostgreSQL (a schema of the test's own), Redis state (a
tenant of the test's own) and NATS JetStream (a stream and subject prefix of the test's own,
deleted afterwards), against the same workload run in one process (SQLite, in-process state,
the batch HTTP routes instead of the stream).

The workload is small (a few hundred events), not a simulated day: logins, record reads
through both APIs, record reads of the store's own systems through NATS, one agent
harvesting. Checked: every event processed exactly once, audit entries equal to what was
sent, ``shieldwall audit verify`` clean, and the same decisions and alert kinds as the
single-process run."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import NatsSettings, Settings, load_settings
from shieldwall.intake.events import Kind
from shieldwall.intake.subjects import Subjects
from shieldwall.sim.people import PeopleFactory
from shieldwall.storage.db import make_engine
from shieldwall.storage.intake_repo import SqlProcessedEvents
from shieldwall.wiring import build, initialize
from tests.conftest import _pg_schema_url
from tests.functional.conftest import customer_row
from tests.functional.test_intake_worker import _consumer, _delete_stream, _publish, _read_all, run

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
SHIELDWALL = str(Path(sys.executable).parent / "shieldwall")
BOUND = 180.0  # seconds: a generous bound on conditions polled, never a pace

PEOPLE = PeopleFactory(31).customers(40)
AGENTS = [f"agent-{i}" for i in range(6)]
PRINCIPALS = [
    ("sec-admin", "admin", "security"),
    ("app", "service", "store-app"),
    *[(a, "agent", "cs-team-1") for a in AGENTS],
]


def poll(condition: Callable[[], bool], what: str, bound: float = BOUND) -> None:
    """Wait until ``condition()`` holds; fail after ``bound`` seconds."""
    end = time.monotonic() + bound
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not within {bound} s: {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Workload:
    """The same events for both runs (dated from the start of the test)."""

    http_attempts: list[dict[str, Any]]  # a credential-stuffing burst, to /v1/logins/assess
    stream_attempts: list[dict[str, Any]]  # a second burst plus ordinary logins, in bulk
    reads: list[tuple[str, str]]  # (agent, customer id) read through custody
    store_reads: list[dict[str, Any]]  # reads done in the store's own systems


def workload() -> Workload:
    now = datetime.now(UTC)
    burst = [{"account": f"1390000{i:04d}", "ip": "45.13.7.9"} for i in range(40)]
    second = [
        {"event_id": f"s-{i}", "account": f"1370000{i:04d}", "ip": "91.200.1.77"} for i in range(40)
    ]
    ordinary = [
        {"event_id": f"o-{i}", "account": f"1360000{i:04d}", "ip": f"36.1.{i}.{i + 1}"}
        for i in range(20)
    ]
    reads = [
        (a, PEOPLE[(3 * n + k) % len(PEOPLE)].customer_id)
        for n, a in enumerate(AGENTS[1:])
        for k in range(3)
    ]
    reads += [("agent-0", c.customer_id) for c in PEOPLE[:15]]
    store_reads: list[dict[str, Any]] = []
    for n, agent in enumerate(AGENTS[1:]):  # peers: a few customers each
        for k in range(4):
            store_reads.append(
                {
                    "event_id": f"r-{n}-{k}",
                    "ts": (now - timedelta(minutes=90 - k)).isoformat(),
                    "principal_id": agent,
                    "customer_ids": [PEOPLE[(5 * n + k) % len(PEOPLE)].customer_id],
                    "fields": {"phone": "masked", "address": "masked"},
                    "system": "oms",
                }
            )
    for k, c in enumerate(PEOPLE):  # agent-0 takes every customer's phone and address
        store_reads.append(
            {
                "event_id": f"x-{k}",
                "ts": (now - timedelta(minutes=60) + timedelta(seconds=20 * k)).isoformat(),
                "principal_id": "agent-0",
                "customer_ids": [c.customer_id],
                "fields": {"phone": "clear", "address": "clear"},
                "system": "oms",
            }
        )
    return Workload(burst, second + ordinary, reads, store_reads)


def seed(settings: Settings) -> dict[str, str]:
    """Initialise, add the principals and import the customers; their API keys."""
    initialize(settings)
    svc = build(settings)
    try:
        keys = {}
        for pid, role, unit in PRINCIPALS:
            _, keys[pid] = svc.custody.principals.add(pid, role, unit=unit)
        report = svc.custody.importer.customers(
            [(n, customer_row(c)) for n, c in enumerate(PEOPLE, 1)]
        )
        assert report.committed
    finally:
        svc.close()
    return keys


def bearer(keys: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[who]}"}


def stuff(client: Any, attempt: dict[str, Any], keys: dict[str, str]) -> str:
    """One attempt of the burst: assessed, then reported failed (a wrong password)."""
    got = client.post("/v1/logins/assess", json=attempt, headers=bearer(keys, "app")).json()
    out = client.post(
        "/v1/logins/outcome",
        json={"assessment_id": got["assessment_id"], "success": False},
        headers=bearer(keys, "app"),
    )
    assert out.status_code == 200, out.text
    return str(got["decision"])


def read(client: Any, agent: str, customer_id: str, keys: dict[str, str]) -> int:
    """A ticket opened (by the store's app for peers, by agent-0 itself), then the read."""
    opener = "agent-0" if agent == "agent-0" else "app"
    t = client.post(
        "/v1/tickets",
        json={"agent_id": agent, "customer_id": customer_id},
        headers=bearer(keys, opener),
    ).json()
    r = client.get(
        f"/v1/customers/{customer_id}",
        params={"purpose": "after_sales", "ticket_id": t["ticket_id"]},
        headers=bearer(keys, agent),
    )
    return int(r.status_code)


@dataclass
class Outcome:
    """What a run decided and raised."""

    http_decisions: list[str]
    stream_decisions: dict[str, str]
    read_statuses: list[int]
    alert_kinds: Counter[str]
    alert_principals: set[str]


def alerts_of(get: Callable[..., Any], keys: dict[str, str]) -> tuple[Counter[str], set[str]]:
    items = get("/v1/alerts", params={"limit": 500}, headers=bearer(keys, "sec-admin")).json()
    kinds = Counter(a["kind"] for a in items["items"])
    return kinds, {a["principal_id"] for a in items["items"]}


def single_process(tmp_path: Path, w: Workload) -> Outcome:
    """The workload in one process: SQLite, in-process state, the batch routes."""
    settings = load_settings({"SHIELDWALL_HOME": str(tmp_path / "single")})
    keys = seed(settings)
    svc = build(settings)
    try:
        with TestClient(create_app(svc)) as client:
            http = [stuff(client, a, keys) for a in w.http_attempts]
            got = client.post(
                "/v1/logins/attempts:batch",
                json={"events": w.stream_attempts},
                headers=bearer(keys, "app"),
            ).json()
            stream = {r["event_id"]: r["result"]["decision"] for r in got["results"]}
            statuses = [read(client, a, c, keys) for a, c in w.reads]
            done = client.post(
                "/v1/access:batch", json={"events": w.store_reads}, headers=bearer(keys, "app")
            ).json()
            assert done["processed"] == len(w.store_reads), done
            assert svc.watch.drain(BOUND)
            poll(
                lambda: svc.watch.watch.last_seq >= svc.audit.size() - 1,
                "the in-process watch caught up",
            )
            kinds, who = alerts_of(client.get, keys)
    finally:
        svc.close()
    return Outcome(http, stream, statuses, kinds, who)


@pytest.fixture
def deployment_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of every process: PostgreSQL schema, Redis tenant, NATS stream."""
    tag = secrets.token_hex(4)
    config = tmp_path / "shieldwall.toml"
    config.write_text(
        f'tenant = "t{tag}"\n'
        f'[api.rate_limits]\nkey_prefix = "rl-{tag}"\n'
        "[nats]\nbatch = 25\nack_wait_seconds = 10\nretry_seconds = 0.2\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIELDWALL_", "PROMETHEUS_"))}
    for url in _pg_schema_url():
        env |= {
            "SHIELDWALL_HOME": str(tmp_path / "multi"),
            "SHIELDWALL_CONFIG": str(config),
            "SHIELDWALL_DATABASE_URL": url,
            "SHIELDWALL_STATE_BACKEND": "redis",
            "SHIELDWALL_NATS_URL": "nats://127.0.0.1:4222",
            "SHIELDWALL_NATS_STREAM": f"D{tag}",
            "SHIELDWALL_NATS_PREFIX": f"d{tag}",
            "SHIELDWALL_LOG_LEVEL": "warning",
        }
        settings = load_settings(env)
        try:
            yield env
        finally:
            run(_delete_stream(settings.nats))
            _drop_redis_keys(settings)


def _drop_redis_keys(settings: Settings) -> None:
    import redis

    client = redis.Redis.from_url(settings.redis_url)
    try:
        for pattern in (
            f"shieldwall:{settings.tenant}:*",
            f"{settings.api.rate_limits.key_prefix}*",
        ):
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)
    finally:
        client.close()


def acked(s: NatsSettings, kind: Kind) -> bool:
    """Nothing pending nor awaiting an ack on the kind's durable consumer."""
    return bool(run(_consumer(s, kind))[:2] == (0, 0))


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as err:
        return subprocess.Popen([SHIELDWALL, *args], env=env, stdout=subprocess.PIPE, stderr=err)


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def test_two_apis_and_two_workers_decide_as_one_process_and_lose_nothing(
    tmp_path: Path, deployment_env: dict[str, str]
) -> None:
    w = workload()
    expected = single_process(tmp_path, w)
    # the workload must exercise the detections it compares
    assert {"challenge", "deny"} & set(expected.http_decisions)
    # NOTE: this small workload, dated by the real clock, raises no insider alert in either
    # run (the watch's detectors need a baseline day the test cannot wait for); the alert
    # comparison below holds but is weak. See docs/deployment.md, "What is left".

    env = deployment_env
    settings = load_settings(env)
    keys = seed(settings)
    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i, port in enumerate(ports):
            procs.append(spawn(["serve", "--port", str(port)], env, tmp_path / f"api{i}.log"))
        for i in range(2):
            procs.append(spawn(["worker"], env, tmp_path / f"worker{i}.log"))
        for base in bases:
            poll(partial(answers, base), f"{base}/readyz answering 200")
        clients = [httpx.Client(base_url=b, timeout=60) for b in bases]

        s = settings.nats
        subjects = Subjects(s.prefix)
        run(
            _publish(
                s,
                subjects.inbound(Kind.LOGIN_ATTEMPT),
                [json.dumps(a).encode() for a in w.stream_attempts],
            )
        )
        http = [stuff(clients[n % 2], a, keys) for n, a in enumerate(w.http_attempts)]
        statuses = [read(clients[n % 2], a, c, keys) for n, (a, c) in enumerate(w.reads)]
        run(
            _publish(
                s, subjects.inbound(Kind.ACCESS), [json.dumps(r).encode() for r in w.store_reads]
            )
        )
        # the store retries a third of its reads: nothing may change
        run(
            _publish(
                s,
                subjects.inbound(Kind.ACCESS),
                [json.dumps(r).encode() for r in w.store_reads[::3]],
            )
        )

        engine = make_engine(settings.resolved_database_url)
        processed = SqlProcessedEvents(engine)
        try:
            poll(
                lambda: processed.count(Kind.ACCESS.value) == len(w.store_reads),
                "every store read processed",
            )
            poll(
                lambda: processed.count(Kind.LOGIN_ATTEMPT.value) == len(w.stream_attempts),
                "every streamed attempt processed",
            )
        finally:
            engine.dispose()
        for kind in (Kind.ACCESS, Kind.LOGIN_ATTEMPT):
            poll(partial(acked, s, kind), f"{kind.value} all acked")

        def caught_up() -> bool:
            st = clients[0].get("/v1/watch/status", headers=bearer(keys, "sec-admin")).json()
            return bool(st["cursor"] is not None and st["cursor"] >= st["log_size"] - 1)

        poll(caught_up, "the watch (in whichever API holds its lease) caught up")
        kinds, who = alerts_of(clients[1].get, keys)
        for c in clients:
            c.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=60)
    for n, p in enumerate(procs[2:]):
        assert p.returncode == 0, (tmp_path / f"worker{n}.log").read_text()

    decisions = run(_read_all(s, subjects.decisions(Kind.LOGIN_ATTEMPT)))
    stream = {d["event_id"]: d["result"]["decision"] for d in decisions}
    assert len(decisions) == len(w.stream_attempts)  # one decision per event, none twice

    # (b) the same detections as the single process
    assert http == expected.http_decisions
    assert Counter(stream.values()) == Counter(expected.stream_decisions.values())
    assert statuses == expected.read_statuses
    assert kinds == expected.alert_kinds and who == expected.alert_principals

    # (a) nothing lost, nothing counted twice: the audit log holds each read once
    svc = build(settings)
    try:
        entries = svc.audit.read(-1, 1_000_000)
    finally:
        svc.close()
    store = [r.event.extra["event_id"] for r in entries if r.event.channel == "store"]
    assert sorted(store) == sorted(r["event_id"] for r in w.store_reads)
    custody_reads = [
        r
        for r in entries
        if r.event.channel != "store" and r.event.actor in AGENTS and r.event.action == "read"
    ]
    assert len(custody_reads) == sum(st == 200 for st in statuses)
    verify = subprocess.run(
        [SHIELDWALL, "audit", "verify"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
