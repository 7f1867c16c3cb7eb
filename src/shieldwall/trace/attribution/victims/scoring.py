"""Scoring a victim set: which candidate sources explain the victims, and how improbably.

Given the victims of a scam wave (each a customer, when the call came, and what the caller
knew), :class:`VictimSetAttribution` ranks every candidate source in the
:class:`~shieldwall.trace.attribution.exposure.ExposureIndex` (principals and releases) by how
improbable its overlap with the victims would be by chance, then explains the victims greedily.

Method
------
A candidate *explains* a victim when, before the call, it had been shown every item the caller
knew (in a view that reveals it: a masked phone does not explain a caller who knew the number).
Under the null hypothesis the victims are a random draw of ``n`` of the ``N`` customers in
custody, unrelated to the candidate; the number of them a candidate that was shown ``K``
customers explains is then hypergeometric, and its p-value is the upper tail
``P(X >= k) = hypergeom.sf(k - 1, N, K, n)``.

``K`` must not depend on one victim, so it is counted with the *loosest* restriction of the set
(the items every victim's caller knew, up to the latest call). Each victim's own restriction can
only lower ``k``, so the p-value is conservative: if the victims are drawn independently of the
candidate, ``P(p <= a) <= a``.

Every candidate in the index is a test; p-values are adjusted with **Holm's** step-down method
(Holm 1979), which controls the family-wise error rate like Bonferroni and is never less powerful.

When two sources leaked, the victims are a mixture. The explanation is a greedy set cover: take
the candidate with the smallest p-value if its adjusted p-value is below ``alpha``, remove the
victims it explains, score every candidate again on the rest, and stop when none is
significant. Each round is corrected for all candidates again; rounds are not jointly corrected
(after the first, a round tests a different victim set chosen by the previous one), so a later
source is reported with the p-value of its own round.

Service principals with a declared purpose (:attr:`ExposureIndex.services`: the warnings sender
decrypts every victim's phone to warn them) are not tests: they are left out of the ranking, of
Holm's ``m`` and of the explanation, and listed apart with how many victims they had been shown
(:class:`ServiceAccess`).

When the first round's top candidate is not significant, the answer says so without naming it
(:class:`Lead`, "most likely, not proven") and computes what would settle it: the smallest
victim set, with victims explained at the observed rate, whose Holm-adjusted p-value for that
candidate would fall below ``alpha`` (:func:`victims_needed`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shieldwall.trace.attribution.exposure import (
    SEEN_MASK,
    Candidate,
    ExposureIndex,
    mask_bits,
)
from shieldwall.trace.attribution.victims.input import Victim


@dataclass(frozen=True, slots=True)
class Score:
    """One candidate's test in one round."""

    candidate: Candidate
    explained: int  # k: victims it explains
    exposed: int  # K: customers it was shown, under the set's loosest restriction
    victims: int  # n
    population: int  # N
    log_p: float  # natural log of the hypergeometric upper tail
    log_p_adjusted: float  # after Holm

    @property
    def p_value(self) -> float:
        return math.exp(self.log_p)

    @property
    def p_adjusted(self) -> float:
        return min(1.0, math.exp(self.log_p_adjusted))

    @property
    def expected(self) -> float:
        return self.victims * self.exposed / self.population if self.population else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.candidate.to_dict(),
            "explained": self.explained,
            "exposed": self.exposed,
            "expected": round(self.expected, 6),
            "p_value": self.p_value,
            "log10_p": self.log_p / math.log(10),
            "p_adjusted": self.p_adjusted,
        }


@dataclass(frozen=True, slots=True)
class Source:
    """A round of the greedy explanation: a significant candidate and the victims it explains,
    with the audit entries that showed each victim's known items (``evidence[customer]``)."""

    round: int
    score: Score
    customer_ids: tuple[str, ...]
    evidence: Mapping[str, tuple[int, ...]]

    @property
    def candidate(self) -> Candidate:
        return self.score.candidate


@dataclass(frozen=True, slots=True)
class ServiceAccess:
    """A service principal with a declared purpose that had been shown some of the victims
    before their calls: listed apart, not ranked (no p-value, never a source)."""

    candidate: Candidate
    purposes: tuple[str, ...]
    explained: int
    exposed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.candidate.to_dict(),
            "purposes": list(self.purposes),
            "explained": self.explained,
            "exposed": self.exposed,
        }


@dataclass(frozen=True, slots=True)
class Lead:
    """The first round's top candidate when it is not significant: most likely, not proven.

    ``victims_needed`` is the smallest victim set (this one included) that would name it at
    ``alpha`` if further victims were explained at the observed rate, None when no number would
    (its rate is too close to chance). ``more_victims`` is how many that is beyond this set.
    """

    score: Score
    victims_needed: int | None
    alpha: float

    @property
    def more_victims(self) -> int | None:
        return None if self.victims_needed is None else self.victims_needed - self.score.victims

    def settle(self) -> list[str]:
        """What evidence would settle it, in words."""
        out: list[str] = []
        s = self.score
        if self.victims_needed is not None:
            out.append(
                f"about {self.more_victims} more victims explained at the observed rate"
                f" ({s.explained} of {s.victims}) would name it at alpha {self.alpha:g}"
            )
        else:
            out.append(
                f"more victims at the observed rate ({s.explained} of {s.victims}) would not"
                " name it: its exposure is too broad for that rate"
            )
        if s.candidate.kind == "release":
            out.append("the leaked file would settle it by the release's fingerprint (trace file)")
        else:
            out.append(
                "the leaked file would settle it if it came through a release or an export"
                " (trace file); otherwise the candidate's audit entries are where to look"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": "most likely, not proven",
            **self.score.to_dict(),
            "victims_needed": self.victims_needed,
            "more_victims": self.more_victims,
            "settle": self.settle(),
        }


@dataclass(frozen=True)
class Attribution:
    """The answer: the first round's ranking, the greedy explanation, what stays unexplained,
    the service principals listed apart, and the unproven lead when nothing was named first."""

    victims: int
    population: int
    candidates_tested: int
    alpha: float
    ranking: tuple[Score, ...]
    sources: tuple[Source, ...]
    unexplained: tuple[str, ...]
    correction: str = "holm"
    services: tuple[ServiceAccess, ...] = ()
    lead: Lead | None = None


def victims_needed(
    explained: int,
    victims: int,
    exposed: int,
    population: int,
    tests: int,
    alpha: float,
    *,
    limit: int = 100_000,
) -> int | None:
    """The smallest victim count ``n' >= victims`` at which a candidate explaining
    ``floor(explained * n' / victims)`` of them (the observed rate) would have a Holm-adjusted
    p-value ``tests * P(X >= k')`` below ``alpha``, with ``X ~ Hypergeometric(population,
    exposed, n')`` (as the smallest p-value of the family, its Holm factor is ``tests``).

    None when no ``n'`` up to ``min(population, limit)`` does: a rate at or below chance, or an
    exposure so broad that even the whole store would not separate it.
    """
    if victims <= 0 or explained <= 0 or tests <= 0:
        return None
    top = min(population, limit)
    if top < victims:
        return None
    from scipy.stats import hypergeom  # noqa: PLC0415 - a slow import, paid only when used

    bound = math.log(alpha) - math.log(tests)
    start, size = victims, 16
    while start <= top:  # ascending blocks, first hit wins: the same answer as one pass
        n = np.arange(start, min(top, start + size - 1) + 1, dtype=np.int64)
        k = np.minimum((explained * n) // victims, min(exposed, population))
        k = np.minimum(k, n)
        log_p = hypergeom.logsf(k - 1, population, exposed, n)
        ok = np.flatnonzero((k > 0) & (log_p < bound))
        if ok.size:
            return int(n[ok[0]])
        start, size = start + size, size * 2
    return None


class VictimSetAttribution:
    """Scores candidates against a victim set over an :class:`ExposureIndex` (pure, no I/O)."""

    def __init__(self, *, alpha: float = 0.01, max_rounds: int = 5, top: int = 10) -> None:
        self.alpha = alpha
        self.max_rounds = max_rounds
        self.top = top

    def attribute(
        self, index: ExposureIndex, victims: Sequence[Victim], population: int
    ) -> Attribution:
        unique: dict[str, Victim] = {}
        for v in victims:
            unique.setdefault(v.customer_id, v)
        remaining = list(unique.values())
        population = max(population, len(index.customer_ids), len(remaining))
        m = len(index.candidates) - len(index.services)
        ranking: tuple[Score, ...] = ()
        services: tuple[ServiceAccess, ...] = ()
        lead: Lead | None = None
        sources: list[Source] = []
        for rnd in range(1, self.max_rounds + 1):
            if not remaining or not len(index.candidates):
                break
            scores, positions, hits, services_seen = self._round(index, remaining, population)
            if rnd == 1:
                ranking = tuple(scores[: self.top])
                services = services_seen
            if not scores or scores[0].p_adjusted >= self.alpha:
                if rnd == 1 and scores and scores[0].explained > scores[0].expected:
                    top = scores[0]
                    needed = victims_needed(
                        top.explained, top.victims, top.exposed, population, m, self.alpha
                    )
                    lead = Lead(top, needed, self.alpha)
                break
            best = scores[0]
            covered = hits.of(index, positions[0], remaining)
            sources.append(
                Source(
                    rnd,
                    best,
                    tuple(sorted(covered)),
                    {c: covered[c] for c in sorted(covered)},
                )
            )
            remaining = [v for v in remaining if v.customer_id not in covered]
        return Attribution(
            victims=len(unique),
            population=population,
            candidates_tested=m,
            alpha=self.alpha,
            ranking=ranking,
            sources=tuple(sources),
            unexplained=tuple(sorted(v.customer_id for v in remaining)),
            services=services,
            lead=lead,
        )

    def _round(
        self, index: ExposureIndex, victims: Sequence[Victim], population: int
    ) -> tuple[list[Score], list[int], Explained, tuple[ServiceAccess, ...]]:
        n = len(victims)
        loosest = SEEN_MASK
        common = ~0
        for v in victims:
            common &= v.mask
        loosest |= common
        latest = max(v.before for v in victims)
        exposed = index.exposed_counts(loosest, latest)
        # Every (victim, candidate) pair at once, victims grouped by what their callers knew.
        spans = [(i, index.rows_of(v.customer_id)) for i, v in enumerate(victims)]
        spans = [(i, r) for i, r in spans if r.stop > r.start]
        rows = np.concatenate([np.arange(r.start, r.stop) for _, r in spans] or [np.empty(0, int)])
        owner = np.repeat(
            np.array([i for i, _ in spans], dtype=np.int64),
            [r.stop - r.start for _, r in spans],
        )
        masks = np.array([v.mask for v in victims], dtype=np.int64)[owner]
        ready = np.empty(rows.size)
        for mask in np.unique(masks).tolist():
            sel = masks == mask
            ready[sel] = index.ready_at(rows[sel], int(mask))
        before = np.array([v.before for v in victims])[owner]
        ok = ready < before
        hits = Explained(rows[ok], owner[ok])
        explained = np.bincount(
            index.pair_candidate[hits.rows], minlength=len(index.candidates)
        ).astype(np.int64)
        service = np.zeros(len(index.candidates), dtype=bool)
        service[list(index.services)] = True
        services = tuple(
            ServiceAccess(
                index.candidates[c],
                index.services[c],
                int(explained[c]),
                int(exposed[c]),
            )
            for c in sorted(index.services, key=lambda c: (-explained[c], index.candidates[c].key))
            if explained[c]
        )
        hit = np.flatnonzero((explained > 0) & ~service)
        tested = np.flatnonzero(~service)
        log_p = np.zeros(len(index.candidates))
        if hit.size:
            from scipy.stats import hypergeom  # noqa: PLC0415 - a slow import, paid only when used

            log_p[hit] = hypergeom.logsf(explained[hit] - 1, population, exposed[hit], n)
        adjusted = np.zeros(len(index.candidates))
        adjusted[tested] = _holm(log_p[tested], int(tested.size))
        order = sorted(
            hit.tolist(),
            key=lambda c: (
                log_p[c],
                -explained[c],
                exposed[c],
                index.candidates[c].kind != "release",
                index.candidates[c].key,
            ),
        )
        scores = [
            Score(
                index.candidates[c],
                int(explained[c]),
                int(exposed[c]),
                n,
                population,
                float(log_p[c]),
                float(adjusted[c]),
            )
            for c in order
        ]
        return scores, order, hits, services


@dataclass(frozen=True, slots=True)
class Explained:
    """The (pair row, victim position) couples where a candidate explains a victim."""

    rows: npt.NDArray[np.int64]
    victims: npt.NDArray[np.int64]

    def of(
        self, index: ExposureIndex, candidate: int, victims: Sequence[Victim]
    ) -> dict[str, tuple[int, ...]]:
        """The victims ``candidate`` explains, each with the audit entries that showed it."""
        mine = index.pair_candidate[self.rows] == candidate
        out: dict[str, tuple[int, ...]] = {}
        for row, vi in zip(self.rows[mine].tolist(), self.victims[mine].tolist(), strict=True):
            v = victims[vi]
            out[v.customer_id] = tuple(
                sorted({int(index.first_seq[b, row]) for b in mask_bits(v.mask)})
            )
        return dict(sorted(out.items()))


def _holm(log_p: npt.NDArray[np.float64], m: int) -> npt.NDArray[np.float64]:
    """Holm step-down adjusted p-values, on the log scale: ``max_{j<=i} (m - j) p_(j)``."""
    order = np.argsort(log_p, kind="stable")
    factors = np.log(np.maximum(1, m - np.arange(order.size)))
    stepped = np.maximum.accumulate(log_p[order] + factors)
    out = np.empty_like(log_p)
    out[order] = np.minimum(stepped, 0.0)
    return out
