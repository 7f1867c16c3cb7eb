"""The login risk engine on in-process state: familiarity, velocity, graded responses."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.engine import RiskEngine, _Pending
from shieldwall.guard.risk.errors import InvalidAttempt, UnknownAssessment
from shieldwall.guard.risk.model import Decision, LoginAttempt, SessionView
from tests.unit.guard.risk.conftest import HOME, login, make_engine, sha1


def codes(a: object) -> set[str]:
    return {r.code for r in a.reasons}  # type: ignore[attr-defined]


def test_first_login_is_allowed_but_unfamiliar(engine: RiskEngine) -> None:
    """An account without history logging in once: allowed, reason unfamiliar_source."""
    a = engine.assess(HOME)
    assert a.decision is Decision.ALLOW and a.delay_ms == 0
    assert codes(a) == {"unfamiliar_source"}
    assert a.score == pytest.approx(1.5)


def test_familiar_source_scores_low(engine: RiskEngine, clock: ManualClock) -> None:
    """After successful logins from home, the same address, device and browser score near 0."""
    for _ in range(5):
        login(engine, HOME, True)
        clock.advance(86_400)
    a = engine.assess(HOME)
    assert a.score < 0.2 and "unfamiliar_source" not in codes(a)
    travel = replace(HOME, ip="47.100.1.1")  # another AS, same phone
    b = engine.assess(travel)
    assert a.score < b.score < 1.5
    assert "unfamiliar_source" not in codes(b) or b.score < 1.5


def test_single_source_stuffing_is_challenged_with_growing_delays(
    engine: RiskEngine, clock: ManualClock
) -> None:
    """One address trying many accounts with a credential list: challenged, delays grow."""
    decisions, delays = [], []
    for i in range(60):
        clock.advance(3)
        a = engine.assess(LoginAttempt(f"victim{i}", "104.236.9.9", "python-requests/2.31"))
        engine.outcome(a.assessment_id, success=False, account_known=i % 3 != 0)
        decisions.append(a.decision)
        delays.append(a.delay_ms)
    assert decisions[0] is Decision.ALLOW
    assert all(d is not Decision.ALLOW for d in decisions[20:])
    assert delays[:4] == [0, 0, 0, 0] and delays[10] > delays[5] > 0
    assert "source_failures" in codes(a) or "source_accounts" in codes(a)


def test_success_resets_the_source_failure_run(engine: RiskEngine, clock: ManualClock) -> None:
    """Failures from an address grow its delay; a success from it ends the run."""
    bob = LoginAttempt("bob", "14.20.1.1", "Mozilla", "dev-bob")
    for _ in range(6):
        clock.advance(30)
        login(engine, bob, False)
    assert engine.assess(bob).delay_ms > 0
    login(engine, bob, True)
    assert engine.assess(bob).delay_ms == 0


def test_unknown_and_known_accounts_answer_identically(clock: ManualClock) -> None:
    """The same attack against a real account (with history) and an unknown user name, from a
    fresh address each: the same decisions, scores, reasons, delays, outcome answers."""
    engine = make_engine(clock)
    for _ in range(3):  # the real account has a login history from home
        login(engine, HOME, True)
        clock.advance(3600)

    def attack(account: str, ip: str, known: bool) -> list[object]:
        seen: list[object] = []
        for i in range(120):
            a = engine.assess(LoginAttempt(account, ip, "bot/1.0", None, sha1(f"guess{i}")))
            out = engine.outcome(a.assessment_id, success=False, account_known=known)
            seen.append((a.decision, a.score, a.reasons, a.delay_ms, a.session_view))
            seen.append({k: v for k, v in out.as_dict().items() if k != "assessment_id"})
            clock.advance(20)
        return seen

    real = attack(HOME.account, "51.70.1.1", True)
    clock.advance(30 * 86_400)  # both attacks start from the same quiet platform state
    fake = attack("nobody-here@example.com", "51.80.1.1", False)
    assert real == fake


def test_nist_cap_denies_after_100_failures_until_step_up(
    engine: RiskEngine, clock: ManualClock
) -> None:
    """100 consecutive failures on an account deny it (from anywhere) until a passed step-up."""
    for i in range(100):
        clock.advance(600)  # slow enough that only the cap can explain a deny
        a = engine.assess(LoginAttempt("carol", f"1.80.{i}.7", "Mozilla"))
        assert "failure_cap" not in codes(a)
        engine.outcome(a.assessment_id, success=False)
    a = engine.assess(LoginAttempt("carol", "123.112.5.5", "Mozilla"))
    assert a.decision is Decision.DENY and "failure_cap" in codes(a)
    engine.outcome(a.assessment_id, success=False)
    engine.step_up("carol")
    assert "failure_cap" not in codes(engine.assess(LoginAttempt("carol", "123.112.5.5")))


def test_failure_cap_is_configurable_below_100(clock: ManualClock) -> None:
    """A lower cap (settings) denies sooner; the cap never exceeds NIST's 100."""
    engine = make_engine(clock, failure_cap=5)
    for _ in range(5):
        clock.advance(3600)
        login(engine, LoginAttempt("dan", "1.80.1.1"), False)
    assert engine.assess(LoginAttempt("dan", "1.80.1.1")).decision is Decision.DENY


def test_breached_password_forces_reset(clock: ManualClock) -> None:
    """A password in the breach corpus: reason, and a successful login must reset it."""
    engine = make_engine(clock, breached=frozenset({"zhangwei1990"}))
    a = engine.assess(replace(HOME, password_sha1=sha1("zhangwei1990")))
    assert a.force_password_reset and "breached_password" in codes(a)
    out = engine.outcome(a.assessment_id, success=True)
    assert out.force_password_reset
    b = engine.assess(replace(HOME, password_sha1=sha1("a long unbreached passphrase")))
    assert not b.force_password_reset


def test_risky_session_is_masked(clock: ManualClock) -> None:
    """A login allowed with a score at or above mask_score gets session_view masked."""
    engine = make_engine(clock, mask_score=1.0)
    a = engine.assess(HOME)
    assert a.decision is Decision.ALLOW and a.session_view is SessionView.MASKED
    assert engine.outcome(a.assessment_id, success=True).session_view is SessionView.MASKED
    clock.advance(60)
    b = engine.assess(HOME)  # now familiar
    assert engine.outcome(b.assessment_id, success=True).session_view is SessionView.NORMAL


def test_password_spraying_is_seen(engine: RiskEngine, clock: ManualClock) -> None:
    """One password tried against many accounts from many addresses: password_reuse."""
    pw = sha1("Summer2026!")
    for i in range(40):
        clock.advance(5)
        a = engine.assess(LoginAttempt(f"user{i}", f"36.{100 + i}.1.{i}", "Mozilla", None, pw))
        engine.outcome(a.assessment_id, success=False)
    assert "password_reuse" in codes(a) and a.decision is not Decision.ALLOW


def test_low_and_slow_is_seen_by_the_long_window(engine: RiskEngine, clock: ManualClock) -> None:
    """One attempt every 4 minutes from one address for 3 hours: never fast, still caught."""
    for i in range(45):
        clock.advance(240)
        a = engine.assess(LoginAttempt(f"slow{i}", "139.180.200.1", "Mozilla"))
        engine.outcome(a.assessment_id, success=False, account_known=i % 2 == 0)
    assert a.decision is not Decision.ALLOW
    assert "long window" in " ".join(r.detail for r in a.reasons)


def test_targeted_account_attack_from_many_addresses(
    engine: RiskEngine, clock: ManualClock
) -> None:
    """Many addresses guessing one account: account_failures challenges them."""
    for i in range(30):
        clock.advance(20)
        a = engine.assess(LoginAttempt("eve", f"112.{i}.4.4", f"ua{i}"))
        engine.outcome(a.assessment_id, success=False)
    assert "account_failures" in codes(a)
    assert a.decision is not Decision.ALLOW


def a_day_of_regulars(engine: RiskEngine, clock: ManualClock) -> list[LoginAttempt]:
    """40 customers, each from their own address and device, log in once an hour for a day,
    one in twenty failing: a platform baseline of 5% failures. Returns their attempts."""
    regulars = [LoginAttempt(f"reg{i}", f"1.81.{i}.1", "Mozilla", f"d{i}") for i in range(40)]
    for _hour in range(24):
        for i, r in enumerate(regulars):
            login(engine, r, success=i % 20 != 0)
            clock.advance(3600 / 40)
    return regulars


def test_wave_raises_unfamiliar_logins(clock: ManualClock) -> None:
    """After a day of 5% failures, a distributed wave (1 try per address) pushes the platform
    failure rate up: unfamiliar logins get login_wave and are challenged; familiar ones not."""
    engine = make_engine(clock)
    regulars = a_day_of_regulars(engine, clock)
    for i in range(300):
        clock.advance(1)
        a = engine.assess(LoginAttempt(f"x{i}", f"27.{8 + i % 20}.{i // 20}.{i % 250}", "Mozilla"))
        engine.outcome(a.assessment_id, success=False, account_known=i % 2 == 0)
    assert "login_wave" in codes(a) and a.decision is not Decision.ALLOW
    familiar = engine.assess(regulars[1])
    assert "login_wave" not in codes(familiar) and familiar.decision is Decision.ALLOW


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"account": "", "ip": "1.2.3.4"}, "account"),
        ({"account": "a" * 321, "ip": "1.2.3.4"}, "account"),
        ({"account": "a", "ip": "1.2.3.4", "password_sha1": "xyz"}, "password_sha1"),
        ({"account": "a", "ip": "1.2.3.4", "user_agent": "u" * 2000}, "user_agent"),
        ({"account": "a", "ip": "1.2.3.4", "device_id": "d" * 300}, "device_id"),
    ],
)
def test_bad_attempts_are_refused(kwargs: dict[str, str], field: str) -> None:
    """Each bad field raises InvalidAttempt naming it."""
    with pytest.raises(InvalidAttempt) as err:
        LoginAttempt(**kwargs)
    assert err.value.field == field


def test_bad_ip_and_unknown_assessment(engine: RiskEngine) -> None:
    """A non-address is refused (field ip); an outcome for an unknown or used id is not found."""
    with pytest.raises(InvalidAttempt) as err:
        engine.assess(LoginAttempt("a", "999.1.1.1"))
    assert err.value.field == "ip"
    with pytest.raises(UnknownAssessment):
        engine.outcome("nope", success=True)
    a = engine.assess(HOME)
    engine.outcome(a.assessment_id, success=True)
    with pytest.raises(UnknownAssessment):
        engine.outcome(a.assessment_id, success=True)


def test_pending_assessments_expire(clock: ManualClock) -> None:
    """An outcome after the pending TTL is refused."""
    engine = make_engine(clock, pending_ttl_seconds=60)
    a = engine.assess(HOME)
    clock.advance(120)
    engine.assess(LoginAttempt("other", "1.80.9.9"))
    with pytest.raises(UnknownAssessment):
        engine.outcome(a.assessment_id, success=True)


def test_state_holds_no_plaintext(clock: ManualClock) -> None:
    """Accounts, addresses, device ids and password hashes reach the state only as tags."""
    from shieldwall.storage.risk_state_memory import MemoryRiskState

    state = MemoryRiskState()
    engine = make_engine(clock, state)
    pw = sha1("hunter2")
    login(engine, replace(HOME, password_sha1=pw), True)
    dump = repr(vars(state))
    for secret in (HOME.account, HOME.ip, "1.80.3", HOME.device_id, pw, pw.upper()):
        assert secret is not None and secret not in dump


def test_settings_refuse_inverted_thresholds() -> None:
    """deny_score must exceed challenge_score; the NIST cap cannot exceed 100."""
    from pydantic import ValidationError

    from shieldwall.config import RiskSettings

    with pytest.raises(ValidationError):
        RiskSettings(challenge_score=5.0, deny_score=4.0)
    with pytest.raises(ValidationError):
        RiskSettings(failure_cap=101)
    with pytest.raises(ValidationError):
        RiskSettings(short_window_seconds=100.0, long_window_seconds=50.0)


def test_ipv6_and_mapped_addresses(engine: RiskEngine, clock: ManualClock) -> None:
    """IPv6 logins share /64 subnet counts; a v4-mapped address counts as its IPv4 address."""
    for i in range(30):
        clock.advance(5)
        a = engine.assess(LoginAttempt(f"v6-{i}", f"2409:8000:1:2::{i + 1:x}", "bot"))
        engine.outcome(a.assessment_id, success=False)
    assert a.decision is not Decision.ALLOW  # one /64 trying many accounts
    login(engine, LoginAttempt("m", "::ffff:1.80.3.4"), True)
    b = engine.assess(LoginAttempt("m", "1.80.3.4"))
    assert "unfamiliar_source" not in codes(b) and b.score < 0.5


def test_familiarity_weighs_popularity_like_freeman(engine: RiskEngine, clock: ManualClock) -> None:
    """A browser this account used once but everyone uses is weak evidence (still unfamiliar);
    a rare one it used once is strong evidence (familiar): p(x) / p(x|u)."""
    for i in range(60):  # the population: many accounts on the "Common" browser
        login(engine, LoginAttempt(f"pop{i}", f"14.20.{i}.1", "Common"), True)
    home = LoginAttempt("ivy", "1.80.7.7", "Usual", "dev-ivy")
    for _ in range(20):
        clock.advance(3600)
        login(engine, home, True)
    login(engine, replace(home, user_agent="Common"), True)
    login(engine, replace(home, user_agent="Rare"), True)

    common = engine.assess(replace(home, user_agent="Common"))
    rare = engine.assess(replace(home, user_agent="Rare"))
    never = engine.assess(replace(home, user_agent="Never"))
    assert never.score >= common.score > rare.score


@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # which attacker address
            st.sampled_from(["bot", "Mozilla/5.0", None]),
            st.sampled_from([None, "dev-x"]),
            st.floats(0, 900, allow_nan=False),  # seconds before the attempt
        ),
        min_size=1,
        max_size=40,
    )
)
@settings(max_examples=40, deadline=None)
def test_existence_never_changes_the_answer(attempts: list[tuple[int, str, str, float]]) -> None:
    """Property: any sequence of failed attempts gets the same answers against a real account
    (with a login history) as against a name that does not exist, each on its own engine."""

    def run(account: str, known: bool) -> list[object]:
        clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        engine = make_engine(clock)
        for _ in range(3):
            login(engine, HOME, True)
            clock.advance(3600)
        out: list[object] = []
        for ip, ua, device, wait in attempts:
            clock.advance(wait)
            a = engine.assess(LoginAttempt(account, f"51.70.9.{ip}", ua, device, sha1("x")))
            o = engine.outcome(a.assessment_id, success=False, account_known=known)
            out.append((a.decision, a.score, a.reasons, a.delay_ms, a.session_view))
            out.append((o.session_view, o.force_password_reset))
        return out

    assert run(HOME.account, True) == run("no-such-name", False)


def test_a_wave_the_engine_blocks_stays_blocked(clock: ManualClock) -> None:
    """A bot that is challenged goes away without a password check, so a blocked wave stops
    adding failures. After a day of 5% failures, 300 one-try-per-address attempts, of which
    only the allowed ones report an outcome (as the demo's bots): the stops that nobody
    answered keep the wave up, and the last hundred attempts are all stopped. (Counting
    failures alone, 8 of them were let through: the wave fell whenever it was blocked.)"""
    engine = make_engine(clock)
    regulars = a_day_of_regulars(engine, clock)
    decisions = []
    for i in range(300):
        clock.advance(2)
        a = engine.assess(LoginAttempt(f"x{i}", f"27.{8 + i % 20}.{i // 20}.{i % 250}", "Mozilla"))
        decisions.append(a.decision)
        if a.decision is Decision.ALLOW:
            engine.outcome(a.assessment_id, success=False, account_known=i % 2 == 0)
    assert decisions[0] is Decision.ALLOW  # before the wave shows
    assert all(d is not Decision.ALLOW for d in decisions[-100:])
    familiar = engine.assess(regulars[1])
    assert familiar.decision is Decision.ALLOW


@pytest.mark.parametrize("answered", [True, False])
def test_challenges_answered_by_step_ups_raise_no_wave(clock: ManualClock, answered: bool) -> None:
    """An hour in which every customer logs in from a new place and is challenged (challenge
    score 1), after a day of familiar logins: when they pass the step-up (reported), their stops
    are answered and a newcomer sees no wave; the same hour unanswered reads as a blocked wave."""
    engine = make_engine(clock, challenge_score=1.0)
    regulars = a_day_of_regulars(engine, clock)
    challenged = 0
    for i, r in enumerate(regulars):
        moved = LoginAttempt(r.account, f"58.{40 + i}.7.7", "Mozilla/5.0 (new)", f"n{i}")
        a = engine.assess(moved)
        if a.decision is Decision.CHALLENGE:
            challenged += 1
            if not answered:
                continue  # abandoned: no step-up, no password check
            engine.step_up(moved.account, moved.ip)
        engine.outcome(a.assessment_id, success=True)
        clock.advance(60)
    assert challenged >= 30
    a = engine.assess(LoginAttempt("newcomer", "27.9.9.9", "Mozilla"))
    assert ("login_wave" in codes(a)) is not answered


def test_a_pending_payload_of_the_version_before_decodes_as_not_stopped() -> None:
    """Seven parts, as a process of the version before stops were counted wrote them: read as
    an attempt that was not stopped (its outcome counts its failure as it always did)."""
    raw = b"p,i:aa|1|a:dd|s:x,o:y|u:z|0|1"
    got = _Pending.decode(raw)
    assert (got.entities, got.runs, got.masked, got.breached, got.stopped) == (
        ("p", "i:aa"),
        (1,),
        False,
        True,
        False,
    )
    assert _Pending.decode(raw + b"|1").stopped is True
