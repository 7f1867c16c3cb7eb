"""The batch puller against the real NATS JetStream server (127.0.0.1:4222): batches in stream
order and sizes, nothing lost or handed out twice, unacknowledged messages delivered again, an
empty answer when nothing is there; and its handling of status messages."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import APIError

from shieldwall.intake.pull import BatchPuller

ADDRESS = "nats://127.0.0.1:4222"


async def _with_stream(
    n: int, body: Callable[[Client, BatchPuller], Awaitable[None]], ack_wait: float = 30.0
) -> None:
    """``n`` messages ``0..n-1`` on a fresh stream with a durable pull consumer; ``body`` runs
    with a started puller; the stream is deleted after."""
    tag = secrets.token_hex(4)
    stream, subject = f"PULLTEST{tag}", f"pulltest{tag}.x"
    nc = await nats.connect(ADDRESS)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=stream, subjects=[subject]))
    try:
        for i in range(n):
            await js.publish_async(subject, str(i).encode())
        await js.publish_async_completed()
        sub = await js.pull_subscribe(
            subject,
            durable="c",
            stream=stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ack_wait),
        )
        await sub.unsubscribe()
        puller = BatchPuller(nc, stream, "c")
        await puller.start()
        try:
            await body(nc, puller)
        finally:
            await puller.stop()
    finally:
        await js.delete_stream(stream)
        await nc.close()


def test_batches_come_in_stream_order_and_sizes() -> None:
    """1,200 messages fetched 500 at a time: 500, 500, 200, each once, in order; then an empty
    batch (nothing left)."""

    async def body(nc: Client, puller: BatchPuller) -> None:
        sizes, seen = [], []
        for _ in range(3):
            msgs = await puller.fetch(500, 2.0)
            sizes.append(len(msgs))
            seen.extend(int(m.data) for m in msgs)
            for m in msgs:
                await m.ack()
        assert sizes == [500, 500, 200]
        assert seen == list(range(1200))
        assert await puller.fetch(500, 0.5) == []

    asyncio.run(_with_stream(1200, body))


def test_a_lingering_request_gets_what_is_published_while_it_waits() -> None:
    """Nothing in the stream, a fetch waiting: a message published meanwhile is handed out by
    that fetch (the lingering request), not lost."""

    async def body(nc: Client, puller: BatchPuller) -> None:
        js = nc.jetstream()
        stream_subject = (await js.stream_info(puller_stream(puller))).config.subjects
        assert stream_subject
        fetch = asyncio.create_task(puller.fetch(1, 5.0))
        await asyncio.sleep(0)  # let the fetch make its requests (ordering, not timing)
        await js.publish(stream_subject[0], b"late")
        msgs = await fetch
        assert [m.data for m in msgs] == [b"late"]
        await msgs[0].ack()

    asyncio.run(_with_stream(0, body))


def puller_stream(puller: BatchPuller) -> str:
    return puller._next.split(".")[-2]


def test_unacknowledged_messages_are_delivered_again() -> None:
    """At least once: a batch not acknowledged comes back once its ack wait has passed, and
    every message of it is in the later batches."""

    async def body(nc: Client, puller: BatchPuller) -> None:
        first = await puller.fetch(10, 2.0)
        assert len(first) == 10  # not acknowledged
        again: list[Msg] = []
        while len(again) < 10:
            again.extend(await puller.fetch(10, 2.0))
        assert sorted(int(m.data) for m in again) == list(range(10))
        assert all(m.metadata.num_delivered == 2 for m in again)
        for m in again:
            await m.ack()

    asyncio.run(_with_stream(10, body, ack_wait=1.0))


class _Sent:
    """A stand-in client: records the pull requests; status replies are fed by the test."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes, str]] = []

    def new_inbox(self) -> str:
        return "_INBOX.t"

    async def subscribe(self, subject: str, cb: Any) -> Any:
        return None

    async def publish(self, subject: str, payload: bytes, reply: str) -> None:
        self.requests.append((subject, payload, reply))


def _status(subject: str, code: str) -> Msg:
    return Msg(_client=None, subject=subject, headers={"Status": code})  # type: ignore[arg-type]


@pytest.fixture
def fake() -> tuple[_Sent, BatchPuller]:
    sent = _Sent()
    puller = BatchPuller(sent, "S", "c")  # type: ignore[arg-type]
    puller._sub = object()  # type: ignore[assignment] # started
    return sent, puller


async def _answer(puller: BatchPuller, sent: _Sent, *codes: str) -> None:
    """Wait for the next request, then answer it with ``codes``."""
    count = len(sent.requests)
    while len(sent.requests) == count:
        await asyncio.sleep(0)
    reply = sent.requests[-1][2]
    for code in codes:
        await puller._on_msg(_status(reply, code))


def test_statuses_end_a_request_or_raise(fake: tuple[_Sent, BatchPuller]) -> None:
    """404 ends the no-wait request, 100 (heartbeat) is skipped, 408 and 409 end the lingering
    one (an empty batch); another status raises the server's error; a late status of an
    earlier request changes nothing."""
    sent, puller = fake

    async def run() -> None:
        fetch = asyncio.create_task(puller.fetch(5, 30.0))
        await _answer(puller, sent, "404")
        await _answer(puller, sent, "100", "408")
        assert await fetch == []
        assert [r[0] for r in sent.requests] == ["$JS.API.CONSUMER.MSG.NEXT.S.c"] * 2
        assert b'"no_wait": true' in sent.requests[0][1]
        assert b'"expires"' in sent.requests[1][1]
        earlier = sent.requests[0][2]
        fetch = asyncio.create_task(puller.fetch(5, 30.0))
        await _answer(puller, sent, "404")
        await puller._on_msg(_status(earlier, "503"))  # not this request's: ignored
        await _answer(puller, sent)
        await puller._on_msg(_status(sent.requests[-1][2], "409"))
        assert await fetch == []
        fetch = asyncio.create_task(puller.fetch(5, 30.0))
        await _answer(puller, sent, "503")
        with pytest.raises(APIError):
            await fetch

    asyncio.run(run())


def test_the_client_deadline_ends_a_request_without_an_answer(
    fake: tuple[_Sent, BatchPuller],
) -> None:
    """No answer at all: the fetch ends at its timeout with what came (nothing)."""
    _, puller = fake
    assert asyncio.run(puller.fetch(5, 0.05)) == []
