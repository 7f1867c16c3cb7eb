"""The login traffic generator: deterministic per seed, time-ordered, with the promised
benign habits and attacks."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta

from shieldwall.guard.risk.network import AsnTable
from shieldwall.sim.logins import (
    CLASSIC_ATTACKS,
    AttackKind,
    LoginEvent,
    LoginWorld,
    WorldConfig,
    personal_guesses,
    sha1_hex,
    sim_tweaks,
)

SMALL = WorldConfig(customers=300, days=4.0, warmup_days=3.0)


def test_same_seed_same_world_other_seed_other_world() -> None:
    """Two worlds of one seed are equal event for event; another seed differs."""
    a = LoginWorld(4, SMALL).events()
    assert a == LoginWorld(4, SMALL).events()
    assert a != LoginWorld(5, SMALL).events()


def test_events_are_in_time_order_with_every_attack_after_warmup() -> None:
    """Sorted by time; every attack kind present, all after the warm-up; benign throughout."""
    world = LoginWorld(4, SMALL)
    events = world.events()
    assert all(x.ts <= y.ts for x, y in itertools.pairwise(events))
    kinds = Counter(e.actor for e in events)
    assert set(kinds) == {"benign", *(k.value for k in CLASSIC_ATTACKS)}
    warm_end = SMALL.start.timestamp() + SMALL.warmup_days * 86_400
    assert all(e.ts.timestamp() >= warm_end for e in events if e.is_attack)
    assert any(e.ts.timestamp() < warm_end for e in events if not e.is_attack)


def test_benign_habits() -> None:
    """Benign customers mostly succeed; some fail first (forgotten passwords, mistyped names);
    carrier-NAT addresses are shared by many accounts; every address is in the ASN sample."""
    world = LoginWorld(4, SMALL)
    benign = [e for e in world.events() if not e.is_attack]
    ok = sum(e.correct for e in benign) / len(benign)
    assert 0.85 < ok < 0.99
    assert any(not e.account_known for e in benign)
    per_ip: defaultdict[str, set[str]] = defaultdict(set)
    for e in benign:
        per_ip[e.ip].add(e.account)
    assert max(len(v) for v in per_ip.values()) >= 5  # NAT and offices
    table = AsnTable.load(None)
    assert all(table.origin(e.ip).asn != 0 for e in benign)


def test_attack_shapes() -> None:
    """Stuffing comes from two addresses; botnet addresses try at most three times; the
    targeted attack aims at one account; spraying reuses few passwords; some pairs work."""
    world = LoginWorld(4, SMALL)
    by_kind: defaultdict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for e in world.events():
        by_kind[e.actor].append(e)
    assert len({e.ip for e in by_kind["stuffing"]}) <= 2
    assert max(Counter(e.ip for e in by_kind["botnet"]).values()) <= 3
    assert len({e.account for e in by_kind["targeted"]}) == 1
    assert len({e.password_sha1 for e in by_kind["spraying"]}) == 3
    assert any(e.correct for e in by_kind["stuffing"] + by_kind["botnet"])
    reused = {sha1_hex(c.password) for c in world.customers if c.reused}
    assert reused <= world.breached


def test_replay_json_has_the_documented_fields() -> None:
    """as_json gives the replay format; optional fields are left out when missing."""
    e = LoginWorld(4, SMALL).events()[0]
    row = e.as_json()
    assert {"ts", "account", "ip", "password_sha1", "success", "account_known"} <= set(row)
    assert ("device_id" in row) == (e.device_id is not None)


def test_targeted_personal_is_opt_in_and_guesses_from_the_victims_data() -> None:
    """Off by default; when on, forty victims get three to eight guesses each, every guess from
    its own address, and a guess is right only for customers whose password is personal."""
    assert AttackKind.TARGETED_PERSONAL not in WorldConfig().attacks
    cfg = replace(SMALL, attacks=(AttackKind.TARGETED_PERSONAL,), personal_share=0.5)
    world = LoginWorld(4, cfg)
    events = [e for e in world.events() if e.actor == "targeted_personal"]
    per_victim = Counter(e.account for e in events)
    assert len(per_victim) == min(40, cfg.customers)
    assert all(3 <= n <= 8 for n in per_victim.values())
    assert len({e.ip for e in events}) > 0.9 * len(events)
    right = {e.account for e in events if e.correct}
    assert right and all(world.by_account[a].extra.get("personal") == "1" for a in right)
    c = world.customers[0]
    assert personal_guesses(c)[0] == c.extra["birth"].replace("-", "")  # YYYYMMDD first


def test_sim_tweaks_worked_by_hand() -> None:
    """The simulator's rules on "wang1985!" (word "wang", number "1985", tail "!"), worked out
    by hand from its list: capitalised, "1" and "!" appended, the year plus one, a/o leet,
    "123" appended, the tail dropped, "1" in front, (the last character doubled = "!!", a
    duplicate), capitalised word with "!" (a duplicate), "2026" appended."""
    assert sim_tweaks("wang1985!") == [
        "Wang1985!",
        "wang1985!1",
        "wang1985!!",
        "wang1986!",
        "w@ng1985!",
        "wang1985!123",
        "wang1985",
        "1wang1985!",
        "wang1985!2026",
    ]


def test_breach_world_is_opt_in_and_leaves_other_worlds_unchanged() -> None:
    """Without breach_share the world is the one it was (its own random stream); with it,
    about that share of customers has a leak, about tweak_share of those a tweaked password."""
    assert AttackKind.TARGETED_BREACH not in WorldConfig().attacks
    plain = LoginWorld(4, SMALL)
    assert plain.leak == {} and plain.combo_list() == []
    cfg = replace(SMALL, breach_share=0.5, tweak_share=0.5)
    world = LoginWorld(4, cfg)
    assert [c.account for c in world.customers] == [c.account for c in plain.customers]
    assert 0.4 * cfg.customers < len(world.leak) < 0.6 * cfg.customers
    tweaked = [c for c in world.customers if c.extra.get("tweak")]
    assert 0.3 * len(world.leak) < len(tweaked) < 0.7 * len(world.leak)
    assert all(c.password in sim_tweaks(world.leak[c.account]) for c in tweaked)


def test_targeted_breach_tries_the_leak_then_tweaks_hours_apart() -> None:
    """Forty leaked accounts, the leaked password first then three to seven tweaks, each from
    its own address, an hour or more apart; a guess is right only on a tweaked customer."""
    cfg = replace(SMALL, attacks=(AttackKind.TARGETED_BREACH,), breach_share=0.5, tweak_share=0.5)
    world = LoginWorld(4, cfg)
    events = [e for e in world.events() if e.actor == "targeted_breach"]
    by_victim: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for e in events:
        by_victim[e.account].append(e)
    assert len(by_victim) == 40 and set(by_victim) <= set(world.leak)
    for account, tries in by_victim.items():
        assert 4 <= len(tries) <= 8
        assert tries[0].password_sha1 == sha1_hex(world.leak[account])
        gaps = [(b.ts - a.ts).total_seconds() for a, b in itertools.pairwise(tries)]
        assert all(g >= 3600 for g in gaps)
    assert len({e.ip for e in events}) > 0.9 * len(events)
    right = {e.account for e in events if e.correct}
    assert right and all(world.by_account[a].extra.get("tweak") == "1" for a in right)


# -- scam calls ---------------------------------------------------------------------------------

# sha256 over repr() of every event of LoginWorld(4, SMALL), computed on the simulator before
# scam calls existed (commit 7e7db60): the option off must leave the stream as it was
SMALL_DIGEST = "40740741f44d6f5e2e7c07785ecbef3a9b5733b8fdd21a938b9fac4cbd94917d"
SCAM = replace(
    SMALL,
    attacks=(*CLASSIC_ATTACKS, AttackKind.SCAM_TAKEOVER),
    scam_reported_share=0.5,
    scam_called_share=0.05,
)


def digest(events: list[LoginEvent]) -> str:
    h = hashlib.sha256()
    for e in events:
        h.update(repr(e).encode())
    return h.hexdigest()


def test_scam_calls_are_opt_in_and_leave_other_worlds_unchanged() -> None:
    """Off by default, and a world without them is event for event the one before they existed
    (digest pinned from the older simulator); with them, every event of the plain world is still
    there and the only new ones are the scammer's tries and the called customers' own logins."""
    assert AttackKind.SCAM_TAKEOVER not in WorldConfig().attacks
    assert WorldConfig().scam_called_share == 0.0
    plain = LoginWorld(4, SMALL)
    assert plain.scam_calls == [] and plain.scam_reports() == {}
    before = plain.events()
    assert digest(before) == SMALL_DIGEST
    world = LoginWorld(4, SCAM)
    extra = Counter(world.events())
    extra.subtract(Counter(before))
    assert all(n >= 0 for n in extra.values())  # nothing of the plain world is gone
    called = {c.account for c in world.scam_calls if not c.victim}
    added = [e for e, n in extra.items() for _ in range(n)]
    assert added and all(
        e.actor == "scam_takeover" or (e.actor == "benign" and e.account in called) for e in added
    )


def test_scam_takeover_logs_in_with_the_right_password_after_the_call() -> None:
    """Forty victims (``scam_victims``), each called in the attack days; the scammer tries one
    to three times with the right password from one address that is not the customer's home or
    office, on a device that is not theirs (a new app id, or a browser, which sends none), the
    first try ten minutes to four hours after the call and the next ones one to ten minutes
    apart; a report, if any, comes five to sixty minutes after the call."""
    world = LoginWorld(4, SCAM)
    victims = {c.account: c for c in world.scam_calls if c.victim}
    assert len(victims) == 40
    tries: dict[str, list[LoginEvent]] = defaultdict(list)
    for e in world.events():
        if e.actor == "scam_takeover":
            tries[e.account].append(e)
    assert set(tries) == set(victims)
    warm_end = SCAM.start + timedelta(days=SCAM.warmup_days)
    last_call = SCAM.start + timedelta(days=SCAM.days, hours=-4)
    for account, got in tries.items():
        call = victims[account]
        c = world.by_account[account]
        assert warm_end <= call.called <= last_call
        assert 1 <= len(got) <= 3
        assert all(e.correct and e.password_sha1 == sha1_hex(c.password) for e in got)
        assert len({e.ip for e in got}) == 1
        assert got[0].ip not in {".".join(map(str, c.home)), c.work_ip}
        own = {d for d, _ in c.devices if d is not None}
        assert all(e.device_id is None or e.device_id not in own for e in got)  # app or browser
        first = (got[0].ts - call.called).total_seconds()
        assert 600 <= first <= 4 * 3600
        gaps = [(b.ts - a.ts).total_seconds() for a, b in itertools.pairwise(got)]
        assert all(60 <= g <= 600 for g in gaps)
        if call.reported is not None:
            assert 300 <= (call.reported - call.called).total_seconds() <= 3600
    reported = [c for c in victims.values() if c.reported is not None]
    assert 10 <= len(reported) <= 30  # half of forty, give or take
    before = [c for c in reported if c.reported and c.reported <= tries[c.account][0].ts]
    assert 0 < len(before) < len(reported)  # some reports come before the login, some after


def test_scam_called_customers_report_then_check_in_their_usual_ways() -> None:
    """Other customers called (``scam_called_share`` 5% of 300, about 15) all report five to
    sixty minutes after the call, then log in themselves one to three times, fifteen minutes to
    two days after the report, on their own devices (or their new phone) and with their own
    password; the report side table lists exactly the reported calls, in time order."""
    world = LoginWorld(4, SCAM)
    called = {c.account: c for c in world.scam_calls if not c.victim}
    assert 5 <= len(called) <= 30
    assert all(c.reported is not None for c in called.values())
    for c in called.values():
        assert c.reported is not None
        assert 300 <= (c.reported - c.called).total_seconds() <= 3600
    plain = Counter(LoginWorld(4, SMALL).events())
    own: dict[str, list[LoginEvent]] = defaultdict(list)
    for e in world.events():
        if e.account in called and plain[e] == 0:
            own[e.account].append(e)
        plain[e] -= 1
    assert own
    for account, events in own.items():
        cust, call = world.by_account[account], called[account]
        assert call.reported is not None
        assert 1 <= len({(e.ip, e.device_id) for e in events}) <= 3  # one to three sessions
        for e in events:
            after = (e.ts - call.reported).total_seconds()
            assert 15 * 60 <= after <= 2 * 86_400 + 60  # + a retry's seconds
            assert e.device_id in {d for d, _ in cust.devices} | {f"dev-new-{account[-6:]}"}
        assert events[-1].correct
    reports = world.scam_reports()
    assert sorted(reports) == sorted({c.account for c in world.scam_calls if c.reported})
    assert all(ts == sorted(ts) for ts in reports.values())
