"""A regression pin: the engine's decisions on a fixed simulated batch, as main gave them.

The expected values in ``data/decision_pin.json`` are not an independent known answer: they were
produced once by running :func:`decide_all` on main's code (commit ``0e98b86``, before the
stream-intake speed work) with ``python -m tests.unit.guard.risk.test_decision_pin``, and stored.
They pin behaviour across refactors meant to change speed only (HMAC tags, state bookkeeping,
batching). A change meant to alter decisions regenerates the file and says why in its commit.
Regenerated since (2026-12-04) when a stopped attempt's failure came to be counted at the stop
rather than at its outcome (``RiskState.record_stops``): against main's pin, 16 attack attempts
challenge → allow, 16 deny → challenge, 2 benign challenge → allow. An artifact of this
traffic's batches: each batch's attempts are assessed at the batch's first time and its
outcomes reported at its last (about 7.7 minutes later), so a failure counted at the stop is
that much older, and weaker in the 10-minute window, than one counted at the outcome. With
outcomes reported at the attempt's time (``bench_guard_risk_quality.py``) nothing changed.

The traffic is the test's own (a seeded ``random.Random``, not the simulator, so the pin does not
move when the simulator does): ten hours of customers logging in from home with the odd typo, and
in the last hours single-source stuffing, a residential spray, a targeted rotation on one
account, IPv6 clients and breached passwords, assessed in batches through ``assess_many`` with
each batch's outcomes reported after it, as the stream intake does.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.errors import RiskError
from shieldwall.guard.risk.model import LoginAttempt
from tests.unit.guard.risk.conftest import make_engine, sha1

PIN = Path(__file__).parent / "data" / "decision_pin.json"
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
BATCH = 50
BREACHED = frozenset({"123456", "password1", "qwerty"})


def traffic(seed: int = 11) -> list[tuple[float, LoginAttempt, bool, bool]]:
    """``(seconds from START, attempt, password right, account exists)`` in time order."""
    rnd = random.Random(seed)
    out: list[tuple[float, LoginAttempt, bool, bool]] = []
    customers = []
    for c in range(150):
        v6 = c % 10 == 0
        home = f"2408:8207:{c:x}:1::{c + 1:x}" if v6 else f"1.{80 + c % 7}.{c % 250}.{c % 200 + 2}"
        customers.append(
            (f"1380{c:07d}", home, f"Mozilla/5.0 (c{c % 5})", f"dev-{c}" if c % 3 else None)
        )
    for _ in range(2600):
        t = rnd.uniform(0, 10 * 3600)
        account, home, agent, device = rnd.choice(customers)
        ip = home if rnd.random() < 0.8 else f"39.{rnd.randrange(130, 140)}.{rnd.randrange(256)}.9"
        password = "123456" if account.endswith("7") else "own"
        if rnd.random() < 0.07:  # a typo first
            out.append((t, LoginAttempt(account, ip, agent, device, sha1("typo")), False, True))
            t += 4
        out.append((t, LoginAttempt(account, ip, agent, device, sha1(password)), True, True))
    for i in range(500):  # stuffing from two hosting addresses, hours 8-9
        t = 8 * 3600 + i * 4.0
        account = f"1380{rnd.randrange(400):07d}"
        ip = ("104.236.9.9", "104.236.9.10")[i % 2]
        known = account < "13800000150"
        guess = rnd.choice(("password1", "letmein", "qwerty", "zxcv"))
        out.append(
            (t, LoginAttempt(account, ip, "python-requests/2.31", None, sha1(guess)), False, known)
        )
    for i in range(400):  # a spray from a residential /16, hours 8.5-9.5
        t = 8.5 * 3600 + i * 9.0
        ip = f"58.{40 + i % 3}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
        account = f"1380{rnd.randrange(150):07d}"
        out.append(
            (
                t,
                LoginAttempt(account, ip, "Mozilla/5.0 (bot)", None, sha1("Summer2026")),
                False,
                True,
            )
        )
    for i in range(200):  # a targeted rotation on one account from a proxy pool, hour 9
        t = 9 * 3600 + i * 7.0
        ip = f"45.{rnd.randrange(60, 90)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
        out.append(
            (
                t,
                LoginAttempt("13800000042", ip, "Mozilla/5.0 (x)", f"px-{i % 9}", sha1(f"g{i}")),
                False,
                True,
            )
        )
    out.sort(key=lambda e: e[0])
    return out


def decide_all() -> dict[str, Any]:
    """Every assessment and outcome of :func:`traffic`: a digest of them all, the counts of
    decisions and reason codes, and one short line per assessment (decision, score, delay)."""
    clock = ManualClock(START)
    engine = make_engine(clock, breached=BREACHED)
    events = traffic()
    rows: list[Any] = []
    short: list[str] = []
    decisions: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for start in range(0, len(events), BATCH):
        batch = events[start : start + BATCH]
        _move(clock, batch[0][0])
        assessed = engine.assess_many([a for _, a, _, _ in batch])
        _move(clock, batch[-1][0])
        for (_, _, right, known), got in zip(batch, assessed, strict=True):
            if isinstance(got, RiskError):
                rows.append(["refused", got.code, got.field])
                short.append("refused")
                continue
            d = got.as_dict()
            del d["assessment_id"]  # random by design
            out = engine.outcome(got.assessment_id, success=right, account_known=known).as_dict()
            del out["assessment_id"]
            rows.append([d, out])
            short.append(f"{d['decision'][0]} {d['score']} {d['delay_ms']}")
            decisions[d["decision"]] = decisions.get(d["decision"], 0) + 1
            for r in d["reasons"]:
                reasons[r["code"]] = reasons.get(r["code"], 0) + 1
    blob = json.dumps(rows, sort_keys=True, separators=(",", ":")).encode()
    return {
        "events": len(events),
        "digest": hashlib.sha256(blob).hexdigest(),
        "decisions": dict(sorted(decisions.items())),
        "reasons": dict(sorted(reasons.items())),
        "short": short,
    }


def _move(clock: ManualClock, seconds: float) -> None:
    """Set the manual clock to ``START + seconds`` (never backwards)."""
    target = START.timestamp() + seconds
    now = clock.now().timestamp()
    if target > now:
        clock.advance(target - now)


def test_decisions_match_the_pin_taken_on_main() -> None:
    """Decisions, scores, reasons, delays and outcome answers on the fixed traffic are exactly
    those main's code gave (a regression pin; see the module docstring for its provenance)."""
    pin = json.loads(PIN.read_text())
    got = decide_all()
    assert got["decisions"] == pin["decisions"]
    assert got["reasons"] == pin["reasons"]
    assert got["short"] == pin["short"]
    assert got["digest"] == pin["digest"]


def test_the_pinned_traffic_exercises_the_signals() -> None:
    """The pin means something: its traffic makes every volume signal and every decision fire."""
    pin = json.loads(PIN.read_text())
    assert set(pin["decisions"]) == {"allow", "challenge", "deny"}
    for code in (
        "unfamiliar_source",
        "source_failures",
        "account_failures",
        "account_sources",
        "password_reuse",
        "device_accounts",
        "breached_password",
        "login_wave",
    ):
        assert pin["reasons"].get(code, 0) > 0, code


if __name__ == "__main__":
    PIN.parent.mkdir(exist_ok=True)
    PIN.write_text(json.dumps(decide_all(), indent=0) + "\n")
