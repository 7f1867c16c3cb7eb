"""Both state backends against the port's contract, on random operation sequences (hypothesis):
decayed counts match their closed form, and Redis returns exactly what memory returns."""

from __future__ import annotations

import math
import secrets
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shieldwall.config import RiskSettings
from shieldwall.guard.risk.ports import (
    A_L,
    A_S,
    D_S,
    F_S,
    RUN,
    STOP_SUFFIX,
    U_S,
    AssessOps,
    AssessView,
    OutcomeOps,
    Repeat,
    TakeOnce,
)
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.risk_state_redis import RedisRiskState

KEYS = ["p", "i:aa", "i:bb", "s:cc", "a:dd", "a:ee"]
PAIRS = ["x1", "x2", "x3"]

op = st.tuples(
    st.floats(0, 2000, allow_nan=False),  # seconds since the previous operation
    st.lists(st.sampled_from(KEYS[1:]), max_size=3, unique=True),  # besides "p"
    st.lists(st.sampled_from(PAIRS), max_size=1),  # the engine gives an entity one pair
    st.booleans(),  # outcome success
    st.booleans(),  # account known
)
# per operation of the equivalence test: keep a pending payload with the attempt (and take it
# back, or a wrong id), end the failure runs of some keys (a step-up), and report the outcome
# plainly or as the engine does for a stopped attempt: the stop recorded first, then a failed
# or a successful outcome answering it, or none; give the attempt an idempotency key or none
# (three keys: repeats are frequent), its stop the key's stop key, as the engine does; and
# apply the attempt alone or as a batch of one (Redis: the two-script assess, or the one script
# that an attempt with a key and a batch take); take the pending payload with an outcome's
# idempotency key or none (two keys), and take the latest keyed take's id again, with its key
# or the other one (a repeat, or not), alongside an id never kept
extra = st.tuples(
    st.sampled_from(["none", "take", "take_other"]),
    st.lists(st.sampled_from(KEYS), max_size=2, unique=True),
    st.sampled_from(["plain", "stop_failed", "stop_success", "stop_silent"]),
    st.sampled_from([None, "e1", "e2", "e3"]),
    st.booleans(),
    st.sampled_from([None, "k1", "k2"]),
    st.sampled_from(["no", "same", "other"]),
)
# the once TTL of the equivalence test: short enough that keys expire within a drawn sequence
ONCE_TTL = 3000


def apply(state: MemoryRiskState | RedisRiskState, ops: list, t0: float) -> list:  # type: ignore[type-arg]
    seen: list = []  # type: ignore[type-arg]
    now = t0
    last: tuple[str, str] | None = None  # the latest keyed take: (id, key)
    for n, ((dt, others, pairs, success, known), extras) in enumerate(ops):
        pending, resets, stop, once, alone, take_key, retake = extras
        now += dt
        keys = ["p", *others]
        attempt = AssessOps(
            tuple(keys),
            tuple((0, p) for p in pairs),
            "a:dd",
            ("i:aa", "i:bb", "u:zz", "#i"),
            ("u:zz",),
            int(now // 3600),
            None if pending == "none" else (f"id{n}", f"payload {n}".encode()),
            None,
            once,
        )
        view = state.assess(now, attempt) if alone else next(state.assess_many([(now, attempt)]))
        if pending == "take" and take_key is not None:
            # the current id only: taken now on both (memory's pending expire by the latest
            # attempt's time, Redis' by the wall clock: an earlier id can differ)
            keyed = TakeOnce(take_key, success, known)
            seen.append(state.take_pending_many([f"id{n}"], now=now, once=[keyed]))
            last = (f"id{n}", take_key)
        elif pending != "none":
            seen.append(state.take_pending(f"id{n}" if pending == "take" else f"id{n + 1}"))
        if retake != "no" and last is not None:
            key = last[1] if retake == "same" else {"k1": "k2", "k2": "k1"}[last[1]]
            again = TakeOnce(key, not success, not known)  # a repeat answers what was kept
            seen.append(state.take_pending_many(["never", last[0]], now=now, once=[None, again]))
        fields = ("i:aa" if len(others) % 2 else "i:bb",)
        if stop != "plain":
            hour = int(now // 3600)
            failure = OutcomeOps(
                tuple(keys),
                (0,),
                False,
                True,
                "a:dd",
                fields,
                ("u:zz",),
                hour,
                once=None if once is None else once + ":s",
            )
            state.record_stops([(now, f"s{n}", f"stop {n}".encode(), failure)])
            seen.append(state.take_pending(f"s{n}"))
        if stop != "stop_silent":
            state.record_outcome(
                now,
                OutcomeOps(
                    tuple(keys),
                    (0,),
                    stop == "stop_success" or (stop == "plain" and success),
                    known,
                    "a:dd",
                    fields,
                    ("u:zz",),
                    int(now // 3600),
                    ((0, "#i"),),  # the distinct counter of the profile's address field
                    retract=stop != "plain",
                ),
            )
        state.reset_runs(resets)
        seen.append((view.entities, view.profile, view.popular, view.repeat, view.stopped))
    seen.append(state.hours(int(t0 // 3600) - 1, int(now // 3600) + 1))
    final = state.assess(
        now, AssessOps(tuple(KEYS), (), "a:dd", ("i:aa", "i:bb", "#i"), ("u:zz",), 0)
    )
    seen.append((final.entities, final.profile, final.popular))
    return seen


@given(st.lists(op, min_size=1, max_size=25))
@settings(max_examples=60, deadline=None)
def test_memory_counts_match_the_closed_form(ops: list) -> None:  # type: ignore[type-arg]
    """Attempts on a key read as the sum of exp(-age/tau) over its attempts; runs count
    consecutive failures; failures and unknown-account failures never exceed attempts."""
    state = MemoryRiskState()
    now = 1_000_000.0
    times: dict[str, list[float]] = {}
    run = 0
    for dt, others, pairs, success, known in ops:
        now += dt
        keys = ["p", *others]
        for k in keys:
            times.setdefault(k, []).append(now)
        view = state.assess(
            now, AssessOps(tuple(keys), tuple((0, p) for p in pairs), "a:x", (), (), 0)
        )
        first = view.entities[0]
        want_s = sum(math.exp(-(now - t) / 600.0) for t in times[keys[0]])
        want_l = sum(math.exp(-(now - t) / 86_400.0) for t in times[keys[0]])
        assert first[A_S] == pytest.approx(want_s, rel=1e-9)
        assert first[A_L] == pytest.approx(want_l, rel=1e-9)
        assert first[F_S] <= first[A_S] + 1e-9 and first[U_S] <= first[F_S] + 1e-9
        assert first[D_S] <= first[A_S] + 1e-9
        state.record_outcome(now, OutcomeOps(tuple(keys), (0,), success, known, "a:x", (), (), 0))
        run = 0 if success else run + 1
    check = state.assess(now, AssessOps(("p",), (), "a:x", (), (), 0))
    assert check.entities[0][RUN] == run


@pytest.mark.redis
@given(st.lists(st.tuples(op, extra), min_size=1, max_size=15))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_redis_returns_exactly_what_memory_returns(ops: list) -> None:  # type: ignore[type-arg]
    """The same random operations on both backends (attempts keeping a pending payload or
    not, with an idempotency key or not, alone or as a batch; outcomes, stops, step-ups) give
    bit-identical records, profiles, popularity counts, hour buckets (and the profiles'
    distinct counters), pending payloads and repeats, of attempts and of outcomes' takes."""
    redis_state = RedisRiskState.from_url(
        "redis://127.0.0.1:6379/0",
        tenant=f"c{secrets.token_hex(4)}",
        settings=RiskSettings(once_ttl_seconds=ONCE_TTL),
    )
    try:
        memory = MemoryRiskState(once_ttl=float(ONCE_TTL))
        assert apply(redis_state, ops, 5e6) == apply(memory, ops, 5e6)
    finally:
        redis_state.clear()


def _breach_story(state: MemoryRiskState | RedisRiskState) -> list[bool]:
    def hit(now: float, account: str, tag: str) -> bool:
        ops = AssessOps(("p",), (), account, (), (), 0, None, (account, tag))
        return state.assess(now, ops).breach

    state.add_breach(1000.0, {"a:dd": {"t1", "t2"}, "a:ee": {"t3"}}, 500.0)
    got = [hit(1001, "a:dd", "t1"), hit(1001, "a:dd", "t3"), hit(1001, "a:ee", "t3")]
    got.append(hit(1001, "a:ff", "t1"))
    state.add_breach(1200.0, {"a:dd": {"t4"}}, 500.0)  # merged; dd now expires at 1700
    got += [hit(1600, "a:dd", "t1"), hit(1600, "a:ee", "t3")]  # ee expired at 1500
    state.add_breach(1800.0, {"a:dd": {"t5"}}, 500.0)  # dd had expired: starts afresh
    got += [hit(1801, "a:dd", "t1"), hit(1801, "a:dd", "t5")]
    return got


# worked by hand from add_breach's contract (expiry = latest import + ttl; an expired set is
# replaced, a live one merged)
BREACH_STORY = [True, False, True, False, True, False, False, True]


def test_memory_breach_tags_merge_and_expire() -> None:
    """Imports merge into a live set, replace an expired one; lookups see only live tags of
    the account asked about."""
    assert _breach_story(MemoryRiskState()) == BREACH_STORY


@pytest.mark.redis
def test_redis_breach_tags_merge_and_expire() -> None:
    """The same story on Redis gives the same answers (hash per account, ``_e`` expiry)."""
    state = RedisRiskState.from_url("redis://127.0.0.1:6379/0", tenant=f"c{secrets.token_hex(4)}")
    try:
        assert _breach_story(state) == BREACH_STORY
    finally:
        state.clear()


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_stop_counts_its_failure_once_and_a_success_takes_it_back(backend: str) -> None:
    """Worked by hand, all at one time (no decay): a stop adds one failure and one run step to
    its entities and one failure to the hour, and keeps its payload pending; the failed outcome
    answering it adds only its unknown account (F 1, U 1, run 1, hour f 1); a second stop
    answered by a success is taken back (F 1, run 0, hour f 1): never below zero."""
    state = (
        MemoryRiskState()
        if backend == "memory"
        else RedisRiskState.from_url("redis://127.0.0.1:6379/0", tenant=f"c{secrets.token_hex(4)}")
    )
    try:
        now, hour = 7_200.0, 2
        keys = ("p", "i:aa")
        state.assess(now, AssessOps(keys, (), "a:dd", (), (), hour))
        failure = OutcomeOps(keys, (1,), False, True, "a:dd", (), (), hour)
        state.record_stops([(now, "s1", b"stopped 1", failure)])
        assert state.take_pending("s1") == b"stopped 1"
        view = state.assess(now, AssessOps(keys, (), "a:dd", (), (), hour))
        assert [view.entities[1][i] for i in (F_S, U_S, RUN)] == [1.0, 0.0, 1.0]
        answer = OutcomeOps(keys, (1,), False, False, "a:dd", (), (), hour, retract=True)
        state.record_outcome(now, answer)
        view = state.assess(now, AssessOps(keys, (), "a:dd", (), (), hour))
        assert [view.entities[1][i] for i in (F_S, U_S, RUN)] == [1.0, 1.0, 1.0]
        state.record_stops([(now, "s2", b"stopped 2", failure)])
        success = OutcomeOps(keys, (1,), True, True, "a:dd", (), (), hour, retract=True)
        state.record_outcome(now, success)
        view = state.assess(now, AssessOps(keys, (), "a:dd", (), (), hour))
        assert [view.entities[1][i] for i in (F_S, U_S, RUN)] == [1.0, 1.0, 0.0]
        assert state.hours(hour, hour) == [(hour, 4.0, 1.0, 1.0)]
        state.record_outcome(now, success)  # nothing left to take back: stays at zero...
        state.record_outcome(now, success)  # ...for the entity and the hour alike
        view = state.assess(now, AssessOps(keys, (), "a:dd", (), (), hour))
        assert view.entities[1][F_S] == 0.0
        assert state.hours(hour, hour) == [(hour, 5.0, 0.0, 1.0)]
    finally:
        if isinstance(state, RedisRiskState):
            state.clear()


def _state(backend: str) -> MemoryRiskState | RedisRiskState:
    if backend == "memory":
        return MemoryRiskState()  # a day's once TTL, as RiskSettings' default
    return RedisRiskState.from_url("redis://127.0.0.1:6379/0", tenant=f"c{secrets.token_hex(4)}")


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
@pytest.mark.parametrize("how", ["assess", "assess_many"])
def test_an_attempt_with_an_idempotency_key_counts_once(backend: str, how: str) -> None:
    """Worked by hand, all at one time (no decay): the same attempt with the same ``once``
    applied twice counts one attempt on each entity, one distinct account on the pair's, one in
    the hour (not two), and its second view says ``repeat`` and reads the first's counts; its
    pending payload is kept all the same. Without a key, twice is two. A day later (the once
    TTL) the key has expired: the same key counts again."""
    state = _state(backend)

    def assess(now: float, ops: AssessOps) -> AssessView:
        if how == "assess":
            return state.assess(now, ops)
        (view,) = state.assess_many([(now, ops)])
        return view

    try:
        now, hour = 7_200.0, 2
        keys = ("p", "i:aa")
        first = AssessOps(keys, ((1, "x1"),), "a:dd", (), (), hour, ("id1", b"one"), None, "e1")
        again = AssessOps(keys, ((1, "x1"),), "a:dd", (), (), hour, ("id2", b"two"), None, "e1")
        views = [assess(now, first), assess(now, again)]
        assert [v.repeat for v in views] == [False, True]
        assert [[v.entities[i][j] for i in (0, 1) for j in (A_S, A_L, D_S)] for v in views] == [
            [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
        ] * 2
        assert state.hours(hour, hour) == [(hour, 1.0, 0.0, 0.0)]
        assert state.take_pending("id2") == b"two"  # the repeat's own assessment is pending
        plain = AssessOps(("p", "i:bb"), (), "a:dd", (), (), hour)
        views = [assess(now, plain), assess(now, plain)]
        assert [v.repeat for v in views] == [False, False]
        assert [v.entities[1][A_S] for v in views] == [1.0, 2.0]
        assert state.hours(hour, hour) == [(hour, 3.0, 0.0, 0.0)]
        later, later_hour = now + 86_400.0, hour + 24
        view = assess(later, replace(first, hour=later_hour))
        assert view.repeat is False
        assert view.entities[1][A_S] == pytest.approx(1.0 + math.exp(-86_400.0 / 600.0))
        assert state.hours(later_hour, later_hour) == [(later_hour, 1.0, 0.0, 0.0)]
    finally:
        if isinstance(state, RedisRiskState):
            state.clear()


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_stop_with_an_idempotency_key_counts_its_failure_once(backend: str) -> None:
    """Worked by hand, at one time: a stop recorded twice with the same ``once`` adds one
    failure and one run step (not two) and one failure to the hour; the second stop's pending
    payload is kept (its assessment is the one published). An outcome with a key is likewise
    recorded once."""
    state = _state(backend)
    try:
        now, hour = 7_200.0, 2
        keys = ("p", "i:aa")
        state.assess(now, AssessOps(keys, (), "a:dd", (), (), hour))
        failure = OutcomeOps(keys, (1,), False, True, "a:dd", (), (), hour, once="e1:s")
        state.record_stops([(now, "s1", b"stopped 1", failure)])
        state.record_stops([(now, "s2", b"stopped 2", failure)])
        assert state.take_pending("s2") == b"stopped 2"
        view = state.assess(now, AssessOps(keys, (), "a:dd", (), (), hour))
        assert [view.entities[1][i] for i in (F_S, U_S, RUN)] == [1.0, 0.0, 1.0]
        assert state.hours(hour, hour) == [(hour, 2.0, 1.0, 0.0)]
        success = OutcomeOps(keys, (1,), True, True, "a:dd", (), (), hour, retract=True, once="o")
        state.record_outcome(now, success)
        state.record_outcome(now, success)  # a second take-back would not show (floor at 0)...
        unknown = OutcomeOps(keys, (1,), False, False, "a:dd", (), (), hour, once="u")
        state.record_outcome(now, unknown)
        state.record_outcome(now, unknown)  # ...a second unknown-account failure would
        view = state.assess(now, AssessOps(keys, (), "a:dd", (), (), hour))
        assert [view.entities[1][i] for i in (F_S, U_S, RUN)] == [1.0, 1.0, 1.0]
        assert state.hours(hour, hour) == [(hour, 3.0, 1.0, 1.0)]
    finally:
        if isinstance(state, RedisRiskState):
            state.clear()


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_repeat_says_whether_the_stop_of_its_key_was_recorded(backend: str) -> None:
    """A keyed attempt, its repeat (not stopped: no stop recorded), the stop of its key
    recorded, another repeat (stopped); a day later the key and its stop have expired: counted
    afresh, neither a repeat nor stopped."""
    state = _state(backend)
    try:
        now, hour = 7_200.0, 2
        keys = ("p", "i:aa")
        ops = AssessOps(keys, (), "a:dd", (), (), hour, None, None, "e1")
        got = [state.assess(now, ops), state.assess(now, ops)]
        failure = OutcomeOps(keys, (1,), False, True, "a:dd", (), (), hour, once="e1" + STOP_SUFFIX)
        state.record_stops([(now, "s1", b"stopped 1", failure)])
        got.append(state.assess(now, ops))
        got.append(state.assess(now + 86_400.0, replace(ops, hour=hour + 24)))
        assert [(v.repeat, v.stopped) for v in got] == [
            (False, False),
            (True, False),
            (True, True),
            (False, False),
        ]
    finally:
        if isinstance(state, RedisRiskState):
            state.clear()


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_a_take_with_an_idempotency_key_answers_a_repeat_with_what_it_took(backend: str) -> None:
    """Worked by hand from the port's contract, the once TTL a day: the pending payload taken
    with key K; taken again with K: a repeat holding that payload and what the first take
    reported (success, account unknown), not what the second says; with K2, or with no key,
    or with K for an id never kept: nothing; K a second short of the TTL later: still the
    repeat; at the TTL: nothing. A take of a payload still pending answers it, key or none."""
    state = _state(backend)
    try:
        now, hour = 7_200.0, 2
        state.assess(now, AssessOps(("p",), (), "a:dd", (), (), hour, ("id1", b"one")))
        state.assess(now, AssessOps(("p",), (), "a:dd", (), (), hour, ("id2", b"two")))
        k = TakeOnce("K", True, False)
        first = state.take_pending_many(["id1"], now=now, once=[k])
        again = TakeOnce("K", False, True)  # what a redelivery says cannot change the answer
        got = state.take_pending_many(
            ["id1", "id1", "id1", "id3", "id2"],
            now=now,
            once=[again, TakeOnce("K2", True, False), None, TakeOnce("K", True, False), None],
        )
        assert first == [b"one"]
        assert got == [Repeat(b"one", True, False), None, None, None, b"two"]
        assert state.take_pending_many(["id1"], now=now + 86_399.0, once=[k]) == [
            Repeat(b"one", True, False)
        ]
        assert state.take_pending_many(["id1"], now=now + 86_400.0, once=[k]) == [None]
        assert state.take_pending_many(["id1", "id2"]) == [None, None]  # no keys: as before
    finally:
        if isinstance(state, RedisRiskState):
            state.clear()
