"""Event intake throughput: login attempts per second end to end through NATS JetStream.

End to end: ``EVENTS`` login attempts are published to ``<prefix>.logins.attempts`` on the
NATS server at 127.0.0.1:4222 (a stream of the bench's own, deleted afterwards); then one
``shieldwall worker --only logins.attempts`` per core consumes them (fetch 500, assess each,
record the batch's decisions in one SQLite transaction, publish one decision per event,
acknowledge). The rate is events processed between the first and the last recorded, over the
time between (worker start-up, about 8 s of imports on this host, is left out). Run on the
in-process risk state (each worker its own counters) and on Redis (shared by both).

The ceiling, in the same run: one process fetching the same number of events and publishing a
decision and acknowledging each, with no processing (what NATS and the client cost).

Where the time goes, one core, no NATS: parsing and validating the JSON events (pydantic),
``Intake.process`` (the risk engine's ``assess`` and the batch's database write), and the
decision JSON, each timed over the same events.

    python -m bench stream
    BENCH_QUICK=1 python -m bench stream
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import nats
from nats.errors import TimeoutError as NatsTimeout

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._util import median_of, save, table
from shieldwall.config import NatsSettings, load_settings
from shieldwall.core.events import AccessEvent
from shieldwall.intake.events import Kind, parse_event
from shieldwall.intake.ports import ProcessedEvents, Result
from shieldwall.intake.subjects import Subjects
from shieldwall.intake.worker import ensure_stream
from shieldwall.storage.db import make_engine
from shieldwall.storage.intake_repo import SqlProcessedEvents
from shieldwall.wiring import build, build_intake, initialize

QUICK = os.environ.get("BENCH_QUICK") == "1"
EVENTS = 20_000 if QUICK else 60_000
# On Redis each assessment is a few round trips, one at a time: fewer events keep a run short.
REDIS_EVENTS = 2_000 if QUICK else 6_000
RUNS = 1 if QUICK else 3
WORKERS = os.cpu_count() or 1
SHIELDWALL = str(Path(sys.executable).parent / "shieldwall")
BOUND = 600.0


def events(n: int, salt: str) -> list[bytes]:
    return [
        json.dumps(
            {
                "event_id": f"{salt}-{i}",
                "account": f"1380{i % 50_000:07d}",
                "ip": f"10.{i % 200}.{(i // 200) % 250}.{i % 250 + 1}",
                "user_agent": "Mozilla/5.0 (Linux; Android 14) bench",
                "device_id": f"dev-{i % 30_000}",
            },
            separators=(",", ":"),
        ).encode()
        for i in range(n)
    ]


async def publish(s: NatsSettings, bodies: list[bytes]) -> float:
    nc = await nats.connect(s.address)
    js = nc.jetstream()
    await ensure_stream(js, s)
    subject = Subjects(s.prefix).inbound(Kind.LOGIN_ATTEMPT)
    start = time.perf_counter()
    for i, body in enumerate(bodies):
        await js.publish_async(subject, body)
        if i % 5000 == 4999:
            await js.publish_async_completed()
    await js.publish_async_completed()
    took = time.perf_counter() - start
    await nc.close()
    return len(bodies) / took


async def delete_stream(s: NatsSettings) -> None:
    nc = await nats.connect(s.address)
    try:
        await nc.jetstream().delete_stream(s.stream)
    finally:
        await nc.close()


def end_to_end(home: Path, backend: str) -> tuple[float, float]:
    """(events/s through the workers, events/s published)."""
    total = REDIS_EVENTS if backend == "redis" else EVENTS
    tag = secrets.token_hex(4)
    env = {
        **os.environ,
        "SHIELDWALL_HOME": str(home),
        "SHIELDWALL_NATS_PREFIX": f"bench{tag}",
        "SHIELDWALL_NATS_STREAM": f"BENCH{tag}",
        "SHIELDWALL_STATE_BACKEND": backend,
    }
    settings = load_settings(env)
    published = asyncio.run(publish(settings.nats, events(total, tag)))
    engine = make_engine(settings.resolved_database_url)
    processed = SqlProcessedEvents(engine)
    base = processed.count(Kind.LOGIN_ATTEMPT.value)
    procs = [
        subprocess.Popen(
            [SHIELDWALL, "worker", "--only", "logins.attempts"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(WORKERS)
    ]
    try:
        end = time.monotonic() + BOUND
        first_at, first_n = 0.0, 0
        while True:
            n = processed.count(Kind.LOGIN_ATTEMPT.value) - base
            now = time.perf_counter()
            if n and not first_at:
                first_at, first_n = now, n
            if n >= total:
                break
            if time.monotonic() > end:
                raise RuntimeError(f"only {n} of {total} processed")
            time.sleep(0.05)
        rate = (n - first_n) / (now - first_at)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        engine.dispose()
        asyncio.run(delete_stream(settings.nats))
    return rate, published


async def _drain(s: NatsSettings, total: int, decisions: bool) -> float:
    """Events/s through one asyncio consumer that does what the worker does around the
    processing and nothing else: fetch batches of ``nats.batch``, publish one decision per
    event (``publish_async`` with a ``Nats-Msg-Id``; not when ``decisions`` is false),
    acknowledge each."""
    subjects = Subjects(s.prefix)
    nc = await nats.connect(s.address)
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        subjects.inbound(Kind.LOGIN_ATTEMPT), durable="ceiling", stream=s.stream
    )
    done, start = 0, time.perf_counter()
    while done < total:
        try:
            msgs = await sub.fetch(s.batch, timeout=s.fetch_seconds)
        except (NatsTimeout, TimeoutError):
            continue
        for msg in msgs if decisions else ():
            await js.publish_async(
                subjects.decisions(Kind.LOGIN_ATTEMPT),
                b'{"kind":"login","status":"processed"}',
                headers={"Nats-Msg-Id": f"ceiling:{msg.metadata.sequence.stream}"},
            )
        await js.publish_async_completed()
        for msg in msgs:
            await msg.ack()
        done += len(msgs)
    took = time.perf_counter() - start
    await nc.close()
    return done / took


def ceiling(home: Path, decisions: bool = True) -> float:
    """The NATS path alone (:func:`_drain`, one process): the framework's ceiling."""
    tag = secrets.token_hex(4)
    env = {
        "SHIELDWALL_HOME": str(home),
        "SHIELDWALL_NATS_PREFIX": f"bench{tag}",
        "SHIELDWALL_NATS_STREAM": f"BENCH{tag}",
    }
    settings = load_settings(env)
    asyncio.run(publish(settings.nats, events(EVENTS, tag)))
    try:
        return asyncio.run(_drain(settings.nats, EVENTS, decisions))
    finally:
        asyncio.run(delete_stream(settings.nats))


class TimedStore:
    """The processed-event store, timing its calls (the database's share of a batch)."""

    def __init__(self, inner: ProcessedEvents) -> None:
        self.inner = inner
        self.seconds = 0.0

    def known(self, kind: str, event_ids: Sequence[str]) -> dict[str, Result]:
        start = time.perf_counter()
        try:
            return self.inner.known(kind, event_ids)
        finally:
            self.seconds += time.perf_counter() - start

    def record(self, kind: str, results: Mapping[str, Result], now: datetime) -> None:
        start = time.perf_counter()
        try:
            self.inner.record(kind, results, now)
        finally:
            self.seconds += time.perf_counter() - start

    def record_with_audit(
        self, kind: str, items: Sequence[tuple[str, Result, AccessEvent]], now: datetime
    ) -> tuple[list[str], list[int]]:
        return self.inner.record_with_audit(kind, items, now)


def breakdown(home: Path) -> dict[str, float]:
    """Microseconds per event of each step, one core, no NATS."""
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    svc = build(settings)
    intake = build_intake(svc)
    timed = TimedStore(intake.processed)
    intake.processed = timed
    bodies = events(20_000, "cpu" + secrets.token_hex(3))
    try:
        start = time.perf_counter()
        parsed = [parse_event(Kind.LOGIN_ATTEMPT, b) for b in bodies]
        t_parse = time.perf_counter() - start
        start = time.perf_counter()
        results = []
        for i in range(0, len(parsed), 500):
            results.extend(intake.process(Kind.LOGIN_ATTEMPT, parsed[i : i + 500]))
        t_process = time.perf_counter() - start
        start = time.perf_counter()
        for r in results:
            json.dumps({"kind": "login", **r.to_dict()}, separators=(",", ":")).encode()
        t_json = time.perf_counter() - start
    finally:
        svc.close()
    n = len(bodies)
    return {
        "parse_us": t_parse / n * 1e6,
        "process_us": t_process / n * 1e6,
        "db_known_and_record_us": timed.seconds / n * 1e6,
        "assess_and_rest_us": (t_process - timed.seconds) / n * 1e6,
        "decision_json_us": t_json / n * 1e6,
    }


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    try:
        home = tmp / "home"
        initialize(load_settings({"SHIELDWALL_HOME": str(home)}))
        results: dict[str, Any] = {
            "events": EVENTS,
            "redis_events": REDIS_EVENTS,
            "workers": WORKERS,
            "runs": RUNS,
        }
        results["ceiling_per_s"] = top = ceiling(home)
        results["ceiling_no_decisions_per_s"] = bare = ceiling(home, decisions=False)
        rows = [
            ("ceiling: NATS fetch + decision + ack, 1 process, no work", f"{top:,.0f}/s"),
            ("  same without the decision messages (fetch + ack)", f"{bare:,.0f}/s"),
        ]
        for backend in ("memory", "redis"):
            pubs: list[float] = []

            def one(b: str = backend, p: list[float] = pubs) -> float:
                rate, published = end_to_end(home, b)
                p.append(published)
                return rate

            med, runs = median_of(RUNS, one)
            results[f"end_to_end_{backend}_per_s"] = med
            results[f"end_to_end_{backend}_runs"] = runs
            results[f"publish_{backend}_per_s"] = sorted(pubs)[len(pubs) // 2]
            rows.append((f"end to end, {WORKERS} workers, {backend} state", f"{med:,.0f}/s"))
            rows.append(
                (f"  published ({backend} run)", f"{results[f'publish_{backend}_per_s']:,.0f}/s")
            )
        parts = breakdown(home)
        results["breakdown_us_per_event"] = parts
        for k, v in parts.items():
            rows.append((f"one core: {k}", f"{v:.1f} us/event"))
        table(rows)
        save("stream", results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
