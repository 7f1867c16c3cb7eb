"""Victim-set attribution: the hypergeometric test, view and time restrictions, Holm's
correction, and the greedy explanation of two sources."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from shieldwall.trace.attribution.exposure import (
    Candidate,
    ExposureIndex,
    ExposureIndexBuilder,
    Knowledge,
    exposure_mask,
)
from shieldwall.trace.attribution.victims.input import Victim
from shieldwall.trace.attribution.victims.scoring import VictimSetAttribution, _holm

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLEAR = {"name": "clear", "phone": "clear", "address": "clear"}
MASKED = {"name": "masked", "phone": "masked", "address": "masked"}


def cid(i: int) -> str:
    return f"C{i:05d}"


class World:
    """A tiny access log written straight into an index builder."""

    def __init__(self, population: int) -> None:
        self.population = population
        self.b = ExposureIndexBuilder()
        self.seq = 0
        self.b.customer(cid(0))  # keeps customer numbering stable

    def access(
        self, who: str, customers: range | list[int], fields: dict[str, str], at: datetime = T0
    ) -> int:
        c = self.b.candidate(Candidate("principal", who, "agent", "cs"))
        self.b.add(
            self.seq, at.timestamp(), [c], [cid(i) for i in customers], exposure_mask(fields)
        )
        self.seq += 1
        return self.seq - 1

    def index(self) -> ExposureIndex:
        return self.b.build()


def victims(
    ids: list[int], knew: set[Knowledge] | None = None, at: datetime | None = None
) -> list[Victim]:
    return [Victim(cid(i), at, frozenset(knew or ()), n) for n, i in enumerate(ids)]


def exact_tail(k: int, big_n: int, big_k: int, n: int) -> float:
    total = math.comb(big_n, n)
    return (
        sum(math.comb(big_k, x) * math.comb(big_n - big_k, n - x) for x in range(k, n + 1)) / total
    )


def test_known_hypergeometric_example() -> None:
    """N=50, K=10, n=5: all five explained gives C(10,5)/C(50,5); two give the exact tail."""
    w = World(50)
    w.access("agent-a", range(1, 11), CLEAR)
    idx = w.index()
    res = VictimSetAttribution(alpha=0.05).attribute(idx, victims([1, 2, 3, 4, 5]), 50)
    top = res.ranking[0]
    assert (top.explained, top.exposed, top.victims, top.population) == (5, 10, 5, 50)
    assert top.p_value == pytest.approx(252 / 2_118_760, rel=1e-9)
    assert top.p_value == pytest.approx(exact_tail(5, 50, 10, 5), rel=1e-9)
    res2 = VictimSetAttribution(alpha=0.05).attribute(idx, victims([1, 2, 30, 31, 32]), 50)
    assert res2.ranking[0].p_value == pytest.approx(exact_tail(2, 50, 10, 5), rel=1e-9)
    assert res2.ranking[0].expected == pytest.approx(1.0)


def test_masked_phone_does_not_explain_a_caller_who_knew_the_phone() -> None:
    """A masked view explains seeing the record, not knowing the phone; clear or relay does."""
    w = World(200)
    w.access("agent-masked", range(1, 21), MASKED)
    w.access("agent-clear", range(1, 21), {"phone": "clear"})
    w.access("courier", range(1, 21), {"phone": "relay", "delivery_address": "clear"})
    idx = w.index()
    scorer = VictimSetAttribution(alpha=0.01)
    knew_phone = scorer.attribute(idx, victims(list(range(1, 9)), {Knowledge.PHONE}), 200)
    named = {s.candidate.candidate_id for s in knew_phone.ranking}
    assert named == {"agent-clear", "courier"}
    knew_nothing = scorer.attribute(idx, victims(list(range(1, 9))), 200)
    assert {s.candidate.candidate_id for s in knew_nothing.ranking} == {
        "agent-masked",
        "agent-clear",
        "courier",
    }
    knew_name = scorer.attribute(idx, victims(list(range(1, 9)), {Knowledge.NAME}), 200)
    assert knew_name.ranking == ()


def test_knowledge_can_come_from_several_accesses() -> None:
    """Items from an order read and the phone from a later reveal together explain the caller."""
    w = World(300)
    w.access("agent-a", range(1, 11), {"items": "clear", "phone": "masked"}, T0)
    w.access("agent-a", range(1, 11), {"phone": "clear"}, T0 + timedelta(hours=1))
    idx = w.index()
    want = {Knowledge.ITEMS, Knowledge.PHONE}
    between = VictimSetAttribution().attribute(
        idx, victims(list(range(1, 9)), want, T0 + timedelta(minutes=30)), 300
    )
    assert between.ranking == ()
    after = VictimSetAttribution().attribute(
        idx, victims(list(range(1, 9)), want, T0 + timedelta(hours=2)), 300
    )
    assert after.sources[0].score.explained == 8
    assert set(after.sources[0].evidence[cid(1)]) == {0, 1}


def test_accesses_at_or_after_the_call_do_not_explain_it() -> None:
    """Only accesses strictly before each victim's call count."""
    w = World(400)
    w.access("agent-early", range(1, 11), CLEAR, T0)
    w.access("agent-late", range(1, 11), CLEAR, T0 + timedelta(days=2))
    idx = w.index()
    called = T0 + timedelta(days=1)
    res = VictimSetAttribution().attribute(
        idx, victims(list(range(1, 9)), {Knowledge.NAME}, called), 400
    )
    assert [s.candidate.candidate_id for s in res.ranking] == ["agent-early"]
    exactly = VictimSetAttribution().attribute(idx, victims(list(range(1, 9)), set(), T0), 400)
    assert exactly.ranking == ()
    no_time = VictimSetAttribution().attribute(idx, victims(list(range(1, 9))), 400)
    assert len(no_time.ranking) == 2


def test_holm_adjustment_matches_the_textbook() -> None:
    """Holm: sorted p times (m - j), running maximum, capped at 1; untested candidates count."""
    p = np.log(np.array([0.01, 0.04, 0.03, 0.005]))
    assert np.exp(_holm(p, 4)) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.exp(_holm(p, 10)) == pytest.approx([0.09, 0.28, 0.24, 0.05])
    assert np.exp(_holm(np.log(np.array([0.5, 0.6])), 5)).max() == 1.0


def test_many_candidates_make_a_weak_overlap_insignificant() -> None:
    """An overlap significant alone is not once 1,000 other candidates were tested."""
    w = World(1000)
    w.access("agent-a", range(1, 101), CLEAR)
    victims_ = victims([1, 2, 3, 500, 501, 502])
    alone = VictimSetAttribution(alpha=0.05).attribute(w.index(), victims_, 1000)
    assert alone.ranking[0].p_value < 0.05 and alone.sources
    for i in range(1000):
        w.access(f"other-{i}", [900 + i % 50], CLEAR)
    crowded = VictimSetAttribution(alpha=0.05).attribute(w.index(), victims_, 1000)
    assert crowded.candidates_tested == 1001
    top = crowded.ranking[0]
    assert top.p_adjusted == pytest.approx(min(1.0, 1001 * top.p_value))
    assert crowded.sources == ()


def test_greedy_explains_two_sources_and_leaves_the_noise() -> None:
    """Two leakers split the victims; the greedy cover names both and leaves the noise victim."""
    w = World(5000)
    w.access("agent-a", range(1, 301), CLEAR)
    w.access("courier-b", range(1000, 1301), CLEAR)
    w.access("analyst-c", range(1, 5000), MASKED)  # saw everyone, masked
    w.access("partner-d", range(0, 5000, 2), CLEAR)  # half the store in clear
    ids = [3, 7, 11, 15, 19, 23, 27, 1001, 1003, 1005, 1007, 1009, 4002]
    res = VictimSetAttribution().attribute(w.index(), victims(ids, {Knowledge.NAME}), 5000)
    assert [s.candidate.candidate_id for s in res.sources] == ["agent-a", "courier-b"]
    assert [s.score.explained for s in res.sources] == [7, 5]
    assert res.sources[1].score.victims == 6  # re-scored on what the first left
    assert res.unexplained == (cid(4002),)
    assert res.ranking[0].candidate.candidate_id == "agent-a"


def test_release_is_the_candidate_of_a_grant() -> None:
    """A grant names the release (and partner), not the operator who granted."""
    from shieldwall.core.events import AccessEvent, Action, Decision

    b = ExposureIndexBuilder()
    event = AccessEvent(
        T0,
        "operator",
        "admin",
        Action.GRANT,
        Decision.ALLOW,
        "release_grant",
        customer_ids=tuple(cid(i) for i in range(1, 31)),
        fields={"name": "granted", "phone": "granted"},
        extra={"partner": "partner-sf", "release": "rel-9"},
    )
    b.add_event(0, event)
    b.add_body(1, event.canonical_bytes(1))
    idx = b.build()
    assert [c.key for c in idx.candidates] == ["release:rel-9"]
    assert idx.candidates[0].partner == "partner-sf"
    res = VictimSetAttribution().attribute(idx, victims(list(range(1, 8)), {Knowledge.PHONE}), 2000)
    assert res.sources[0].score.candidate.key == "release:rel-9"
    assert res.sources[0].evidence[cid(1)] == (0,)  # the first grant, not the replay


def test_victims_nobody_accessed_still_count() -> None:
    """A victim no candidate ever saw is part of n and ends up unexplained."""
    w = World(500)
    w.access("agent-a", range(1, 21), CLEAR)
    res = VictimSetAttribution().attribute(w.index(), victims([1, 2, 3, 4, 5, 6, 400, 401]), 500)
    assert res.victims == 8 and res.ranking[0].victims == 8
    assert res.unexplained == (cid(400), cid(401))


def test_duplicate_victims_count_once() -> None:
    """The same customer twice is one victim."""
    w = World(500)
    w.access("agent-a", range(1, 21), CLEAR)
    vs = victims([1, 2, 3, 4, 5]) + victims([1, 2])
    res = VictimSetAttribution().attribute(w.index(), vs, 500)
    assert res.victims == 5 and res.sources[0].score.explained == 5


def test_random_victims_rarely_accuse_anyone() -> None:
    """Victims unrelated to every candidate name a source in at most alpha of 150 draws."""
    rng = random.Random(7)
    w = World(3000)
    for i in range(60):
        w.access(f"agent-{i}", rng.sample(range(1, 3000), rng.randint(20, 400)), CLEAR)
    idx = w.index()
    scorer = VictimSetAttribution(alpha=0.05)
    accused = sum(
        bool(
            scorer.attribute(
                idx, victims(rng.sample(range(1, 3000), 20), {Knowledge.NAME}), 3000
            ).sources
        )
        for _ in range(150)
    )
    assert accused <= 7  # 5% of 150; Holm over 60 makes it far rarer in practice
