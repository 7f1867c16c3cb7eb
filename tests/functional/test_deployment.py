"""The deployment of ``deploy/`` on this machine: two ``shieldwall serve`` processes and two
``shieldwall worker`` processes on PostgreSQL (a schema of the test's own), Redis state (a
tenant of the test's own) and NATS JetStream (a stream and subject prefix of the test's own,
deleted afterwards), against the same simulated store run in one process (SQLite, in-process
state, the batch HTTP routes instead of the stream).

The workload is the simulator's (:mod:`tests.functional.simday`, seeded): four days of a small
store's record reads with two planted insiders, a credential-stuffing wave and a refund-scam
wave. Checked: the same alerts (detector and principal), login decisions and campaigns as the
single-process run; both runs find what the simulator planted; one worker killed mid-stream
(SIGKILL) and replaced, yet every read audited exactly once (a resent third changes nothing);
every alert pushed once to ``<prefix>.alerts`` by the NATS alert sink of ``deploy/``'s
example; ``shieldwall audit verify`` clean."""

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
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import NatsSettings, Settings, load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.core.model import Principal, Role
from shieldwall.intake.events import Kind
from shieldwall.intake.subjects import Subjects
from shieldwall.storage.db import make_engine
from shieldwall.storage.intake_repo import SqlProcessedEvents
from shieldwall.wiring import build, initialize
from tests.conftest import _pg_schema_url
from tests.functional.simday import SimDay, simulated_day
from tests.functional.test_intake_worker import (
    _consumer,
    _delete_stream,
    _publish,
    _read_all,
    run,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
SHIELDWALL = str(Path(sys.executable).parent / "shieldwall")
BOUND = 180.0  # seconds: a generous bound on conditions polled, never a pace

SEC = "sec-admin"
REPORTER = "svc-orders"  # the store's order system reports scams for its customers


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


def seed(settings: Settings, day: SimDay) -> dict[str, str]:
    """Initialise and add the world's principals (and the security team's admin) at the
    world's start, as the store would have before its first day; their API keys.

    Dated then, not now: an audit entry dated today ahead of four days of reads would move
    the insider watch's day to today for good (a late record counts on the current day)."""
    clock = ManualClock(day.start - timedelta(hours=1))
    initialize(settings, clock)
    svc = build(settings, clock)
    try:
        keys = {}
        for p in [Principal(SEC, Role.ADMIN, "security"), *day.principals]:
            _, keys[p.principal_id] = svc.custody.principals.add(
                p.principal_id, p.role.value, unit=p.unit
            )
    finally:
        svc.close()
    return keys


def bearer(keys: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[who]}"}


@dataclass
class Outcome:
    """What a run decided and raised."""

    logins: dict[str, str]  # event id -> decision
    alerts: set[tuple[str, str]]  # (detector, principal)
    campaigns: Counter[int]  # campaign sizes


def every(get: Callable[..., Any], path: str, keys: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of a paged list route (``items``/``next_cursor``)."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 500}
    while True:
        r = get(path, params=params, headers=bearer(keys, SEC))
        assert r.status_code == 200, (path, r.text[:300])
        page = r.json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def detections(
    get: Callable[..., Any], keys: dict[str, str]
) -> tuple[set[tuple[str, str]], Counter[int]]:
    alerts = {(a["kind"], a["principal_id"]) for a in every(get, "/v1/alerts", keys)}
    campaigns = Counter(c["size"] for c in every(get, "/v1/scam/campaigns", keys))
    return alerts, campaigns


def batch(
    client: Any, route: str, events: list[dict[str, Any]], who: str, keys: dict[str, str]
) -> list[dict[str, Any]]:
    """``events`` through a batch route, 1,000 a call; the results."""
    out: list[dict[str, Any]] = []
    for i in range(0, len(events), 1000):
        r = client.post(route, json={"events": events[i : i + 1000]}, headers=bearer(keys, who))
        assert r.status_code == 200, r.text[:500]
        out.extend(r.json()["results"])
    assert all(x["status"] == "processed" for x in out), [
        x for x in out if x["status"] != "processed"
    ][:3]
    return out


def login(client: Any, attempt: dict[str, Any], day: SimDay, keys: dict[str, str]) -> str:
    """One attempt assessed, then its outcome reported; the decision."""
    body = {k: v for k, v in attempt.items() if k != "event_id"}
    r = client.post("/v1/logins/assess", json=body, headers=bearer(keys, REPORTER))
    assert r.status_code == 200, r.text[:500]
    success, known = day.outcomes[attempt["event_id"]]
    out = client.post(
        "/v1/logins/outcome",
        json={
            "assessment_id": r.json()["assessment_id"],
            "success": success,
            "account_known": known,
        },
        headers=bearer(keys, REPORTER),
    )
    assert out.status_code == 200, out.text[:500]
    return str(r.json()["decision"])


def single_process(tmp_path: Path, day: SimDay) -> Outcome:
    """The simulated day in one process: SQLite, in-process state, the batch routes."""
    settings = load_settings({"SHIELDWALL_HOME": str(tmp_path / "single")})
    keys = seed(settings, day)
    svc = build(settings)
    try:
        with TestClient(create_app(svc)) as client:
            for reads in day.reads:
                batch(client, "/v1/access:batch", reads, REPORTER, keys)
            assert svc.watch.drain(BOUND)
            poll(
                lambda: svc.watch.watch.last_seq >= svc.audit.size() - 1,
                "the in-process watch caught up",
            )
            logins = {a["event_id"]: login(client, a, day, keys) for a in day.attempts}
            reports = [{k: v for k, v in r.items() if k != "reporter_id"} for r in day.reports]
            batch(client, "/v1/scam/reports:batch", reports, REPORTER, keys)
            alerts, campaigns = detections(client.get, keys)
    finally:
        svc.close()
    return Outcome(logins, alerts, campaigns)


def assert_ground_truth(run: Outcome, day: SimDay) -> None:
    """What the simulator planted is found: each insider has an alert, the stuffing wave is
    stopped, the scam reports form a campaign."""
    principals = {p for _, p in run.alerts}
    for truth in day.insiders:
        assert principals & set(truth.principals), (truth.kind, run.alerts)
    wave = [d for e, d in run.logins.items() if e in day.attack_attempts]
    assert len(wave) == len(day.attack_attempts)
    assert sum(d != "allow" for d in wave) >= 0.75 * len(wave), Counter(wave)
    assert max(run.campaigns, default=0) >= 3, run.campaigns


@pytest.fixture
def deployment_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of every process: PostgreSQL schema, Redis tenant, NATS stream."""
    tag = secrets.token_hex(4)
    config = tmp_path / "shieldwall.toml"
    config.write_text(
        f'tenant = "t{tag}"\n'
        f'[api.rate_limits]\nkey_prefix = "rl-{tag}"\n'
        "[nats]\nbatch = 100\nack_wait_seconds = 5\nretry_seconds = 0.2\n"
        # as deploy/shieldwall.toml: alerts pushed to <prefix>.alerts, inside the stream
        f'[[trace.alerts.sinks]]\ntype = "nats"\nurl = "nats://127.0.0.1:4222"\n'
        f'subject = "d{tag}.alerts"\n',
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


def counted(processed: SqlProcessedEvents, kind: Kind, n: int, *, exact: bool = False) -> bool:
    """At least (or exactly) ``n`` events of ``kind`` processed, by the database's record."""
    got = processed.count(kind.value)
    return got == n if exact else got >= n


def acked(s: NatsSettings, kind: Kind) -> bool:
    """Nothing pending nor awaiting an ack on the kind's durable consumer."""
    return bool(run(_consumer(s, kind))[:2] == (0, 0))


def pushed(s: NatsSettings) -> dict[str, tuple[str, str]]:
    """The alerts raised on ``<prefix>.alerts`` so far: id -> (detector, principal)."""
    notices = run(_read_all(s, Subjects(s.prefix).alerts))
    out: dict[str, tuple[str, str]] = {}
    for n in notices:
        assert "customer_ids" not in n["alert"]
        if n["type"] == "alert.raised":
            assert n["alert"]["alert_id"] not in out, n["alert"]["alert_id"]
            out[n["alert"]["alert_id"]] = (n["alert"]["kind"], n["alert"]["principal_id"])
    return out


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as err:
        return subprocess.Popen([SHIELDWALL, *args], env=env, stdout=subprocess.PIPE, stderr=err)


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def test_two_apis_and_two_workers_detect_as_one_process_and_lose_nothing(
    tmp_path: Path, deployment_env: dict[str, str]
) -> None:
    """A simulated store's four days of record reads (two planted insiders), a credential-
    stuffing wave and a scam wave, through two APIs and two workers (one killed mid-stream and
    replaced): the same alerts, login decisions and campaigns as one process, both finding what
    the simulator planted; every read audited exactly once."""
    day = simulated_day()
    expected = single_process(tmp_path, day)
    assert_ground_truth(expected, day)
    assert any(kind != "off_hours" for kind, _ in expected.alerts)

    env = deployment_env
    settings = load_settings(env)
    keys = seed(settings, day)
    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    procs: list[subprocess.Popen[bytes]] = []
    workers: list[subprocess.Popen[bytes]] = []
    s = settings.nats
    subjects = Subjects(s.prefix)
    engine = make_engine(settings.resolved_database_url)
    processed = SqlProcessedEvents(engine)

    def caught_up() -> bool:
        st = clients[0].get("/v1/watch/status", headers=bearer(keys, SEC)).json()
        return bool(st["cursor"] is not None and st["cursor"] >= st["log_size"] - 1)

    def publish(kind: Kind, events: list[dict[str, Any]]) -> None:
        run(_publish(s, subjects.inbound(kind), [json.dumps(e).encode() for e in events]))

    try:
        for i, port in enumerate(ports):
            procs.append(spawn(["serve", "--port", str(port)], env, tmp_path / f"api{i}.log"))
        for i in range(2):
            workers.append(spawn(["worker"], env, tmp_path / f"worker{i}.log"))
        for base in bases:
            poll(partial(answers, base), f"{base}/readyz answering 200")
        clients = [httpx.Client(base_url=b, timeout=60) for b in bases]

        # Day by day (a day's reads land in the log before the next day's, as in one process).
        sent = 0
        for n, reads in enumerate(day.reads):
            publish(Kind.ACCESS, reads)
            if n == 1:  # kill a worker mid-stream, unannounced, and start another
                third = sent + len(reads) // 3
                poll(partial(counted, processed, Kind.ACCESS, third), "a third of day 2")
                workers[0].kill()
                workers[0].wait(timeout=BOUND)
                workers.append(spawn(["worker"], env, tmp_path / "worker2.log"))
            sent += len(reads)
            poll(partial(counted, processed, Kind.ACCESS, sent, exact=True), f"day {n + 1} done")
        # the store resends a third of the first day's reads: nothing may change
        publish(Kind.ACCESS, day.reads[0][::3])
        poll(partial(acked, s, Kind.ACCESS), "every read (and resent read) acked")
        poll(caught_up, "the watch (in whichever API holds its lease) caught up")

        # logins at the login page: each API in turn
        logins = {
            a["event_id"]: login(clients[n % 2], a, day, keys) for n, a in enumerate(day.attempts)
        }
        publish(Kind.SCAM_REPORT, day.reports)
        poll(lambda: processed.count(Kind.SCAM_REPORT.value) == len(day.reports), "scam reports")
        poll(partial(acked, s, Kind.SCAM_REPORT), "scam reports acked")
        poll(caught_up, "the watch caught up")
        alerts, campaigns = detections(clients[1].get, keys)
        raised = {
            a["alert_id"]: (a["kind"], a["principal_id"])
            for a in every(clients[1].get, "/v1/alerts", keys)
        }
        poll(lambda: set(raised) <= set(pushed(s)), "every alert pushed to <prefix>.alerts")
        for c in clients:
            c.close()
    finally:
        engine.dispose()
        for p in [*procs, *workers]:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in [*procs, *workers]:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=60)
    for n, p in enumerate(workers[1:], 1):
        assert p.returncode == 0, (tmp_path / f"worker{n}.log").read_text()

    multi = Outcome(logins, alerts, campaigns)
    # every alert reached NATS once (JetStream keeps one message per Nats-Msg-Id, the alert id),
    # as the notice sinks send: kind and principal, no customer ids
    assert pushed(s) == raised

    # (b) the same detections as the single process, and what the simulator planted
    assert_ground_truth(multi, day)
    assert multi.alerts == expected.alerts
    assert Counter(multi.logins.values()) == Counter(expected.logins.values())
    assert multi.campaigns == expected.campaigns

    # (a) nothing lost, nothing counted twice: the audit log holds each read once
    svc = build(settings)
    try:
        entries = svc.audit.read(-1, 1_000_000)
    finally:
        svc.close()
    store = [r.event.extra["event_id"] for r in entries if r.event.channel == "store"]
    assert sorted(store) == sorted(e["event_id"] for reads in day.reads for e in reads)
    verify = subprocess.run(
        [SHIELDWALL, "audit", "verify"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=BOUND,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
