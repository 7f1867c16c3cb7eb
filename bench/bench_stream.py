"""Event intake throughput: login attempts per second end to end through NATS JetStream.

End to end: ``EVENTS`` login attempts are published to ``<prefix>.logins.attempts`` on the
NATS server at 127.0.0.1:4222 (a stream of the bench's own, deleted afterwards); then one
``shieldwall worker --only logins.attempts`` per core consumes them (fetch 500, assess the
batch, record its results in one SQLite transaction, publish the decisions, acknowledge). The
rate is events processed between the first and the last recorded, over the time between
(worker start-up, several seconds of imports on this host, is left out). Run on the in-process
risk state (each worker its own counters) and on Redis (shared by both), with
``nats.decisions`` ``per_event`` (one message per decision) and ``batch`` (one per batch).

Before and after in the same run: with ``BENCH_BEFORE_SRC`` naming the ``src`` directory of an
earlier checkout (``git archive <commit> src | tar -x -C /tmp/before``), the same end-to-end
runs are made with workers importing that code first (``PYTHONPATH``), beside this code's.

The ceiling, in the same run: one process fetching the same number of events and
acknowledging each, with no processing (what NATS and the client cost): publishing one
decision per event, one message per batch, or none; and with none, fetched by the worker's
``BatchPuller`` instead of nats-py's ``fetch``.

Where the time goes, one core, no NATS: parsing the events (this code's and pydantic's alone),
``Intake.process`` (the risk engine and the batch's database write), and the decisions' JSON,
each timed over the same events. Then a cProfile of one worker, in this process, draining
``EVENTS`` attempts from NATS with ``decisions = "batch"`` (``Intake.process`` run inline
rather than in a thread so that the profiler sees it); the top functions by own time go to
``bench/out/stream_profile.txt``.

    python -m bench stream
    BENCH_QUICK=1 python -m bench stream
    BENCH_QUICK=1 BENCH_BEFORE_SRC=/tmp/before/src python -m bench stream
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
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

import msgspec
import nats
from nats.errors import TimeoutError as NatsTimeout

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._util import median_of, save, table
from shieldwall.config import NatsSettings, load_settings
from shieldwall.core.events import AccessEvent
from shieldwall.intake.events import Kind, parse_event, validate_event
from shieldwall.intake.ports import ProcessedEvents, Result
from shieldwall.intake.pull import BatchPuller
from shieldwall.intake.subjects import Subjects
from shieldwall.intake.worker import IntakeWorker, ensure_stream
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
BEFORE_SRC = os.environ.get("BENCH_BEFORE_SRC")


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


def end_to_end(
    home: Path, backend: str, decisions: str = "per_event", src: str | None = None
) -> tuple[float, float]:
    """(events/s through the workers, events/s published); workers run the code in ``src``
    when given (an earlier checkout's), this code otherwise. Each run has a fresh home (its
    own empty SQLite database: the processed-event table does not grow from run to run)."""
    total = REDIS_EVENTS if backend == "redis" else EVENTS
    tag = secrets.token_hex(4)
    home = home.parent / f"home-{tag}"
    initialize(load_settings({"SHIELDWALL_HOME": str(home)}))
    env = {
        **os.environ,
        "SHIELDWALL_HOME": str(home),
        "SHIELDWALL_NATS_PREFIX": f"bench{tag}",
        "SHIELDWALL_NATS_STREAM": f"BENCH{tag}",
        "SHIELDWALL_STATE_BACKEND": backend,
    }
    settings = load_settings(env)
    env["SHIELDWALL_NATS_DECISIONS"] = decisions  # after: the code before may not know it
    if src is not None:
        env["PYTHONPATH"] = src
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


async def _drain(s: NatsSettings, total: int, decisions: str, puller: bool = False) -> float:
    """Events/s through one asyncio consumer that does what the worker does around the
    processing and nothing else: fetch batches of ``nats.batch`` (nats-py's ``fetch``, or with
    ``puller`` the worker's :class:`BatchPuller`), publish the decisions (``per_event``: one
    ``publish_async`` with a ``Nats-Msg-Id`` each; ``batch``: one message per batch; ``none``),
    acknowledge each."""
    subjects = Subjects(s.prefix)
    nc = await nats.connect(s.address)
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        subjects.inbound(Kind.LOGIN_ATTEMPT), durable="ceiling", stream=s.stream
    )
    batches = BatchPuller(nc, s.stream, "ceiling")
    if puller:
        await sub.unsubscribe()
        await batches.start()
    done, start = 0, time.perf_counter()
    while done < total:
        try:
            if puller:
                msgs = await batches.fetch(s.batch, s.fetch_seconds)
            else:
                msgs = await sub.fetch(s.batch, timeout=s.fetch_seconds)
        except (NatsTimeout, TimeoutError):
            continue
        if not msgs:
            continue
        for msg in msgs if decisions == "per_event" else ():
            await js.publish_async(
                subjects.decisions(Kind.LOGIN_ATTEMPT),
                b'{"kind":"login","status":"processed"}',
                headers={"Nats-Msg-Id": f"ceiling:{msg.metadata.sequence.stream}"},
            )
        if decisions == "batch":
            await js.publish_async(
                subjects.decisions_batch(Kind.LOGIN_ATTEMPT),
                b'{"kind":"login","decisions":[' + b",".join(m.data for m in msgs) + b"]}",
                headers={"Nats-Msg-Id": f"ceiling:{msgs[0].metadata.sequence.stream}"},
            )
        await js.publish_async_completed()
        for msg in msgs:
            await msg.ack()
        done += len(msgs)
    took = time.perf_counter() - start
    await nc.close()
    return done / took


def ceiling(home: Path, decisions: str, puller: bool = False) -> float:
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
        return asyncio.run(_drain(settings.nats, EVENTS, decisions, puller))
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
    """Microseconds per event of each step, one core, no NATS: CPU time for parsing and the
    decisions' JSON, wall time for ``Intake.process`` (it waits on the database)."""
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    svc = build(settings)
    intake = build_intake(svc)
    timed = TimedStore(intake.processed)
    intake.processed = timed
    bodies = events(20_000, "cpu" + secrets.token_hex(3))
    try:
        cpu = time.process_time  # CPU time for the pure steps: the load stretches wall time
        start = cpu()
        for b in bodies:
            validate_event(Kind.LOGIN_ATTEMPT, json.loads(b))
        t_pydantic = cpu() - start
        start = cpu()
        parsed = [parse_event(Kind.LOGIN_ATTEMPT, b) for b in bodies]
        t_parse = cpu() - start
        start = time.perf_counter()
        results = []
        for i in range(0, len(parsed), 500):
            results.extend(intake.process(Kind.LOGIN_ATTEMPT, parsed[i : i + 500]))
        t_process = time.perf_counter() - start
        start = cpu()
        for r in results:
            json.dumps({"kind": "login", **r.to_dict()}, separators=(",", ":")).encode()
        t_json = cpu() - start
        encode = msgspec.json.Encoder().encode
        start = cpu()
        for i in range(0, len(results), 500):
            b",".join(encode(r.to_dict()) for r in results[i : i + 500])
        t_batch = cpu() - start
    finally:
        svc.close()
    n = len(bodies)
    return {
        "parse_cpu_pydantic_alone_us": t_pydantic / n * 1e6,
        "parse_cpu_us": t_parse / n * 1e6,
        "process_us": t_process / n * 1e6,
        "db_known_and_record_us": timed.seconds / n * 1e6,
        "assess_and_rest_us": (t_process - timed.seconds) / n * 1e6,
        "decision_cpu_stdlib_json_per_event_us": t_json / n * 1e6,
        "decision_cpu_msgspec_batch_us": t_batch / n * 1e6,
    }


def profile(home: Path) -> tuple[float, list[tuple[str, float]]]:
    """One worker in this process under cProfile, ``decisions = "batch"``, memory state,
    draining ``EVENTS`` attempts: (events/s under the profiler, [(group, share of time)]);
    the top functions by own time are written to ``bench/out/stream_profile.txt``."""
    tag = secrets.token_hex(4)
    env = {
        "SHIELDWALL_HOME": str(home),
        "SHIELDWALL_NATS_PREFIX": f"bench{tag}",
        "SHIELDWALL_NATS_STREAM": f"BENCH{tag}",
        "SHIELDWALL_NATS_DECISIONS": "batch",
    }
    settings = load_settings(env)
    asyncio.run(publish(settings.nats, events(EVENTS, tag)))
    svc = build(settings)
    worker = IntakeWorker(build_intake(svc), settings.nats, kinds=[Kind.LOGIN_ATTEMPT])

    async def inline(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    async def drain() -> None:
        task = asyncio.create_task(worker.run())
        while worker.stats.processed < EVENTS and not task.done():
            await asyncio.sleep(0.05)
        worker.stop()
        await task

    prof = cProfile.Profile()
    to_thread = asyncio.to_thread
    asyncio.to_thread = inline  # type: ignore[assignment] # the profiler sees one thread only
    try:
        start = time.perf_counter()
        prof.enable()
        asyncio.run(drain())
        prof.disable()
        took = time.perf_counter() - start
    finally:
        asyncio.to_thread = to_thread
        svc.close()
        asyncio.run(delete_stream(settings.nats))
    stats = pstats.Stats(prof)
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(40)
    (Path(__file__).resolve().parent / "out").mkdir(exist_ok=True)
    (Path(__file__).resolve().parent / "out" / "stream_profile.txt").write_text(text.getvalue())
    groups = {
        "risk engine and its state (guard/risk, storage/risk_state*)": (
            "/guard/risk/",
            "/storage/risk_state",
        ),
        "NATS client (nats-py)": ("/nats/",),
        "asyncio event loop and epoll": ("/asyncio/", "selectors.py", "select.epoll"),
        "database (SQLAlchemy, sqlite3, storage/)": ("/sqlalchemy/", "sqlite3", "/storage/"),
        "intake (msgspec decode, service, worker)": ("/intake/", "msgspec"),
        "HMAC, uuid, json": ("hmac", "_hashlib", "uuid.py", "/json/"),
        "metrics (prometheus_client, observe/)": ("prometheus_client", "/observe/"),
    }
    own: dict[str, float] = dict.fromkeys(groups, 0.0)
    own["other (builtins, pydantic, ...)"] = 0.0
    total = 0.0
    for (filename, _, func), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += tottime
        where = f"{filename}:{func}"
        for name, needles in groups.items():
            if any(n in where for n in needles):
                own[name] += tottime
                break
        else:
            own["other (builtins, pydantic, ...)"] += tottime
    return worker.stats.processed / took, [(k, v / total) for k, v in own.items()]


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
        results["load_average_start"] = os.getloadavg()
        top = results["ceiling_per_s"] = ceiling(home, "per_event")
        one = results["ceiling_batch_decision_per_s"] = ceiling(home, "batch")
        bare = results["ceiling_no_decisions_per_s"] = ceiling(home, "none")
        own = results["ceiling_no_decisions_batch_puller_per_s"] = ceiling(home, "none", True)
        rows = [
            ("ceiling: NATS fetch + decision per event + ack, 1 process", f"{top:,.0f}/s"),
            ("  same, one decision message per batch", f"{one:,.0f}/s"),
            ("  same without decision messages (fetch + ack)", f"{bare:,.0f}/s"),
            ("  same, fetched by the worker's BatchPuller", f"{own:,.0f}/s"),
        ]
        configs = [  # the code before between the two of this code, then last on Redis
            ("memory", "batch", None, "batch"),
            ("memory", "per_event", BEFORE_SRC, "before"),
            ("memory", "per_event", None, "per_event"),
            ("redis", "batch", None, "batch"),
            ("redis", "per_event", BEFORE_SRC, "before"),
        ]
        for backend, decisions, src, label in configs:
            if label == "before" and src is None:
                continue
            pubs: list[float] = []

            def run_one(
                b: str = backend, d: str = decisions, c: str | None = src, p: list[float] = pubs
            ) -> float:
                rate, published = end_to_end(home, b, d, c)
                p.append(published)
                return rate

            med, runs = median_of(RUNS, run_one)
            key = f"end_to_end_{backend}_{label}"
            results[f"{key}_per_s"] = med
            results[f"{key}_runs"] = runs
            results[f"{key}_published_per_s"] = sorted(pubs)[len(pubs) // 2]
            what = "the code before (BENCH_BEFORE_SRC)" if label == "before" else label
            rows.append(
                (f"end to end, {WORKERS} workers, {backend} state, {what}", f"{med:,.0f}/s")
            )
            rows.append((f"  published ({backend}, {label})", f"{pubs[len(pubs) // 2]:,.0f}/s"))
        parts = breakdown(home)
        results["breakdown_us_per_event"] = parts
        for k, v in parts.items():
            rows.append((f"one core: {k}", f"{v:.1f} us/event"))
        rate, shares = profile(home)
        results["profile_per_s"] = rate
        results["profile_own_time_shares"] = dict(shares)
        rows.append(("one worker under cProfile, batch decisions", f"{rate:,.0f}/s"))
        for k, v in shares:
            rows.append((f"  own time: {k}", f"{v:.0%}"))
        results["load_average_end"] = os.getloadavg()
        rows.append(("load average (1, 5, 15 min) at start", str(results["load_average_start"])))
        rows.append(("load average at end", str(results["load_average_end"])))
        table(rows)
        save("stream", results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
