"""The worker's queue lag and pending count, against the real NATS JetStream server
(127.0.0.1:4222), the worker in this process on a clock the test sets: per fetched batch and
per queue, the age of the batch's oldest message by that clock, and 0 once a fetch finds the
queue empty."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import cast

import nats
from nats.js.errors import NotFoundError
from prometheus_client import generate_latest

from shieldwall.config import NatsSettings
from shieldwall.core.clock import ManualClock
from shieldwall.intake.events import Kind
from shieldwall.intake.subjects import Subjects
from shieldwall.intake.worker import IntakeWorker, ensure_stream
from shieldwall.observe.metrics import PrometheusMetrics
from tests.unit.intake.test_service import make
from tests.unit.observe.test_metrics import value

ADDRESS = "nats://127.0.0.1:4222"
BOUND = 120.0  # seconds: a generous bound on a condition awaited, never a pace


class Recording(PrometheusMetrics):
    """The Prometheus telemetry, also keeping each queue report in order; ``caught_up`` is set
    when ``queue`` reports an empty fetch (lag 0 and nothing pending)."""

    def __init__(self, queue: str) -> None:
        super().__init__()
        self.queue = queue
        self.lags: list[tuple[str, float]] = []
        self.pendings: list[tuple[str, int]] = []
        self.caught_up = asyncio.Event()

    def queue_lag(self, queue: str, seconds: float) -> None:
        super().queue_lag(queue, seconds)
        self.lags.append((queue, seconds))

    def queue_pending(self, queue: str, messages: int) -> None:
        super().queue_pending(queue, messages)
        self.pendings.append((queue, messages))
        if queue == self.queue and messages == 0 and self.lags[-1] == (queue, 0.0):
            self.caught_up.set()


def attempt(i: int) -> bytes:
    return json.dumps({"event_id": f"e-{i}", "account": f"acct-{i % 7}", "ip": "10.0.0.1"}).encode()


async def _scenario(settings: NatsSettings) -> tuple[Recording, datetime, datetime, datetime]:
    """120 login attempts published before a worker (batches of 50) starts, its clock set an
    hour past the end of the publishing; the worker runs until the attempts' queue is drained."""
    nc = await nats.connect(ADDRESS)
    js = nc.jetstream()
    await ensure_stream(js, settings)
    before = datetime.now(UTC)
    for i in range(120):
        await js.publish_async(Subjects(settings.prefix).inbound(Kind.LOGIN_ATTEMPT), attempt(i))
    await js.publish_async_completed()
    after = datetime.now(UTC)
    await nc.close()

    intake, _, _ = make()
    clock = cast(ManualClock, intake.clock)
    now = after + timedelta(hours=1)
    clock.set(now)
    telemetry = Recording(Kind.LOGIN_ATTEMPT.value)
    worker = IntakeWorker(
        intake, settings, kinds=(Kind.LOGIN_ATTEMPT, Kind.ACCESS), telemetry=telemetry
    )
    run = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(telemetry.caught_up.wait(), BOUND)
    finally:
        worker.stop()
        await run
    assert worker.stats.processed == 120
    return telemetry, before, after, now


async def _delete(settings: NatsSettings) -> None:
    nc = await nats.connect(ADDRESS)
    with contextlib.suppress(NotFoundError):
        await nc.jetstream().delete_stream(settings.stream)
    await nc.close()


def test_each_batch_reports_its_oldest_message_age_and_the_backlog_per_queue() -> None:
    """Three batches (50, 50, 20) of messages stored between ``before`` and ``after``, the
    worker's clock at ``after`` + 1 h: each batch's lag is at least an hour and at most
    ``now - before``, the pending counts are what is left of 120 after each batch (70, 20, 0),
    then the empty fetch reports 0 and 0; the access queue, never published to, reports only
    empty fetches; the Prometheus gauges end at the last report, under the queue's name."""
    tag = secrets.token_hex(4)
    settings = NatsSettings(
        url=ADDRESS, stream=f"LAG{tag}", prefix=f"lag{tag}", batch=50, fetch_seconds=0.5
    )
    try:
        telemetry, before, after, now = asyncio.run(_scenario(settings))
    finally:
        asyncio.run(_delete(settings))

    attempts = Kind.LOGIN_ATTEMPT.value
    lags = [s for q, s in telemetry.lags if q == attempts]
    pendings = [n for q, n in telemetry.pendings if q == attempts]
    assert pendings[:4] == [70, 20, 0, 0]
    low, high = (now - after).total_seconds(), (now - before).total_seconds()
    assert low == 3600.0
    assert all(low <= s <= high for s in lags[:3]), (lags[:3], low, high)
    assert set(lags[3:]) == {0.0} and set(pendings[3:]) == {0}

    others = {(q, s) for q, s in telemetry.lags if q != attempts}
    assert others == {(Kind.ACCESS.value, 0.0)}

    text = generate_latest(telemetry.registry)
    assert value(text, "shieldwall_queue_lag_seconds", queue=attempts) == 0.0
    assert value(text, "shieldwall_queue_pending_messages", queue=attempts) == 0.0
    assert value(text, "shieldwall_queue_lag_seconds", queue="access") == 0.0
