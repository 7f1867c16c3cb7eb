"""Scoring: ground truth against alerts, computed the same way whatever the alerts say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shieldwall.sim.attacks import REGISTRY
from shieldwall.sim.attacks.base import Observed, ranking, score_insider
from shieldwall.sim.attacks.scam import score as score_scam
from shieldwall.sim.errors import SimulationError
from shieldwall.sim.run import _order
from shieldwall.sim.truth import GroundTruth

T0 = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)


def alert(
    pid: str, score: float, at: datetime, kind: str = "harvesting", **kw: Any
) -> dict[str, Any]:
    return {
        "alert_id": f"alr_{pid}_{kind}",
        "kind": kind,
        "principal_id": pid,
        "score": score,
        "severity": "high",
        "raised_at": at.isoformat(),
        "first_at": at.isoformat(),
        "last_at": at.isoformat(),
        "customer_ids": kw.get("customers", []),
        "reasons": [],
        "audit_seqs": [],
    }


def truth() -> GroundTruth:
    t = GroundTruth("harvest", "x", ("agent-1",), T0, T0 + 10 * H, peers_role="agent")
    for i in range(10):
        t.expose(f"C{i}", T0 + i * H)
    t.expose("C0", T0 + 9 * H)  # a second look exposes nothing new
    t.refuse()
    return t


ROLES = {"agent-1": "agent", "agent-2": "agent", "courier-1": "courier"}


def test_insider_detected_timed_ranked_and_false_alerts_counted() -> None:
    """Detection time is the first insider alert's raised_at; lost counts exposures before it;
    rank is among the alerted principals of its role; p = 10^-score; a peer's alert is a false
    alert and another role's is not."""
    alerts = [
        alert("agent-1", 12.0, T0 + 3.5 * H, customers=["C1", "C2", "X"]),
        alert("agent-1", 7.0, T0 + 5 * H, kind="reveal_rate"),
        alert("agent-2", 20.0, T0 + 1 * H),
        alert("courier-1", 30.0, T0 + 1 * H),
    ]
    seen = Observed(alerts, {"alr_agent-1_harvesting": T0 + 6 * H}, ROLES)
    s = score_insider(truth(), seen)
    assert s["detected"] and s["time_to_detect_h"] == 3.5 and s["time_to_notice_h"] == 6.0
    assert s["records_exposed"] == 10 and s["attempts"] == 12 and s["refused_by_custody"] == 1
    assert s["records_lost_before_detection"] == 4  # C0..C3 exposed at 0,1,2,3 h
    assert s["records_lost_before_notice"] == 6
    assert s["exposed_named_in_alerts"] == 2
    assert s["attribution_rank"] == 2 and s["alerted_principals"] == 2  # among the agents
    assert s["p_value"] == pytest.approx(1e-12) and s["score"] == 12.0
    assert s["false_alerts"] == 1 and s["false_alerts_on"] == ["agent-2"]
    assert [p for p, _ in ranking(alerts)] == ["courier-1", "agent-2", "agent-1"]


def test_insider_missed_loses_everything() -> None:
    """No alert on the insider (or only one from before the attack): not detected, all lost."""
    early = alert("agent-1", 9.0, T0 - 30 * H)
    s = score_insider(truth(), Observed([early], {}, ROLES))
    assert not s["detected"] and s["time_to_detect_h"] is None
    assert s["records_lost_before_detection"] == 10
    assert s["attribution_rank"] is None and s["p_value"] is None and s["alerted_principals"] == 0


def test_scam_detected_at_the_third_report_of_a_campaign() -> None:
    """The scam wave counts as detected when reports make one campaign of three; warnings,
    checks, outcomes and genuine calls wrongly answered are counted from the rows."""
    t = GroundTruth("scam", "s", (), T0, T0 + 20 * H)
    rows = []
    for i in range(6):
        at = T0 + i * H
        t.expose(f"C{i}", at)
        rows.append(
            {
                "customer_id": f"C{i}",
                "at": at,
                "warned_before": i < 2,
                "checked": i % 2 == 0,
                "shieldwall_said": "not_us" if i % 2 == 0 else None,
                "reported": i in (1, 2, 4),
                "deceived": i == 5,
                "campaign_id": "cmp_1",
                "campaign_size": [0, 1, 2, 0, 3, 0][i],
                "lookalike": True if i == 4 else None,
            }
        )
    t.facts["contacts"] = rows
    seen = Observed(
        [],
        {},
        {},
        warned={"C0": T0, "C1": T0, "C3": T0 + 9 * H},
        genuine_checks=[{"state": "calling_now"}, {"state": "not_us"}],
    )
    s = score_scam(t, seen)
    assert s["detected"] and s["time_to_detect_h"] == 4.0
    assert s["records_lost_before_detection"] == 4
    assert (s["warned_before_reached"], s["warned_after_reached"], s["never_warned"]) == (2, 1, 3)
    assert s["reported"] == 3 and s["campaigns"] == 1 and s["largest_campaign"] == 3
    assert s["lookalike_links_flagged"] == 1 and s["deceived"] == 1 and s["saved"] == 5
    assert s["false_alerts"] == 1 and s["genuine_calls_checked"] == 2


def test_attacks_run_after_what_they_use_and_unknown_ones_are_refused() -> None:
    """The scam runs after the leaks it works from; an unknown attack name is an error."""
    ordered = _order(("scam", "harvest", "outlet"))
    assert sorted(ordered) == ["harvest", "outlet", "scam"]
    assert ordered.index("harvest") < ordered.index("scam")
    assert _order(("scam",)) == ["scam"]
    assert set(REGISTRY) >= {"harvest", "outlet", "scam"}
    with pytest.raises(SimulationError, match="unknown attack"):
        _order(("harvest", "nope"))
    with pytest.raises(SimulationError, match="partner or collusion"):
        _order(("partner", "collusion"))
