"""The harm summary on small worlds worked by hand: what was lost, what was saved, and each
attack's take split at its detection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from shieldwall.sim.harm import AttackHarm, detections, summarize
from shieldwall.sim.truth import GroundTruth

T0 = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
H = timedelta(hours=1)


def login(kind: str, hours: float, correct: bool, decision: str) -> dict[str, Any]:
    return {"kind": kind, "at": T0 + hours * H, "correct": correct, "decision": decision}


def contact(
    hours: float, warned: bool, checked: bool, deceived: bool, loss_fen: int | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "at": T0 + hours * H,
        "warned_before": warned,
        "checked": checked,
        "deceived": deceived,
    }
    if loss_fen is not None:
        row["loss_fen"] = loss_fen
    return row


def world() -> dict[str, GroundTruth]:
    """A harvester (4 records, 1 refused), an outlet (5 refused), a partner (3 sold), two
    stuffing waves and a scam wave of four calls; a victims' trace that takes nothing."""
    harvest = GroundTruth("harvest", "h", ("agent-1",), T0, T0 + 48 * H, peers_role="agent")
    for i, h in enumerate((1, 2, 4, 5), start=1):
        harvest.expose(f"C{i}", T0 + h * H)
    harvest.refuse()
    outlet = GroundTruth("outlet", "o", ("courier-1", "courier-2"), T0, T0 + 48 * H)
    for _ in range(5):
        outlet.refuse()
    partner = GroundTruth("partner", "p", ("partner-1",), T0, T0 + 48 * H)
    for cid in ("C5", "C6", "C7"):
        partner.expose(cid, T0 + 2 * H)
    stuffing = GroundTruth("stuffing", "s", (), T0, T0 + 48 * H)
    stuffing.facts["rows"] = [
        login("benign", 0.05, True, "allow"),  # a customer's own login: no harm, no save
        login("classic", 0.1, True, "allow"),  # taken over before the wave was stopped
        login("classic", 0.2, False, "allow"),  # wrong password: nothing lost
        login("classic", 0.3, False, "challenge"),  # the first stop: detection
        login("classic", 0.4, True, "deny"),  # reused password denied: defended
        login("classic", 0.5, True, "allow"),  # taken over after detection
        login("distributed", 10, True, "allow"),
        login("distributed", 11, True, "challenge"),  # detection, and defended
        login("distributed", 12, True, "allow"),
    ]
    scam = GroundTruth("scam", "c", (), T0, T0 + 48 * H)
    scam.facts["contacts"] = [
        contact(20, warned=True, checked=True, deceived=False),  # told "not us"
        contact(21, warned=False, checked=False, deceived=True, loss_fen=4_000_000),
        contact(23, warned=True, checked=False, deceived=True, loss_fen=22_800_050),  # warned
        contact(25, warned=False, checked=True, deceived=False),  # told "not us"
    ]
    victims = GroundTruth("victims", "v", ("agent-1",), T0, T0 + 48 * H)
    return {
        "harvest": harvest,
        "outlet": outlet,
        "partner": partner,
        "stuffing": stuffing,
        "scam": scam,
        "victims": victims,
    }


DETECTED = {
    "harvest": T0 + 3 * H,
    "outlet": T0 + 1 * H,
    "partner": T0 + 26 * H,
    "stuffing.classic": T0 + 0.3 * H,
    "stuffing.distributed": T0 + 11 * H,
    "scam": T0 + 22 * H,
    "victims": T0 + 30 * H,
}


def test_each_attack_split_at_its_detection() -> None:
    """Harvest 2 before (1 h, 2 h) and 2 after (4 h, 5 h) a 3 h detection; the outlet took
    nothing and was refused 5 times; the partner's 3 were sold before the trace; each stuffing
    wave 1 account before and 1 after its own first stop; the scam reached 2 before its
    campaign formed at 22 h and 2 after; the victims' trace takes nothing and has no row."""
    summary = summarize(world(), DETECTED, respond=False)
    assert summary.attacks == (
        AttackHarm("harvest", "customer records", T0 + 3 * H, 2, 2, 1),
        AttackHarm("outlet", "customer records", T0 + 1 * H, 0, 0, 5),
        AttackHarm("partner", "customer records", T0 + 26 * H, 3, 0, 0),
        AttackHarm("stuffing.classic", "accounts taken over", T0 + 0.3 * H, 1, 1, 2),
        AttackHarm("stuffing.distributed", "accounts taken over", T0 + 11 * H, 1, 1, 1),
        AttackHarm("scam", "customers reached", T0 + 22 * H, 2, 2, 2),
    )


def test_lost_and_saved_totals() -> None:
    """Lost: 4 accounts (2 a wave), 2 deceived (1 of them warned), records 2+0+3 = 5 before
    detection and 2+0+0 = 2 after; money 40,000.00 + 228,000.50 = 268,000.50 yuan. Saved: 2
    accounts defended (the denied and the challenged reused password), 1+5+0+2+1 = 9 attempts
    blocked, 2 of 4 scam targets warned before the call, 2 told "not us"; no suspension without
    --respond."""
    summary = summarize(world(), DETECTED, respond=False)
    lost, saved = summary.lost, summary.saved
    assert lost.accounts_taken_over == 4
    assert lost.customers_deceived == 2 and lost.deceived_though_warned == 1
    assert lost.money_lost_fen == 26_800_050
    assert lost.records_exposed_before_detection == 5
    assert lost.records_exposed_after_detection == 2
    assert saved.accounts_defended == 2
    assert saved.attempts_blocked == 9
    assert saved.customers_warned_before_scam == 2 and saved.customers_reached_by_scam == 4
    assert saved.customers_told_not_us == 2
    assert saved.attempts_stopped_by_suspension is None
    assert saved.records_not_exposed_after_suspension is None


def test_never_detected_loses_everything_before() -> None:
    """No detection at all: every exposure counts as before detection, none after."""
    summary = summarize(world(), {}, respond=False)
    by_name = {a.name: a for a in summary.attacks}
    assert (by_name["harvest"].before, by_name["harvest"].after) == (4, 0)
    assert (by_name["stuffing.classic"].before, by_name["stuffing.classic"].after) == (2, 0)
    assert (by_name["scam"].before, by_name["scam"].after) == (4, 0)
    assert summary.lost.records_exposed_before_detection == 7
    assert summary.lost.records_exposed_after_detection == 0


def test_suspension_counts_what_the_attackers_did_not_get() -> None:
    """With --respond: a harvester served 2 of 2 attempts then stopped 3 times keeps 3 records
    from it (3 x 2/2); couriers refused 4 of 4 then stopped twice keep none (2 x 0/4);
    5 attempts stopped, 3 + 4 + 2 = 9 blocked in all."""
    harvest = GroundTruth("harvest", "h", ("agent-1",), T0, T0 + 9 * H)
    harvest.expose("C1", T0 + 1 * H)
    harvest.expose("C2", T0 + 2 * H)
    for _ in range(3):
        harvest.stop()
    outlet = GroundTruth("outlet", "o", ("courier-1",), T0, T0 + 9 * H)
    for _ in range(4):
        outlet.refuse()
    outlet.stop()
    outlet.stop()
    summary = summarize(
        {"harvest": harvest, "outlet": outlet},
        {"harvest": T0 + 1.5 * H, "outlet": T0 + 1 * H},
        respond=True,
    )
    assert summary.saved.attempts_stopped_by_suspension == 5
    assert summary.saved.records_not_exposed_after_suspension == 3
    assert summary.saved.attempts_blocked == 9
    assert summary.lost.records_exposed_before_detection == 1
    assert summary.lost.records_exposed_after_detection == 1


def test_as_dict_is_json_with_iso_times_and_detections_read_back() -> None:
    """The scorecard form is plain JSON (times ISO 8601); detections() reads the scorecard's
    ``detected_at`` fields back, a stuffing wave under ``stuffing.WAVE``."""
    summary = summarize(world(), DETECTED, respond=False)
    data = json.loads(json.dumps(summary.as_dict()))
    assert data["attacks"][0]["detected_at"] == "2026-03-03T03:00:00+00:00"
    assert data["lost"]["money_lost_fen"] == 26_800_050
    scores = {
        "harvest": {"detected_at": "2026-03-03T03:00:00+00:00"},
        "outlet": {"detected_at": None},
        "stuffing": {
            "detected_at": None,
            "by_kind": {
                "classic": {"detected_at": "2026-03-03T00:18:00+00:00"},
                "distributed": {"detected_at": None},
            },
        },
    }
    assert detections(scores) == {
        "harvest": T0 + 3 * H,
        "outlet": None,
        "stuffing": None,
        "stuffing.classic": T0 + 0.3 * H,
        "stuffing.distributed": None,
    }


def test_money_is_none_when_no_contact_carries_an_amount() -> None:
    """A run whose deceived contacts carry no ``loss_fen`` reports no money figure, not 0."""
    truths = world()
    for c in truths["scam"].facts["contacts"]:
        c.pop("loss_fen", None)
    assert summarize(truths, DETECTED, respond=False).lost.money_lost_fen is None
