"""Batches from a JetStream pull consumer without a task per message.

nats-py's ``PullSubscription.fetch(n)`` awaits each of the ``n`` messages with its own
``asyncio.wait_for`` (two tasks a message: 40,013 ``create_task`` calls for 20,000 messages in
the stream bench). :class:`BatchPuller` speaks the same protocol, pull requests on
``$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>``, but the replies land in one subscription
callback that appends them to a list; a fetch awaits one event, set when the batch is full or
the request has ended.

Per fetch, as nats-py does: first ``{"batch": n, "no_wait": true}`` (what is there now, ended by
a 404 or 408 status when fewer than ``n``); when that gave nothing, a lingering
``{"batch": n, "expires": ...}`` that ends when ``n`` arrived or the server answers 408 at its
expiry. Status messages: 100 (heartbeat) is skipped; 404, 408 and 409 end the request they
answer (409: the consumer's limits, a deletion, a leader change: the next fetch asks again);
any other raises :class:`nats.js.errors.APIError`, as ``fetch`` does. Each request has its own
reply subject, so the end of a request the puller stopped waiting for (its 408 arriving late)
is told from the current one's; a data message is always kept, whichever request brought it:
it was delivered, and the next fetch hands it out first. Acknowledging is the caller's, as
before: delivery stays at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Final

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.errors import APIError

STATUS: Final = "Status"
HEARTBEAT: Final = "100"
ENDS_REQUEST: Final = frozenset({"404", "408", "409"})
# The server's expiry comes this much before the caller's deadline, so its 408 is usually seen.
_MARGIN_NS = 100_000_000


class BatchPuller:
    """Fetches batches of a durable pull consumer that exists (``pull_subscribe`` made it);
    :meth:`start` before the first :meth:`fetch`, :meth:`stop` after the last."""

    def __init__(self, nc: Client, stream: str, consumer: str, api_prefix: str = "$JS.API") -> None:
        self._nc = nc
        self._next = f"{api_prefix}.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._inbox = nc.new_inbox()
        self._sub: Subscription | None = None
        self._requests = 0
        self._reply = ""  # the current request's reply subject
        self._want = 0
        self._got: list[Msg] = []
        self._ended: APIError | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        self._sub = await self._nc.subscribe(self._inbox + ".*", cb=self._on_msg)

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    async def _on_msg(self, msg: Msg) -> None:
        status = msg.headers.get(STATUS) if msg.headers else None
        if not status:
            self._got.append(msg)
            if len(self._got) >= self._want:
                self._wake.set()
            return
        if msg.subject != self._reply or status == HEARTBEAT:
            return  # an earlier request's end, or a heartbeat
        if status not in ENDS_REQUEST:
            try:
                APIError.from_msg(msg)  # raises the error class of the status
            except APIError as exc:
                self._ended = exc
        self._reply = ""  # ended: a second status of it changes nothing
        self._wake.set()

    def _take(self, n: int) -> list[Msg]:
        out, self._got = self._got[:n], self._got[n:]
        return out

    async def _request(self, n: int, timeout: float, *, no_wait: bool) -> list[Msg]:
        self._requests += 1
        self._reply = f"{self._inbox}.{self._requests}"
        self._want = n
        self._ended = None
        self._wake.clear()
        body: dict[str, int | bool] = {"batch": n}
        if no_wait:
            body["no_wait"] = True
        else:
            body["expires"] = max(int(timeout * 1e9) - _MARGIN_NS, _MARGIN_NS)
        await self._nc.publish(self._next, json.dumps(body).encode(), reply=self._reply)
        with contextlib.suppress(TimeoutError):  # the server's answer is late: hand out what came
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._reply = ""
        if self._ended is not None:
            raise self._ended
        return self._take(n)

    async def fetch(self, n: int, timeout: float) -> list[Msg]:
        """Up to ``n`` messages, waiting at most about ``timeout`` seconds for the first;
        an empty list when none came."""
        if self._sub is None:
            raise RuntimeError("BatchPuller.start() first")
        if self._got:  # delivered for a request this puller stopped waiting for
            return self._take(n)
        got = await self._request(n, timeout, no_wait=True)
        if got:
            return got
        return await self._request(n, timeout, no_wait=False)
