"""Invariants of victim attribution on random small logs: counts within bounds, p-values
ordered by Holm, sources disjoint and covering, and the victims' order irrelevant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shieldwall.trace.attribution.exposure import Candidate, ExposureIndexBuilder, Knowledge
from shieldwall.trace.attribution.victims.input import Victim
from shieldwall.trace.attribution.victims.scoring import VictimSetAttribution

T0 = datetime(2026, 3, 2, tzinfo=UTC)

accesses = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.lists(st.integers(0, 39), min_size=1, max_size=15),
        st.integers(0, 511),
        st.integers(0, 100),
    ),
    min_size=1,
    max_size=25,
)
victim_sets = st.lists(
    st.tuples(
        st.integers(0, 45),
        st.one_of(st.none(), st.integers(0, 120)),
        st.sets(st.sampled_from(list(Knowledge)[1:]), max_size=2),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=80, deadline=None)
@given(accesses, victim_sets, st.sampled_from([0.01, 0.2, 0.9]))
def test_attribution_invariants(
    log: list[tuple[int, list[int], int, int]],
    drawn: list[tuple[int, int | None, set[Knowledge]]],
    alpha: float,
) -> None:
    """Bounds, Holm >= raw, disjoint covering sources, order-independent answer."""
    b = ExposureIndexBuilder()
    for seq, (who, customers, mask, minute) in enumerate(log):
        k = b.candidate(Candidate("principal", f"p{who}"))
        ts = (T0 + timedelta(minutes=minute)).timestamp()
        b.add(seq, ts, [k], [f"C{c}" for c in customers], mask | 1)
    index = b.build()
    victims = [
        Victim(f"C{c}", None if m is None else T0 + timedelta(minutes=m), frozenset(knew))
        for c, m, knew in drawn
    ]
    scorer = VictimSetAttribution(alpha=alpha)
    res = scorer.attribute(index, victims, 50)
    distinct = {v.customer_id for v in victims}
    assert res.victims == len(distinct)
    for s in res.ranking:
        assert 1 <= s.explained <= min(s.exposed, s.victims)
        assert 0.0 <= s.p_value <= 1.0 + 1e-12 and s.p_adjusted >= s.p_value * (1 - 1e-9)
    covered: set[str] = set()
    for src in res.sources:
        assert src.score.p_adjusted < alpha
        assert not covered & set(src.customer_ids)
        covered |= set(src.customer_ids)
    assert covered | set(res.unexplained) == distinct
    assert not covered & set(res.unexplained)
    again = scorer.attribute(index, list(reversed(victims)), 50)
    if len(distinct) == len(victims):  # with repeats the first row's details win
        assert [s.candidate.key for s in again.sources] == [s.candidate.key for s in res.sources]
        assert again.unexplained == res.unexplained
