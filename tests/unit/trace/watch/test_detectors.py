"""Each detector fires on its pattern and stays quiet on the benign look-alike of that pattern."""

from __future__ import annotations

from datetime import timedelta

from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Role
from shieldwall.sim.access.views import ADMIN_EXPORT, ANALYST_EXPORT
from tests.unit.trace.watch.scenario import Scenario, alerts_for, at, run

BASELINE = range(4)  # days 0-3 build the baselines; the pattern happens on day 4
DAY = 4


def kinds(store, principal: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {a.kind for a in alerts_for(store, principal)}


def harvest(s: Scenario, agent: str, team: str, n: int, *, start: float = 10.0) -> list[str]:
    """An agent opens its own ticket per record, looks once, never closes."""
    taken = []
    for i in range(n):
        c = s.customer()
        s.ticket(
            agent,
            team,
            c,
            at(DAY, start + i * 0.1),
            own=True,
            order=f"O{90_000_000 + i}",
            status="paid",
            close=False,
        )
        taken.append(c)
    return taken


# -- harvesting -------------------------------------------------------------------------------


def test_harvesting_fires_on_self_made_tickets() -> None:
    """Self-made, unclosed tickets: one alert with those customers, their entries, first/last."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE)
    for a in team:
        s.agent_day(a, "t1", DAY)
    taken = harvest(s, team[0], "t1", 15)
    _, store = run(s)
    found = alerts_for(store, team[0], "harvesting")
    assert len(found) == 1
    alert = found[0]
    assert {r.code for r in alert.reasons} >= {"self_made_relationship", "no_follow_up"}
    assert set(alert.customer_ids) <= set(taken) and len(alert.customer_ids) >= 5
    assert alert.first_at is not None and alert.last_at is not None
    assert at(DAY, 10) <= alert.first_at <= alert.last_at
    records = {r.seq: r.event for r in s.records()}
    for seq in alert.audit_seqs:
        assert records[seq].actor == team[0] and records[seq].customer_ids[0] in taken
    assert all(not alerts_for(store, a) for a in team[1:])


def test_harvesting_quiet_on_busy_agents_and_inbound_calls() -> None:
    """Three times the usual system tickets, or inbound calls found by phone, raise nothing."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE)
    s.agent_day(team[0], "t1", DAY, tickets=36)
    for i in range(20):
        s.ticket(team[1], "t1", s.customer(), at(DAY, 9 + i * 0.3), lookup=True)
    _, store = run(s)
    assert store.list() == []


def test_outreach_team_is_judged_by_outreach_peers() -> None:
    """An outreach team is normal among itself; a member who stops closing tickets is not."""
    s = Scenario()
    outreach = s.team("outreach", 6, [*BASELINE, DAY], own=0.6, undelivered=0.9)
    general = s.team("t1", 6, [*BASELINE, DAY])
    for i in range(30):
        s.ticket(outreach[0], "outreach", s.customer(), at(DAY, 9 + i * 0.2), own=True, close=False)
    _, store = run(s)
    assert all(not alerts_for(store, a) for a in outreach[1:] + general)
    found = alerts_for(store, outreach[0], "harvesting")
    assert found and "no_follow_up" in {r.code for r in found[0].reasons}


# -- no relationship ---------------------------------------------------------------------------


def test_courier_opening_other_outlets_waybills_fires() -> None:
    """Other outlets' waybills are flagged; four times the deliveries of one's own are not."""
    s = Scenario()
    s.outlet("outlet-a", 5, [*BASELINE, DAY])
    s.outlet("outlet-b", 5, [*BASELINE, DAY])
    for i in range(10):  # orders of outlet b, assigned there, opened by a courier of outlet a
        n = 5_000 + i
        s.delivery("outlet-b-c1", "outlet-b", f"O{n:08d}", f"C{n:07d}", at(DAY, 8 + i * 0.1))
        s.courier_read(
            "outlet-a-c0",
            "outlet-a",
            f"O{n:08d}",
            f"C{n:07d}",
            at(DAY, 12 + i * 0.1),
            reason="via_none",
        )
    for i in range(60):
        n = 6_000 + i
        s.delivery("outlet-b-c2", "outlet-b", f"O{n:08d}", f"C{n:07d}", at(DAY, 8 + i * 0.15))
    _, store = run(s)
    found = alerts_for(store, "outlet-a-c0", "no_relationship")
    assert len(found) == 1
    assert "orders of other outlets" in " ".join(r.detail for r in found[0].reasons)
    assert not alerts_for(store, "outlet-b-c2")


def test_denials_fire_but_lapsed_relationships_do_not() -> None:
    """Reads refused for want of a ticket are flagged; refusals of expired tickets are not."""
    s = Scenario()
    team = s.team("t1", 6, [*BASELINE, DAY])
    for i in range(8):
        for agent, reason in ((team[0], "no_open_ticket"), (team[1], "ticket_expired")):
            s.add(
                at(DAY, 11 + i * 0.1),
                agent,
                "agent",
                "t1",
                Action.READ,
                decision=Decision.DENY,
                reason=reason,
                purpose="after_sales",
                customers=(s.customer(),),
            )
    _, store = run(s)
    assert kinds(store, team[0]) == {"no_relationship"}
    assert not alerts_for(store, team[1])


# -- enumeration and searches ------------------------------------------------------------------


def test_enumeration_fires_on_an_id_walk_not_on_dense_random_reads() -> None:
    """An id walk is flagged; partners' thousands of random ids (chance neighbours) are not."""
    s = Scenario()
    for day in [*BASELINE, DAY]:
        for k in range(6):
            for i in range(20):
                c = f"C{s.rng.randrange(1, 100_000):07d}"
                s.admin_read(f"admin-{k}", c, at(day, 10 + i * 0.2))
        for k in range(5):
            for i in range(1200):
                c = f"C{s.rng.randrange(1, 100_000):07d}"
                s.partner_read(f"partner-{k}", c, at(day, 9 + i * 0.006))
    for i in range(40):
        s.admin_read("admin-0", f"C{50_000 + i:07d}", at(DAY, 15 + i * 0.02))
    _, store = run(s)
    assert "enumeration" in kinds(store, "admin-0")
    assert all(not alerts_for(store, f"partner-{k}") for k in range(5))


def test_search_sweeps_fire_on_misses_and_broad_searches_only() -> None:
    """Missing phone lookups and region searches are flagged; finding 30 callers is not."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE, tickets=10)
    for day in BASELINE:
        for a in team:
            for i in range(4):
                s.ticket(a, "t1", s.customer(), at(day, 14 + i), lookup=True)
    for i in range(40):
        s.add(
            at(DAY, 10 + i * 0.05),
            team[0],
            "agent",
            "t1",
            Action.LOOKUP,
            reason="blind_index_match",
            purpose="after_sales",
            extra={"by": "phone", "matches": "0"},
        )
    for i in range(3):
        found = tuple(f"C{5_000_000 + 40 * i + k:07d}" for k in range(40))
        s.add(
            at(DAY, 11 + i * 0.1),
            team[1],
            "agent",
            "t1",
            Action.LOOKUP,
            reason="blind_index_match",
            purpose="after_sales",
            customers=found,
            extra={"by": "region", "matches": "40"},
        )
    for i in range(30):
        s.ticket(team[2], "t1", s.customer(), at(DAY, 9 + i * 0.25), lookup=True)
    _, store = run(s)
    misses = alerts_for(store, team[0], "search_sweep")
    broad = alerts_for(store, team[1], "search_sweep")
    assert misses and misses[0].reasons[0].code == "lookup_misses"
    assert broad and "broad_search" in {r.code for r in broad[0].reasons}
    assert len(broad[0].customer_ids) >= 40
    assert not alerts_for(store, team[2])


# -- rates --------------------------------------------------------------------------------------


def test_undelivered_preference_is_relative_to_peers() -> None:
    """All-undelivered in a 15% team is flagged; the same in a delivery team is not."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE, undelivered=0.15)
    s.team("t2", 6, BASELINE, undelivered=0.15)
    delivery = s.team("delivery", 6, [*BASELINE, DAY], undelivered=0.85)
    s.agent_day(team[0], "t1", DAY, tickets=30, undelivered=1.0)
    s.agent_day(delivery[0], "delivery", DAY, tickets=30, undelivered=0.95)
    _, store = run(s)
    assert "undelivered_preference" in kinds(store, team[0])
    assert all(not alerts_for(store, a) for a in delivery)


def test_reveals_far_above_peers_fire() -> None:
    """Revealing on every ticket among 15% peers is flagged; a team at 50% is not."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE, reveal=0.15)
    s.team("t2", 6, BASELINE, reveal=0.15)
    callers = s.team("callers", 6, [*BASELINE, DAY], reveal=0.5)
    s.agent_day(team[0], "t1", DAY, tickets=25, reveal=1.0)
    _, store = run(s)
    found = alerts_for(store, team[0], "reveal_rate")
    assert found and found[0].reasons[0].code == "reveal_rate"
    assert all(not alerts_for(store, a) for a in callers)


def test_off_hours_is_judged_by_own_and_team_hours() -> None:
    """A day-shift agent at 2 a.m. is flagged; a night team working its nights is not."""
    s = Scenario()
    day_team = s.team("t1", 6, BASELINE, start=9, hours=8)
    night = s.team("night", 6, [*BASELINE, DAY], start=21, hours=8)
    for i in range(12):
        s.ticket(day_team[0], "t1", s.customer(), at(DAY, 2 + i * 0.1))
    _, store = run(s)
    assert "off_hours" in kinds(store, day_team[0])
    assert all(not alerts_for(store, a) for a in night)


def test_volume_against_own_and_peer_busy_days() -> None:
    """300 customers where admins read 20 is flagged; an agent's 2x surge day is not."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE)
    for day in BASELINE:
        for k in range(6):
            for i in range(20):
                s.admin_read(f"admin-{k}", s.customer(), at(day, 10 + i / 10))
    for i in range(300):
        s.admin_read("admin-0", s.customer(), at(DAY, 10 + i / 100))
    s.agent_day(team[0], "t1", DAY, tickets=24)
    _, store = run(s)
    assert "volume" in kinds(store, "admin-0")
    assert not alerts_for(store, team[0])


# -- rules --------------------------------------------------------------------------------------


def test_bulk_export_outside_a_release_fires() -> None:
    """300 unreleased masked rows are flagged; released or pseudonymous exports are not."""
    s = Scenario()
    ids = tuple(f"C{i:07d}" for i in range(5000))
    for who, role, fields, release, rows in (
        ("admin-0", "admin", ADMIN_EXPORT, "", ids[:300]),
        ("analyst-0", "analyst", ANALYST_EXPORT, "rel_1", ids),
        ("analyst-1", "analyst", {"name": "pseudonym", "phone": "pseudonym"}, "", ids),
    ):
        s.add(
            at(0, 11),
            who,
            role,
            "x",
            Action.EXPORT,
            reason="export",
            purpose="analytics",
            customers=rows,
            fields=fields,
            extra={"rows": str(len(rows)), "release": release},
        )
    _, store = run(s)
    found = alerts_for(store, "admin-0", "bulk_export")
    assert found and len(found[0].customer_ids) == 300
    assert not alerts_for(store, "analyst-0") and not alerts_for(store, "analyst-1")


def test_break_glass_misuse_needs_no_baseline() -> None:
    """Break-glass without a ticket alerts on day 0; one admin use or one on a ticket does not."""
    s = Scenario()
    s.break_glass("agent-x", "agent", "t1", "C0000001", at(0, 10))
    s.break_glass("admin-y", "admin", "security", "C0000002", at(0, 10))
    s.ticket("agent-z", "t1", "C0000003", at(0, 9))
    s.break_glass("agent-z", "agent", "t1", "C0000003", at(0, 9.5))
    _, store = run(s)
    assert kinds(store, "agent-x") == {"break_glass_misuse"}
    assert not alerts_for(store, "admin-y") and not alerts_for(store, "agent-z")


# -- de-duplication, escalation, the first day --------------------------------------------------


def test_one_alert_per_principal_and_kind_growing_with_evidence() -> None:
    """A long harvest keeps one alert that escalates and grows, not one alert per finding."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE)
    harvest(s, team[0], "t1", 120, start=9.0)
    watch, store = run(s, batch=50)
    found = alerts_for(store, team[0], "harvesting")
    assert len(found) == 1
    assert found[0].severity.value == "critical"
    assert len(found[0].customer_ids) >= 100
    assert watch.book is not None and watch.book.raised >= 1 and watch.book.updated >= 2


def test_a_closed_alert_reopens_when_the_pattern_goes_on() -> None:
    """After a person closes the alert, more of the same opens a new one."""
    s = Scenario()
    team = s.team("t1", 6, BASELINE)
    harvest(s, team[0], "t1", 20)
    records = s.records()
    watch, store = run(Scenario(), batch=10_000)  # an empty watch to feed by hand
    watch.process(records)
    first = alerts_for(store, team[0], "harvesting")
    assert len(first) == 1
    store.close(first[0].alert_id)
    more = Scenario(seed=9)
    harvest(more, team[0], "t1", 10, start=15.0)
    tail = [type(r)(r.seq + len(records), r.event, b"") for r in more.records()]
    watch.process(tail)
    after = alerts_for(store, team[0], "harvesting")
    assert len(after) == 2 and {a.status for a in after} == {"open", "closed"}


def test_peer_detectors_wait_for_a_baseline_but_rules_do_not() -> None:
    """On the first day peer-based detectors stay silent; break-glass misuse does not."""
    s = Scenario()
    s.team("t1", 6, [0])
    harvest(s, "t1-a0", "t1", 0)
    for i in range(20):
        s.ticket("t1-a1", "t1", s.customer(), at(0, 10 + i * 0.1), own=True)
    s.break_glass("t1-a2", "agent", "t1", "C0000009", at(0, 12))
    _, store = run(s)
    assert not alerts_for(store, "t1-a1")
    assert kinds(store, "t1-a2") == {"break_glass_misuse"}


def test_exempt_roles_and_late_records() -> None:
    """Service principals are never scored; a record whose time runs backwards counts today."""
    s = Scenario()
    for i in range(50):
        s.add(
            at(0, 10) + timedelta(seconds=i),
            "svc-orders",
            Role.SERVICE.value,
            "oms",
            Action.BREAK_GLASS,
            reason="break_glass",
            customers=(f"C{i:07d}",),
        )
    s.break_glass("agent-x", "agent", "t1", "C0000001", at(1, 10))
    records = s.records()
    late = records[-1]
    records.append(type(late)(late.seq + 1, s.events[0], b""))  # day 0 again, after day 1
    watch, store = run(Scenario())
    watch.process(records)
    assert {a.principal_id for a in store.list()} == {"agent-x"}
    assert watch.last_seq == records[-1].seq
