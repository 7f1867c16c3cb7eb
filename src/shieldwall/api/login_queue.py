"""Concurrent login requests of one API process, sent to Redis together.

Each ``POST /v1/logins/assess`` or ``POST /v1/logins/outcome`` on Redis state costs a hand-off
into the thread pool, a rate-limit round trip and the engine's round trips (one for an
assessment, two for an outcome). Under load, requests arrive while earlier ones wait on Redis;
a :class:`LoginQueue` gives those that arrive while a batch is in flight to the next batch: one
hand-off, one rate-limit round trip (each request's windows counted in turn) and one engine call
for all of them (``RiskEngine.assess_many``: one round trip; ``RiskEngine.outcome_many``: two).
A lone request on an idle server goes at once: the queue adds no wait, it only gathers what
piles up behind a batch in flight. The app keeps one queue per route.

Each request keeps its own answer: its refusal (429), its invalid input (422), its unknown
assessment (404) or its result. Results are those of the same requests handled one after
another in the order they arrived (the engine's batch calls guarantee it); a refused request
never reaches the engine. An error of the batch as a whole (storage down, a corrupt password
corpus) is every request's error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from shieldwall.api.ratelimit import RateLimited, RateLimits
from shieldwall.core.model import Principal
from shieldwall.guard.risk.errors import RiskError

BATCH = 100  # requests per batch at most (the stream intake's buffer)
LIMITS = "logins"  # the rate limits every request of the queue counts against

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")


@dataclass(slots=True)
class _Job(Generic[ItemT, ResultT]):
    host: str | None
    caller: Principal
    item: ItemT
    future: asyncio.Future[ResultT]


class LoginQueue(Generic[ItemT, ResultT]):
    """One process's queue of login requests of one kind waiting for the next batch (one event
    loop). ``run_many`` handles a batch of admitted items in order, with one result or
    ``RiskError`` per item (``RiskEngine.assess_many``, ``RiskEngine.outcome_many``)."""

    def __init__(
        self,
        run_many: Callable[[Sequence[ItemT]], list[ResultT | RiskError]],
        limits: RateLimits,
        batch: int = BATCH,
    ) -> None:
        self._run_many = run_many
        self._limits = limits
        self._batch = batch
        self._jobs: list[_Job[ItemT, ResultT]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.batches = 0  # batches sent (for tests and the curious)

    async def submit(self, host: str | None, caller: Principal, item: ItemT) -> ResultT:
        """Count the request against the ``logins`` limits and handle it, with whatever other
        requests are waiting; raises :class:`RateLimited` or the item's ``RiskError``."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ResultT] = loop.create_future()
        self._jobs.append(_Job(host, caller, item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._jobs:
            jobs, self._jobs = self._jobs[: self._batch], self._jobs[self._batch :]
            self.batches += 1
            try:
                answers = await run_in_threadpool(self._run, jobs)
            except Exception as exc:
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            for job, answer in zip(jobs, answers, strict=True):
                if job.future.done():  # the client went away
                    continue
                if isinstance(answer, (RateLimited, RiskError)):
                    job.future.set_exception(answer)
                else:
                    job.future.set_result(answer)

    def _run(self, jobs: Sequence[_Job[ItemT, ResultT]]) -> list[ResultT | RateLimited | RiskError]:
        refusals = self._limits.check_many(LIMITS, [(job.host, job.caller) for job in jobs])
        admitted = [job.item for job, refusal in zip(jobs, refusals, strict=True) if not refusal]
        handled = iter(self._run_many(admitted) if admitted else [])
        return [refusal if refusal is not None else next(handled) for refusal in refusals]
