"""Victim attribution: service principals with a declared purpose are listed apart (not ranked,
not in Holm's family), and an unproven top candidate is reported as "most likely, not proven"
with the victims that would settle it, on hand-worked hypergeometric cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody.audit_events import access_event
from shieldwall.trace.attribution.exposure import ExposureIndexBuilder, Knowledge
from shieldwall.trace.attribution.victims.input import Victim
from shieldwall.trace.attribution.victims.scoring import VictimSetAttribution, victims_needed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CALL = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
PHONE = {"name": "clear", "phone": "clear"}
AGENT_A = Principal("agent-a", Role.AGENT, "cs")
AGENT_B = Principal("agent-b", Role.AGENT, "cs")
AGENT_C = Principal("agent-c", Role.AGENT, "cs")
SENDER = Principal("contact.warnings", Role.SERVICE, "contact")
RECONCILE = Principal("svc-reconcile", Role.SERVICE, "finance")


def cid(i: int) -> str:
    return f"C{i:05d}"


class Log:
    """A tiny audit log of real access events fed to an index builder (20 customers)."""

    def __init__(self, exempt: frozenset[str] = frozenset()) -> None:
        self.b = ExposureIndexBuilder(exempt_actors=exempt)
        for i in range(20):
            self.b.customer(cid(i))
        self.seq = 0

    def read(
        self,
        who: Principal,
        customers: range | list[int],
        purpose: str | None,
        *,
        action: Action = Action.READ,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.b.add_event(
            self.seq,
            access_event(
                T0,
                who,
                action,
                Decision.ALLOW,
                "test",
                channel="system",
                purpose=purpose,
                customer_ids=[cid(i) for i in customers],
                fields=PHONE,
                extra=extra,
            ),
        )
        self.seq += 1


def phone_victims(ids: list[int]) -> list[Victim]:
    return [Victim(cid(i), CALL, frozenset({Knowledge.PHONE}), n) for n, i in enumerate(ids)]


def test_victims_needed_hand_worked_full_rate() -> None:
    """N=20, K=4, 2 of 2 explained, m=3, alpha 0.05: 3*C(4,2)/C(20,2) = 0.0947 is not enough;
    with 3 of 3, 3*C(4,3)/C(20,3) = 3*4/1140 = 0.0105 is: 3 victims in all."""
    assert victims_needed(2, 2, 4, 20, 3, 0.05) == 3


def test_victims_needed_hand_worked_half_rate() -> None:
    """N=20, K=2, 1 of 2 explained, m=1, alpha 0.05: n'=2,3 keep one hit (P(X>=1) = 37/190 and
    324/1140); n'=4 gives two hits, P(X>=2) = C(18,2)/C(20,4) = 153/4845 = 0.0316: 4 victims."""
    assert victims_needed(1, 2, 2, 20, 1, 0.05) == 4


def test_victims_needed_at_chance_is_none() -> None:
    """1 of 10 explained by a candidate shown half the store (chance is 5 of 10): no number of
    victims at that rate names it."""
    assert victims_needed(1, 10, 10, 20, 1, 0.05) is None
    assert victims_needed(0, 10, 10, 20, 1, 0.05) is None


def test_victims_needed_already_significant_is_the_set_itself() -> None:
    """A set that is already significant needs no more: the answer is its own size."""
    # 5 of 5 from K=5 of N=20: P = 1/C(20,5) = 1/15504, far below 0.05.
    assert victims_needed(5, 5, 5, 20, 1, 0.05) == 5


def test_service_with_declared_purpose_is_listed_apart() -> None:
    """The warnings sender read every victim's phone before the call: it is listed apart with 5
    explained, never ranked nor named; the agent is named and Holm counts only the agents."""
    log = Log()
    log.read(SENDER, range(1, 20), "customer_warning")
    log.read(AGENT_A, range(1, 6), "after_sales")
    log.read(AGENT_B, range(10, 15), "after_sales")
    res = VictimSetAttribution(alpha=0.05).attribute(
        log.b.build(), phone_victims([1, 2, 3, 4, 5]), 20
    )
    assert res.candidates_tested == 2
    assert [s.candidate.candidate_id for s in res.ranking] == ["agent-a"]
    assert [s.candidate.candidate_id for s in res.sources] == ["agent-a"]
    assert [
        (s.candidate.candidate_id, s.purposes, s.explained, s.exposed) for s in res.services
    ] == [("contact.warnings", ("customer_warning",), 5, 19)]
    # 5 of 5 from K=5, N=20: p = 1/C(20,5) = 1/15504; Holm over the two agents doubles it.
    top = res.ranking[0]
    assert top.p_value == pytest.approx(1 / 15504, rel=1e-9)
    assert top.p_adjusted == pytest.approx(2 / 15504, rel=1e-9)
    assert res.lead is None


def test_service_reading_without_a_purpose_is_a_suspect() -> None:
    """A service principal that once read without a declared purpose is ranked like anyone."""
    log = Log()
    log.read(RECONCILE, range(1, 5), "reconciliation")
    log.read(RECONCILE, range(5, 6), None)
    res = VictimSetAttribution(alpha=0.05).attribute(
        log.b.build(), phone_victims([1, 2, 3, 4, 5]), 20
    )
    assert res.services == ()
    assert res.ranking[0].candidate.candidate_id == "svc-reconcile"
    assert res.candidates_tested == 1


def test_configured_exempt_actor_is_listed_apart_even_without_a_purpose() -> None:
    """A configured exempt actor (an old log's warnings sender) is listed apart as configured."""
    log = Log(exempt=frozenset({SENDER.principal_id}))
    log.read(SENDER, range(1, 4), None)
    log.read(AGENT_A, range(1, 6), "after_sales")
    res = VictimSetAttribution(alpha=0.05).attribute(log.b.build(), phone_victims([1, 2, 3]), 20)
    assert [(s.candidate.candidate_id, s.purposes, s.explained) for s in res.services] == [
        ("contact.warnings", ("configured",), 3)
    ]
    assert [s.candidate.candidate_id for s in res.ranking] == ["agent-a"]


def test_service_that_explains_no_victim_is_not_listed() -> None:
    """Services listed apart are those shown some victim before the call, not every service."""
    log = Log()
    log.read(RECONCILE, range(15, 20), "reconciliation")
    log.read(AGENT_A, range(1, 6), "after_sales")
    res = VictimSetAttribution(alpha=0.05).attribute(log.b.build(), phone_victims([1, 2]), 20)
    assert res.services == ()
    assert res.candidates_tested == 1


def test_unproven_top_is_a_lead_with_the_victims_that_would_settle_it() -> None:
    """Three agents (m=3), N=20; agent-a, shown 4 customers, explains both victims: p =
    C(4,2)/C(20,2) = 6/190, Holm 18/190 = 0.0947 >= 0.05, so nothing is named; the lead says
    one more victim explained at that rate would name it (worked above: 3 victims)."""
    log = Log()
    log.read(AGENT_A, range(1, 5), "after_sales")
    log.read(AGENT_B, range(5, 15), "after_sales")
    log.read(AGENT_C, range(15, 20), "after_sales")
    res = VictimSetAttribution(alpha=0.05).attribute(log.b.build(), phone_victims([1, 2]), 20)
    assert res.sources == ()
    assert res.lead is not None
    lead = res.lead
    assert lead.score.candidate.candidate_id == "agent-a"
    assert lead.score.p_value == pytest.approx(6 / 190, rel=1e-9)
    assert lead.score.p_adjusted == pytest.approx(18 / 190, rel=1e-9)
    assert (lead.victims_needed, lead.more_victims) == (3, 1)
    doc = lead.to_dict()
    assert doc["verdict"] == "most likely, not proven"
    assert doc["more_victims"] == 1
    assert "about 1 more victims" in doc["settle"][0]
    assert "leaked file" in doc["settle"][1]


def test_release_lead_points_at_the_leaked_file() -> None:
    """When the unproven top is a release, the fingerprint in the leaked file would settle it."""
    log = Log()
    log.read(
        AGENT_A,
        range(1, 5),
        "partner_fulfilment",
        action=Action.GRANT,
        extra={"release": "rel-1", "partner": "partner-x"},
    )
    log.read(AGENT_B, range(5, 15), "after_sales")
    log.read(AGENT_C, range(15, 20), "after_sales")
    res = VictimSetAttribution(alpha=0.05).attribute(log.b.build(), phone_victims([1, 2]), 20)
    assert res.lead is not None and res.lead.score.candidate.kind == "release"
    assert "fingerprint" in res.lead.settle()[1]


def test_no_lead_when_the_top_explains_no_more_than_chance() -> None:
    """A top candidate explaining no more victims than chance would is no lead at all."""
    log = Log()
    log.read(AGENT_A, range(20), "after_sales")  # shown everyone: expects 2 of 2 by chance
    res = VictimSetAttribution(alpha=0.05).attribute(log.b.build(), phone_victims([1, 2]), 20)
    assert res.sources == () and res.lead is None
    assert res.ranking[0].explained == 2


def test_an_access_that_showed_nothing_makes_no_candidate() -> None:
    """A lookup (no served view) shows nothing: its actor is not a candidate nor one of Holm's
    tests, so it cannot dilute the correction."""
    log = Log()
    log.b.add_event(
        log.seq,
        access_event(
            T0,
            AGENT_B,
            Action.LOOKUP,
            Decision.ALLOW,
            "victim_trace_query",
            channel="api",
            purpose="investigation",
            customer_ids=[cid(1), cid(2)],
        ),
    )
    log.read(AGENT_A, range(1, 5), "after_sales")
    idx = log.b.build()
    assert [c.candidate_id for c in idx.candidates] == ["agent-a"]
    res = VictimSetAttribution(alpha=0.05).attribute(idx, phone_victims([1, 2]), 20)
    assert res.candidates_tested == 1
