"""The API's queue of login requests (assessments, outcomes): requests that pile up while a
batch is in flight go together, each keeps its own answer, and the results are those of handling
them one after another. In-process state and limits (no I/O): the queue's logic, not Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from shieldwall.api.login_queue import LoginQueue
from shieldwall.api.ratelimit import RateLimited, RateLimits
from shieldwall.config import RateLimitSettings
from shieldwall.core.clock import ManualClock
from shieldwall.core.errors import StorageError
from shieldwall.core.model import Principal, Role
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.errors import InvalidAttempt, UnknownAssessment
from shieldwall.guard.risk.model import Assessment, LoginAttempt, LoginOutcome, OutcomeResult
from shieldwall.storage.rate_limits import MemoryWindows, Window
from tests.unit.guard.risk.conftest import StopsAfterTheBatch, login, make_engine

CALLER = Principal("store-login", Role.SERVICE, "login")


def limits(per_key: str = "") -> RateLimits:
    from limits.storage import MemoryStorage

    settings = RateLimitSettings.model_validate({"logins": {"per_key": per_key, "per_ip": ""}})
    return RateLimits(settings, MemoryWindows(MemoryStorage()), b"k" * 32)


def attempts(n: int) -> list[LoginAttempt]:
    """Seven accounts in turn from one address."""
    return [
        LoginAttempt(f"user{i % 7}@example.com", "1.80.3.4", "curl/8", None, "ab" * 20)
        for i in range(n)
    ]


def with_failures(engine: RiskEngine) -> RiskEngine:
    """``user<k>`` has had k failed passwords from that address (so decisions differ)."""
    for k, attempt in enumerate(attempts(7)):
        for _ in range(k):
            login(engine, attempt, success=False)
    return engine


async def all_at_once(
    queue: LoginQueue[LoginAttempt, Assessment], batch: Sequence[LoginAttempt]
) -> list[object]:
    """Every request enqueued before the loop runs any of the queue's work."""
    return await asyncio.gather(
        *(queue.submit("192.0.2.1", CALLER, a) for a in batch), return_exceptions=True
    )


def view(a: object) -> tuple[object, ...]:
    assert isinstance(a, Assessment)
    return (a.decision, a.score, tuple(r.code for r in a.reasons), a.delay_ms)


def test_requests_waiting_together_go_in_one_batch_with_sequential_decisions(
    clock: ManualClock,
) -> None:
    """30 requests enqueued at once make one batch; each decision equals that of an engine
    (same key, same clock) assessing the same attempts one after another, its stops counted
    after the batch as ``assess_many`` counts them."""
    queue = LoginQueue(with_failures(make_engine(clock)).assess_many, limits())
    batch = attempts(30)
    answers = asyncio.run(all_at_once(queue, batch))
    assert queue.batches == 1
    alone = with_failures(make_engine(clock))
    alone.state = StopsAfterTheBatch(alone.state)  # type: ignore[assignment]
    expected = [view(alone.assess(a)) for a in batch]
    assert [view(a) for a in answers] == expected
    assert len({view(a)[1] for a in answers}) > 1  # accounts are scored apart


def test_a_batch_holds_at_most_its_size(clock: ManualClock) -> None:
    """25 waiting requests with batches of 10: three batches, every request answered."""
    queue = LoginQueue(make_engine(clock).assess_many, limits(), batch=10)
    answers = asyncio.run(all_at_once(queue, attempts(25)))
    assert queue.batches == 3
    assert all(isinstance(a, Assessment) for a in answers)


def test_refused_and_invalid_requests_get_their_own_errors(clock: ManualClock) -> None:
    """At 5 per hour per key, the 6th and later requests of a batch are refused (429) and not
    assessed; an invalid address is that request's 422; the others are assessed."""
    engine = make_engine(clock)
    queue = LoginQueue(engine.assess_many, limits(per_key="5/hour"))
    batch = attempts(8)
    batch[2] = LoginAttempt("bob@example.com", "not-an-address")
    answers = asyncio.run(all_at_once(queue, batch))
    assert isinstance(answers[2], InvalidAttempt) and answers[2].field == "ip"
    assert [type(a) for a in answers[5:]] == [RateLimited] * 3
    assert all(isinstance(a, Assessment) for a in answers[:2] + answers[3:5])
    # the refused ones never reached the engine: a twin that saw only the 4 valid admitted
    # attempts decides the next one as the queue's engine does
    twin = make_engine(clock)
    for a in batch[:2] + batch[3:5]:
        twin.assess(a)
    assert view(engine.assess(batch[0])) == view(twin.assess(batch[0]))


class DownWindows(MemoryWindows):
    """Rate-limit storage that is down (a port double)."""

    def acquire_many(
        self, requests: Sequence[Sequence[Window]], now: float
    ) -> list[list[tuple[int, float]]]:
        raise StorageError("rate-limit storage is unavailable: ConnectionError")


def test_a_batch_error_is_every_requests_error_and_the_queue_goes_on(clock: ManualClock) -> None:
    """Storage down: each request of the batch gets the StorageError; later requests, once the
    storage is back, are assessed."""
    from limits.storage import MemoryStorage

    down = limits(per_key="100/hour")
    down.windows = DownWindows(MemoryStorage())
    queue = LoginQueue(make_engine(clock).assess_many, down)

    async def scenario() -> tuple[list[object], list[object]]:
        first = await all_at_once(queue, attempts(4))
        down.windows = MemoryWindows(MemoryStorage())
        return first, await all_at_once(queue, attempts(3))

    first, second = asyncio.run(scenario())
    assert [type(a) for a in first] == [StorageError] * 4
    assert all(isinstance(a, Assessment) for a in second)


def test_a_request_that_goes_away_does_not_stop_the_others(clock: ManualClock) -> None:
    """A client that disconnects (its request cancelled while queued) gets nothing; the rest
    of its batch is answered."""
    queue = LoginQueue(make_engine(clock).assess_many, limits())

    async def scenario() -> list[object]:
        tasks = [asyncio.ensure_future(queue.submit("192.0.2.1", CALLER, a)) for a in attempts(5)]
        await asyncio.sleep(0)  # every request is queued
        tasks[1].cancel()
        return await asyncio.gather(*tasks, return_exceptions=True)

    answers = asyncio.run(scenario())
    assert isinstance(answers[1], asyncio.CancelledError)
    assert all(isinstance(a, Assessment) for i, a in enumerate(answers) if i != 1)


def test_outcomes_in_one_batch_each_with_its_own_answer(clock: ManualClock) -> None:
    """12 outcome requests at once with a limit of 8 an hour: one batch; the first 8 admitted
    (a repeated id and an unknown one among them get UnknownAssessment, the others their
    result), the last 4 refused (429) and not recorded: their assessments are still pending."""
    engine = make_engine(clock)
    ids = [engine.assess(a).assessment_id for a in attempts(10)]
    queue: LoginQueue[LoginOutcome, OutcomeResult] = LoginQueue(
        engine.outcome_many, limits(per_key="8/hour")
    )
    items = [LoginOutcome(i, n % 2 == 0) for n, i in enumerate(ids)]
    items.insert(3, LoginOutcome(ids[0], False))  # reported already, two places up
    items.insert(5, LoginOutcome("never-issued", True))

    async def scenario() -> list[object]:
        return await asyncio.gather(
            *(queue.submit("192.0.2.1", CALLER, item) for item in items), return_exceptions=True
        )

    answers = asyncio.run(scenario())
    assert queue.batches == 1
    assert [type(a) for a in answers] == [OutcomeResult] * 3 + [UnknownAssessment] + [
        OutcomeResult,
        UnknownAssessment,
        OutcomeResult,
        OutcomeResult,
    ] + [RateLimited] * 4
    admitted = [0, 1, 2, 4, 6, 7]
    for n in admitted:
        got = answers[n]
        assert isinstance(got, OutcomeResult)
        assert (got.assessment_id, got.success) == (items[n].assessment_id, items[n].success)
    for item in items[-4:]:  # never reached the engine: reported now, once
        assert engine.outcome(item.assessment_id, success=True).success
    for n in admitted:  # reported by the batch: gone
        with pytest.raises(UnknownAssessment):
            engine.outcome(items[n].assessment_id, success=True)


@pytest.fixture
def clock() -> ManualClock:
    from datetime import UTC, datetime

    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
