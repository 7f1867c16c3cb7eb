"""Concurrent login assessments of one API process, sent to Redis together.

Each ``POST /v1/logins/assess`` on Redis state costs a hand-off into the thread pool, a rate-limit
round trip and an assess round trip. Under load, requests arrive while earlier ones wait on Redis;
:class:`AssessQueue` gives those that arrive while a batch is in flight to the next batch: one
hand-off, one rate-limit round trip (each request's windows counted in turn) and one state round
trip (``RiskEngine.assess_many``) for all of them. A lone request on an idle server goes at once:
the queue adds no wait, it only gathers what piles up behind a batch in flight.

Each request keeps its own answer: its refusal (429), its invalid input (422) or its assessment.
Decisions are those of the same requests assessed one after another in the order they arrived
(``assess_many``'s guarantee); a refused request is not assessed. An error of the batch as a whole
(storage down, a corrupt password corpus) is every request's error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from shieldwall.api.ratelimit import RateLimited, RateLimits
from shieldwall.core.model import Principal
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.errors import RiskError
from shieldwall.guard.risk.model import Assessment, LoginAttempt

BATCH = 100  # attempts per batch at most (the stream intake's buffer)


@dataclass(slots=True)
class _Job:
    host: str | None
    caller: Principal
    attempt: LoginAttempt
    future: asyncio.Future[Assessment]


class AssessQueue:
    """One process's queue of login assessments waiting for the next batch (one event loop)."""

    def __init__(self, engine: RiskEngine, limits: RateLimits, batch: int = BATCH) -> None:
        self._engine = engine
        self._limits = limits
        self._batch = batch
        self._jobs: list[_Job] = []
        self._drainer: asyncio.Task[None] | None = None
        self.batches = 0  # batches sent (for tests and the curious)

    async def assess(
        self, host: str | None, caller: Principal, attempt: LoginAttempt
    ) -> Assessment:
        """Count the request against the ``logins`` limits and assess it, with whatever other
        requests are waiting; raises :class:`RateLimited` or the attempt's ``RiskError``."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Assessment] = loop.create_future()
        self._jobs.append(_Job(host, caller, attempt, future))
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
                if isinstance(answer, Assessment):
                    job.future.set_result(answer)
                else:
                    job.future.set_exception(answer)

    def _run(self, jobs: Sequence[_Job]) -> list[Assessment | RateLimited | RiskError]:
        refusals = self._limits.check_many("logins", [(job.host, job.caller) for job in jobs])
        admitted = [job.attempt for job, refusal in zip(jobs, refusals, strict=True) if not refusal]
        assessed = iter(self._engine.assess_many(admitted) if admitted else [])
        return [refusal if refusal is not None else next(assessed) for refusal in refusals]
