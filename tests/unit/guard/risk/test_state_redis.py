"""Redis state: the same decisions and scores as in-process state on the same replay, and the
state contract (pending taken once, runs reset, hours, tenant prefix). Needs Redis at
127.0.0.1:6379."""

from __future__ import annotations

import math
import secrets
import struct
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import redis

from shieldwall.config import RiskSettings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.breach import Combo, tweaks
from shieldwall.guard.risk.errors import RiskError
from shieldwall.guard.risk.model import Assessment, Decision, LoginAttempt, SessionView
from shieldwall.guard.risk.ports import A_S, D_S, AssessOps, RiskState
from shieldwall.sim.logins import AttackKind, LoginWorld, WorldConfig
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.risk_state_redis import RedisRiskState
from tests.redis_wire import Wire, command_names
from tests.unit.guard.risk.conftest import HOME, StopsAfterTheBatch, make_engine, sha1

pytestmark = pytest.mark.redis
URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_state() -> Iterator[RedisRiskState]:
    s = RedisRiskState.from_url(URL, tenant=f"t{secrets.token_hex(4)}", settings=RiskSettings())
    yield s
    s.clear()


def play(state: RiskState) -> list[tuple[str, float, tuple[str, ...], int]]:
    world = LoginWorld(
        5,
        WorldConfig(
            customers=150,
            days=3.2,
            warmup_days=3.0,
            attacks=(AttackKind.TARGETED, AttackKind.STUFFING),
        ),
    )
    events = world.events()[:1500]
    clock = ManualClock(events[0].ts)
    engine = make_engine(clock, state)
    out = []
    for e in events:
        clock.set(e.ts)
        a = engine.assess(LoginAttempt(e.account, e.ip, e.user_agent, e.device_id, e.password_sha1))
        ok = (
            e.correct
            and a.decision is not Decision.DENY
            and not (e.is_attack and a.decision is Decision.CHALLENGE)
        )
        engine.outcome(a.assessment_id, success=ok, account_known=e.account_known)
        out.append((a.decision.value, a.score, tuple(r.code for r in a.reasons), a.delay_ms))
    return out


def test_redis_decides_exactly_like_memory(redis_state: RedisRiskState) -> None:
    """A replay of benign traffic and two attacks: identical decisions, scores, reasons, delays
    on Redis and in process (and the attacks are actually challenged, so it is not vacuous)."""
    memory = play(MemoryRiskState())
    shared = play(redis_state)
    assert shared == memory
    assert sum(1 for d, *_ in memory if d != "allow") > 100


def test_two_engines_share_one_redis_state(redis_state: RedisRiskState) -> None:
    """Workers on one Redis see each other's counts: failures through one worker delay the next
    attempt through the other, and an outcome can be reported to either."""
    clock = ManualClock()
    w1 = make_engine(clock, redis_state)
    w2 = make_engine(clock, RedisRiskState(redis_state.client, tenant=redis_state.prefix[11:-6]))
    bad = LoginAttempt("grace", "51.70.3.3")
    for _ in range(6):
        clock.advance(10)
        a = w1.assess(bad)
        w2.outcome(a.assessment_id, success=False)
    assert w2.assess(bad).delay_ms > 0
    w1.step_up("grace", "51.70.3.3")
    assert w2.assess(bad).delay_ms == 0


def test_keys_are_prefixed_and_hold_no_plaintext(redis_state: RedisRiskState) -> None:
    """Every key sits under the tenant prefix; no account, address, device, password hash or
    idempotency key (an event id) in keys or values."""
    clock = ManualClock()
    engine = make_engine(clock, redis_state, challenge_score=1e-9)  # stopped: its key kept too
    pw = sha1("hunter2")
    a = engine.assess(replace(HOME, password_sha1=pw, once="logins.attempts:evt-7731"))
    assert a.decision is not Decision.ALLOW
    engine.outcome(a.assessment_id, success=True)
    client = redis.Redis.from_url(URL)
    blob = dump(client, redis_state.prefix)
    assert redis_state.prefix.encode() + b"o:" in blob  # the key is there, as a tag
    for secret in (HOME.account, HOME.ip, "1.80.3", str(HOME.device_id), pw, pw.upper()):
        assert secret.encode() not in blob
    assert b"evt-7731" not in blob
    assert bytes.fromhex(pw) not in blob


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_assess_keeps_the_pending_assessment_in_the_same_call(
    backend: str, redis_state: RedisRiskState
) -> None:
    """The pending payload given to ``assess`` is taken once by ``take_pending``; a later
    ``put_pending`` of the same id replaces it (the engine's masked allow)."""
    state: RiskState = MemoryRiskState() if backend == "memory" else redis_state
    ops = AssessOps(("p", "i:aa"), (), "a:dd", (), (), 100, ("id-1", b"first"))
    state.assess(360_000.0, ops)
    assert state.take_pending("id-1") == b"first"
    assert state.take_pending("id-1") is None
    state.assess(360_001.0, replace(ops, pending=("id-2", b"first")))
    state.put_pending("id-2", b"second")
    assert state.take_pending("id-2") == b"second"
    state.assess(360_002.0, replace(ops, pending=None))
    assert state.take_pending("") is None


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_masked_allow_is_reported_masked_on_both_backends(
    backend: str, redis_state: RedisRiskState
) -> None:
    """A masked allow rewrites its pending entry after scoring: the outcome says masked, and a
    familiar login afterwards says normal, on either backend."""
    clock = ManualClock()
    state: RiskState = MemoryRiskState() if backend == "memory" else redis_state
    engine = make_engine(clock, state, mask_score=1.0)
    a = engine.assess(HOME)
    assert a.decision is Decision.ALLOW and a.session_view is SessionView.MASKED
    assert engine.outcome(a.assessment_id, success=True).session_view is SessionView.MASKED
    clock.advance(60)
    b = engine.assess(HOME)
    assert b.session_view is SessionView.NORMAL
    assert engine.outcome(b.assessment_id, success=True).session_view is SessionView.NORMAL


class StepClock:
    """Hands out the given times one ``now()`` call at a time (the last one from then on)."""

    def __init__(self, times: list[datetime]) -> None:
        self.times = times
        self.i = 0

    def now(self) -> datetime:
        t = self.times[min(self.i, len(self.times) - 1)]
        self.i += 1
        return t


def play_batches(
    state: RiskState, *, batched: bool, size: int = 40
) -> list[tuple[str, float, tuple[str, ...], int] | str]:
    """The replay of :func:`play` in batches of ``size`` attempts, each batch's outcomes after
    it; every 17th attempt has an address the engine refuses. ``batched``: one ``assess_many``
    per batch, else ``assess`` one at a time, with the batch's stops counted after it (as
    ``assess_many`` counts them). The clock gives each assessment and each outcome the time of
    its event."""
    held = StopsAfterTheBatch(state)
    world = LoginWorld(
        5,
        WorldConfig(customers=150, days=3.2, warmup_days=3.0, attacks=(AttackKind.STUFFING,)),
    )
    events = world.events()[:1200]
    clock = StepClock([])
    engine = make_engine(clock, state if batched else held)  # type: ignore[arg-type]
    out: list[tuple[str, float, tuple[str, ...], int] | str] = []
    for start in range(0, len(events), size):
        chunk = events[start : start + size]
        attempts = [
            LoginAttempt(
                e.account,
                "not-an-address" if (start + n) % 17 == 0 else e.ip,
                e.user_agent,
                e.device_id,
                e.password_sha1,
            )
            for n, e in enumerate(chunk)
        ]
        clock.times, clock.i = [e.ts for e in chunk] + [e.ts for e in chunk], 0
        got: list[Assessment | RiskError] = []
        if batched:
            got = engine.assess_many(attempts)
        else:
            for attempt in attempts:
                try:
                    got.append(engine.assess(attempt))
                except RiskError as exc:
                    got.append(exc)
            held.flush()
        for e, a in zip(chunk, got, strict=True):
            if isinstance(a, RiskError):
                clock.i += 1  # this attempt has no outcome: keep the clock in step
                out.append(f"{a.code}:{a.field}")
                continue
            ok = e.correct and a.decision is Decision.ALLOW
            engine.outcome(a.assessment_id, success=ok, account_known=e.account_known)
            out.append((a.decision.value, a.score, tuple(r.code for r in a.reasons), a.delay_ms))
    return out


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_assess_many_decides_like_assess_one_at_a_time(
    backend: str, redis_state: RedisRiskState
) -> None:
    """A replay through ``assess_many`` in batches of 40 gives exactly the decisions, scores,
    reasons and delays of ``assess`` called on each attempt in turn, with each batch's stops
    counted after it (and the refusals in the same places); on Redis the batched run is
    compared with the in-process one-at-a-time run."""
    # a batch's outcomes come after it: keep pending assessments for the span of a batch
    rs = RiskSettings(pending_ttl_seconds=86_400)
    one_by_one = play_batches(MemoryRiskState.from_settings(rs), batched=False)
    state: RiskState = (
        MemoryRiskState.from_settings(rs)
        if backend == "memory"
        else RedisRiskState(redis_state.client, tenant=redis_state.prefix[11:-6], settings=rs)
    )
    assert play_batches(state, batched=True) == one_by_one
    assert sum(1 for x in one_by_one if x == "invalid_input:ip") == len(range(0, 1200, 17))
    assert sum(1 for x in one_by_one if isinstance(x, tuple) and x[0] != "allow") > 50


def test_command_names_reads_what_a_client_writes() -> None:
    """The wire parser of the counting tests, on a buffer packed by hand (RESP, two commands)."""
    two = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$7\r\nEVALSHA\r\n$10\r\n0123456789\r\n$1\r\n0\r\n"
    assert command_names(two) == ["GET", "EVALSHA 01234567"]


def test_redis_assess_is_one_round_trip(
    redis_state: RedisRiskState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``RiskEngine.assess`` on Redis state, as the benchmark runs it: one wait per attempt,
    for the first half of the assess script (the look); the second (the count) is written
    after it and its reply read with the next attempt's; for 200 simulated attempts
    (benign and a stuffing attack) ten seconds apart within one hour. The wave detector reads
    the hour buckets once per hour: that read happens on the first attempt, before counting; no
    attempt is a masked allow (which writes its pending entry again)."""
    world = LoginWorld(
        5, WorldConfig(customers=150, days=3.2, warmup_days=3.0, attacks=(AttackKind.STUFFING,))
    )
    events = world.events()[:201]
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = make_engine(clock, redis_state, mask_score=100.0)

    def attempt(n: int) -> LoginAttempt:
        e = events[n]
        clock.advance(10)
        return LoginAttempt(e.account, e.ip, e.user_agent, e.device_id, e.password_sha1)

    engine.assess(attempt(0))
    wire = Wire(monkeypatch)
    decisions = [engine.assess(attempt(n)).decision for n in range(1, 201)]
    look, count = redis_state._look.sha[:8], redis_state._count.sha[:8]
    # the count is written once the look's reply is in (written together, Redis would send the
    # look's reply only after running the count)
    assert wire.writes == [[f"EVALSHA {look}"], [f"EVALSHA {count}"]] * 200
    assert len(decisions) == 200


def test_redis_assess_many_writes_one_chunk_ahead_of_its_replies(
    redis_state: RedisRiskState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """250 attempts: socket writes of 20 assess scripts (the last 10), and nothing else (no
    ``SCRIPT EXISTS`` check before each, as redis-py's pipeline makes). The first view is given
    once the second chunk is written (and taken from the batch, no more), so the server runs it
    while the caller decides on the first."""
    ops = [
        (360_000.0 + n, AssessOps(("p", f"i:{n % 7}"), ((1, f"x{n}"),), "a:dd", (), (), 100))
        for n in range(250)
    ]
    redis_state.assess(359_000.0, ops[0][1])  # the script is loaded
    taken: list[int] = []

    def batch() -> Iterator[tuple[float, AssessOps]]:
        for n, op in enumerate(ops):
            taken.append(n)
            yield op

    wire = Wire(monkeypatch)
    stream = redis_state.assess_many(batch())
    assert wire.writes == [] and taken == []  # nothing before the first view is asked for
    first = next(stream)
    assert [len(w) for w in wire.writes] == [20, 20]
    assert len(taken) == 40
    views = [first, *stream]
    sha = redis_state._assess.sha[:8]
    assert [len(w) for w in wire.writes] == [20] * 12 + [10]
    assert {name for w in wire.writes for name in w} == {f"EVALSHA {sha}"}
    # the shared record counted every attempt, in order: the last view saw all 250 (and the
    # one before them, 1,000 s earlier)
    assert views[-1].entities[0][A_S] == pytest.approx(
        sum(math.exp(-(249 - n) / 600.0) for n in range(250)) + math.exp(-1249 / 600.0)
    )


def test_imported_breach_holds_no_password_nor_sha1(redis_state: RedisRiskState) -> None:
    """After a breach import and a matching attempt, no leaked password, tweak, or their SHA-1
    (hex or raw) and no account name is anywhere in the keys or values; the match is found."""
    clock = ManualClock()
    engine = make_engine(clock, redis_state, breach_tweaks=True)
    engine.import_breach([Combo(1, HOME.account, "wang1985!")])
    a = engine.assess(replace(HOME, password_sha1=sha1("Wang1986!")))
    assert "breach_tweak" in {r.code for r in a.reasons}
    client = redis.Redis.from_url(URL)
    blob = dump(client, redis_state.prefix)
    assert HOME.account.encode() not in blob
    for candidate in tweaks("wang1985!"):
        digest = sha1(candidate)
        # (the shortest candidates could occur by chance in a random assessment id)
        assert len(candidate) < 8 or candidate.encode() not in blob
        assert digest.encode() not in blob and bytes.fromhex(digest) not in blob


def dump(client: redis.Redis, prefix: str) -> bytes:
    """Every key under ``prefix`` (there must be some) with its hash fields and string values,
    as one blob to search for plaintext."""
    keys = list(client.scan_iter(match=prefix + "*"))
    assert keys
    blob = b" ".join(keys)
    for key in keys:
        kind = client.type(key)
        if kind == b"hash":
            blob += b" ".join(k + b"=" + v for k, v in client.hgetall(key).items())
        elif kind == b"string":
            blob += client.get(key) or b""
    return blob


def _layout_state(client: redis.Redis, tenant: str) -> RedisRiskState:
    return RedisRiskState(client, tenant=tenant, settings=RiskSettings(pair_ttl_seconds=3600))


@pytest.mark.parametrize("how", ["assess", "assess_many"])
def test_seen_pairs_are_one_hash_per_account_with_the_pair_ttl(how: str) -> None:
    """An attempt's pairs are fields of the hash ``ps:<account>``, each the little-endian double
    of the time it stops counting as seen (attempt time + pair TTL), with ``#`` the pairs added;
    the hash expires the pair TTL from now; no per-pair key. A pair named twice counts once; a
    pair seen again within the TTL does not count; after it, it counts again. The same through
    ``assess`` (its two scripts) and ``assess_many`` (one)."""
    client = redis.Redis.from_url(URL)
    state = _layout_state(client, f"t{secrets.token_hex(4)}")

    def attempt(now: float) -> list[float]:
        ops = AssessOps(
            ("p", "i:aa", "a:dd"), ((1, "ia:x"), (2, "ai:y"), (1, "ia:x")), "a:dd", (), (), 0
        )
        view = state.assess(now, ops) if how == "assess" else next(state.assess_many([(now, ops)]))
        state.settle()
        return [view.entities[1][D_S], view.entities[2][D_S]]

    assert attempt(1000.0) == [1.0, 1.0]
    seen = state.prefix + "ps:a:dd"
    assert client.type(seen) == b"hash"
    until = struct.pack("<d", 4600.0)
    assert client.hgetall(seen) == {b"ia:x": until, b"ai:y": until, b"#": b"2"}
    assert 3600 - 60 <= client.ttl(seen) <= 3600
    assert list(client.scan_iter(match=state.prefix + "q:*")) == []
    # within the TTL: not new (the count only decays); the TTL runs from this attempt
    assert attempt(2000.0) == [math.exp(-1000 / 600)] * 2
    assert client.hget(seen, "ia:x") == struct.pack("<d", 5600.0)
    assert client.hget(seen, "#") == b"2"  # nothing added
    # past it (5600 <= 5600): new again
    assert attempt(5600.0) == [math.exp(-3600 / 600) * math.exp(-1000 / 600) + 1.0] * 2
    state.clear()
    client.close()


def test_an_accounts_seen_pairs_drop_the_expired_past_64_additions() -> None:
    """40 pairs at t = 0..39, then 30 more from t = 10,000 (the first 40 expired at t + 3600):
    the 65th addition prunes the hash to the 25 live pairs (``#`` -25, then -20 after five
    more); a pruned pair counts as new again, as an expired one does, and every view equals
    in-process state's."""
    client = redis.Redis.from_url(URL)
    state = _layout_state(client, f"t{secrets.token_hex(4)}")
    memory = MemoryRiskState(pair_ttl=3600.0)

    def ops(n: int) -> AssessOps:
        return AssessOps(("p", "i:aa"), ((1, f"ia:{n}"),), "a:dd", (), (), 0)

    batch = [(float(n), ops(n)) for n in range(40)]
    batch += [(10_000.0 + m, ops(40 + m)) for m in range(30)]
    batch += [(10_100.0, ops(0)), (10_101.0, ops(45))]  # pruned (new), live (seen)
    views = list(state.assess_many(batch))
    assert views == list(memory.assess_many(batch))
    seen = state.prefix + "ps:a:dd"
    fields = client.hgetall(seen)
    assert fields.pop(b"#") == b"-19"  # -25 + 5, then ia:0 added again
    assert sorted(fields) == sorted([b"ia:0"] + [f"ia:{n}".encode() for n in range(40, 70)])
    # ia:0 counted as new on its return (71 s after the last attempt), ia:45 not (1 s later)
    last, back, live = (v.entities[1][D_S] for v in views[-3:])
    assert back == pytest.approx(last * math.exp(-71 / 600) + 1.0)
    assert live == pytest.approx(back * math.exp(-1 / 600))
    state.clear()
    client.close()
