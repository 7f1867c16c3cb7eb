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
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import hypergeom

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


@dataclass(frozen=True)
class Attribution:
    """The answer: the first round's ranking, the greedy explanation, what stays unexplained."""

    victims: int
    population: int
    candidates_tested: int
    alpha: float
    ranking: tuple[Score, ...]
    sources: tuple[Source, ...]
    unexplained: tuple[str, ...]
    correction: str = "holm"


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
        m = len(index.candidates)
        ranking: tuple[Score, ...] = ()
        sources: list[Source] = []
        for rnd in range(1, self.max_rounds + 1):
            if not remaining or not m:
                break
            scores, positions, hits = self._round(index, remaining, population)
            if rnd == 1:
                ranking = tuple(scores[: self.top])
            if not scores or scores[0].p_adjusted >= self.alpha:
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
        )

    def _round(
        self, index: ExposureIndex, victims: Sequence[Victim], population: int
    ) -> tuple[list[Score], list[int], Explained]:
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
        hit = np.flatnonzero(explained)
        log_p = np.zeros(len(index.candidates))
        if hit.size:
            log_p[hit] = hypergeom.logsf(explained[hit] - 1, population, exposed[hit], n)
        adjusted = _holm(log_p, len(index.candidates))
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
        return scores, order, hits


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
