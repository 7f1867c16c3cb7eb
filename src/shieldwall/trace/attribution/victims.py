"""Who leaked, from the customers the scammers reached.

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

import csv
import io
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy.stats import hypergeom

from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.ports import AuditSink
from shieldwall.trace.attribution.errors import InvalidVictims
from shieldwall.trace.attribution.exposure import (
    BITS,
    SEEN_MASK,
    AuditExposure,
    Candidate,
    ExposureIndex,
    Knowledge,
    Progress,
    mask_bits,
)
from shieldwall.trace.watch.evidence import AlertEvidence, ProofSource, evidence_json, prove

# Victim attribution reads customers as this system component (phone lookups through the blind
# index, and the query itself), with the person who asked in ``extra.requested_by``.
VICTIM_DESK = Principal("system:trace-victims", Role.SERVICE, None, "victim attribution")

# What a caller can be said to have known, with the vocabulary of scam reports
# (contact/scam/scrub.py KNEW_KINDS) accepted as aliases.
KNEW: Mapping[str, Knowledge] = {
    "name": Knowledge.NAME,
    "phone": Knowledge.PHONE,
    "email": Knowledge.EMAIL,
    "address": Knowledge.ADDRESS,
    "national_id": Knowledge.NATIONAL_ID,
    "id_number": Knowledge.NATIONAL_ID,
    "items": Knowledge.ITEMS,
    "item": Knowledge.ITEMS,
    "order_items": Knowledge.ITEMS,
    "amount": Knowledge.AMOUNT,
    "order_number": Knowledge.ORDER,
    "order": Knowledge.ORDER,
    "delivery": Knowledge.ORDER,
}
COLUMNS = ("phone", "customer_id", "called_at", "knew")
_SPLIT = re.compile(r"[;|,]+")


@dataclass(frozen=True, slots=True)
class VictimRow:
    """One line of input: a phone or a customer id, when the call came, what the caller knew."""

    row: int
    phone: str | None = None
    customer_id: str | None = None
    called_at: datetime | None = None
    knew: frozenset[Knowledge] = frozenset()


@dataclass(frozen=True, slots=True)
class Victim:
    """A resolved victim: a customer in custody."""

    customer_id: str
    called_at: datetime | None = None
    knew: frozenset[Knowledge] = frozenset()
    row: int = 0

    @property
    def mask(self) -> int:
        m = SEEN_MASK
        for k in self.knew:
            m |= 1 << k
        return m

    @property
    def before(self) -> float:
        return math.inf if self.called_at is None else self.called_at.timestamp()


@dataclass(frozen=True, slots=True)
class Unresolved:
    row: int
    reason: str  # invalid_phone, unknown_phone, phone_matches_several, unknown_customer, ...

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason}


# -- input -----------------------------------------------------------------------------------


def parse_knew(value: Iterable[str] | str, where: str) -> frozenset[Knowledge]:
    items = _SPLIT.split(value.strip()) if isinstance(value, str) else list(value)
    out: set[Knowledge] = set()
    for item in items:
        token = item.strip().lower().replace(" ", "_").replace("-", "_")
        if not token:
            continue
        k = KNEW.get(token)
        if k is None:
            # The token is not echoed: a misplaced column could put a phone here.
            raise InvalidVictims(
                f"has an unknown item; expected some of {', '.join(sorted(KNEW))}", field=where
            )
        out.add(k)
    return frozenset(out)


def parse_called_at(value: str | datetime | None, where: str) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidVictims(
                "is not an ISO 8601 time (2026-03-05T14:30:00+08:00)", field=where
            ) from None
    if when.tzinfo is None:
        raise InvalidVictims("needs a UTC offset (2026-03-05T14:30:00+08:00)", field=where)
    return when


def victim_row(
    row: int,
    *,
    phone: str | None,
    customer_id: str | None,
    called_at: str | datetime | None,
    knew: Iterable[str] | str,
    where: str,
) -> VictimRow:
    return VictimRow(
        row,
        (phone or "").strip() or None,
        (customer_id or "").strip() or None,
        parse_called_at(called_at, f"{where}.called_at"),
        parse_knew(knew, f"{where}.knew"),
    )


def parse_csv(data: bytes, *, max_rows: int) -> list[VictimRow]:
    """Read a victims CSV (UTF-8, a header naming some of :data:`COLUMNS`, one of ``phone`` or
    ``customer_id`` required). Errors name the column or row, never a value."""
    if b"\x00" in data:
        raise InvalidVictims("is not CSV text (binary data)", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidVictims("is not UTF-8 text", field="file") from None
    if not text.strip():
        raise InvalidVictims("is empty", field="file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
        unknown = [i + 1 for i, h in enumerate(header) if h not in COLUMNS]
        if unknown:
            raise InvalidVictims(
                f"unknown column at position {', '.join(map(str, unknown))};"
                f" expected a header with some of {', '.join(COLUMNS)}",
                field="file",
            )
        if len(set(header)) != len(header):
            raise InvalidVictims("a column appears twice in the header", field="file")
        if "phone" not in header and "customer_id" not in header:
            raise InvalidVictims("needs a phone or a customer_id column", field="file")
        rows: list[VictimRow] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            n = reader.line_num
            if len(cells) > len(header):
                raise InvalidVictims("has more cells than the header has columns", field=f"row {n}")
            if len(rows) >= max_rows:
                raise InvalidVictims(f"has more than {max_rows} victims", field="file")
            got = dict(zip(header, cells, strict=False))
            rows.append(
                victim_row(
                    n,
                    phone=got.get("phone"),
                    customer_id=got.get("customer_id"),
                    called_at=got.get("called_at"),
                    knew=got.get("knew", ""),
                    where=f"row {n}",
                )
            )
    except csv.Error:
        raise InvalidVictims("is not valid CSV", field="file") from None
    if not rows:
        raise InvalidVictims("has a header but no victims", field="file")
    return rows


# -- scoring ---------------------------------------------------------------------------------


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


# -- the service -----------------------------------------------------------------------------


class CustomerDirectory(Protocol):
    """Custody as attribution sees it: phones to customers through the blind index (audited),
    which customer ids exist, how many customers there are. Nothing is decrypted."""

    def valid_phone(self, phone: str) -> bool: ...

    def by_phone(self, phone: str) -> list[str]: ...

    def existing(self, customer_ids: Sequence[str]) -> set[str]: ...

    def population(self) -> int: ...


def resolve(
    rows: Sequence[VictimRow], directory: CustomerDirectory
) -> tuple[list[Victim], list[Unresolved]]:
    """Victims for the rows that name one customer in custody; the others with a reason.

    A row with a customer id is taken by its id (its phone, if any, is not looked up). A phone
    that matches several customers is not guessed at.
    """
    unresolved: list[Unresolved] = []
    found: list[tuple[VictimRow, str]] = []
    for r in rows:
        if r.customer_id is not None:
            found.append((r, r.customer_id))
        elif r.phone is None:
            unresolved.append(Unresolved(r.row, "no_phone_or_customer_id"))
        elif not directory.valid_phone(r.phone):
            unresolved.append(Unresolved(r.row, "invalid_phone"))
        else:
            ids = directory.by_phone(r.phone)
            if not ids:
                unresolved.append(Unresolved(r.row, "unknown_phone"))
            elif len(ids) > 1:
                unresolved.append(Unresolved(r.row, "phone_matches_several_customers"))
            else:
                found.append((r, ids[0]))
    known = directory.existing([cid for _, cid in found]) if found else set()
    victims: list[Victim] = []
    seen: set[str] = set()
    for r, cid in found:
        if cid not in known:
            unresolved.append(Unresolved(r.row, "unknown_customer"))
        elif cid in seen:
            unresolved.append(Unresolved(r.row, "duplicate"))
        else:
            seen.add(cid)
            victims.append(Victim(cid, r.called_at, r.knew, r.row))
    unresolved.sort(key=lambda u: u.row)
    return victims, unresolved


@dataclass(frozen=True)
class VictimReport:
    """What ``trace victims`` answers: the ranking, the explanation with proven audit entries,
    the rows that did not resolve, and how long the index and the query took."""

    rows: int
    attribution: Attribution
    unresolved: tuple[Unresolved, ...]
    evidence: Mapping[str, AlertEvidence]  # candidate key -> proven example entries
    index_entries: int
    index_pairs: int
    index_seconds: float
    query_seconds: float

    def to_dict(self) -> dict[str, Any]:
        a = self.attribution
        sources = []
        for s in a.sources:
            ev = self.evidence.get(s.score.candidate.key)
            examples = [
                {"customer_id": c, "audit_seqs": list(seqs)} for c, seqs in s.evidence.items()
            ]
            sources.append(
                {
                    "round": s.round,
                    **s.score.to_dict(),
                    "customer_ids": list(s.customer_ids),
                    "examples": examples,
                    "evidence": None if ev is None else _evidence_json(ev),
                }
            )
        return {
            "victims": {
                "rows": self.rows,
                "resolved": a.victims,
                "unresolved": [u.to_dict() for u in self.unresolved],
            },
            "population": a.population,
            "candidates_tested": a.candidates_tested,
            "correction": a.correction,
            "alpha": a.alpha,
            "ranking": [{"rank": i + 1, **s.to_dict()} for i, s in enumerate(a.ranking)],
            "sources": sources,
            "unexplained": list(a.unexplained),
            "index": {
                "entries": self.index_entries,
                "pairs": self.index_pairs,
                "refresh_seconds": round(self.index_seconds, 4),
            },
            "query_seconds": round(self.query_seconds, 4),
        }


def _evidence_json(ev: AlertEvidence) -> dict[str, Any]:
    return evidence_json(ev)


class VictimTracer:
    """Resolves victims, keeps the exposure index current, attributes, and proves the evidence."""

    def __init__(
        self,
        exposure: AuditExposure,
        directory: CustomerDirectory,
        proofs: ProofSource,
        *,
        alpha: float = 0.01,
        max_rounds: int = 5,
        top: int = 10,
        examples: int = 3,
        max_victims: int = 10_000,
        audit: AuditSink | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.audit = audit
        self.clock = clock
        self.exposure = exposure
        self.directory = directory
        self.proofs = proofs
        self.scorer = VictimSetAttribution(alpha=alpha, max_rounds=max_rounds, top=top)
        self.examples = examples
        self.max_victims = max_victims

    def trace(
        self,
        rows: Sequence[VictimRow],
        *,
        examples: int | None = None,
        progress: Progress | None = None,
        requested_by: Principal | None = None,
        channel: str = "api",
    ) -> VictimReport:
        """Attribute ``rows``; the query itself is audited (who asked, which customers, which
        sources it named) as :data:`VICTIM_DESK` with the caller in ``extra.requested_by``."""
        if not rows:
            raise InvalidVictims("names no victims", field="victims")
        if len(rows) > self.max_victims:
            raise InvalidVictims(f"has more than {self.max_victims} victims", field="victims")
        victims, unresolved = resolve(rows, self.directory)
        t0 = time.perf_counter()
        index = self.exposure.refresh(progress) if progress else self.exposure.refresh()
        t1 = time.perf_counter()
        result = self.scorer.attribute(index, victims, self.directory.population())
        t2 = time.perf_counter()
        keep = self.examples if examples is None else examples
        evidence: dict[str, AlertEvidence] = {}
        for s in result.sources:
            seqs = sorted({q for ex in list(s.evidence.values())[:keep] for q in ex if q >= 0})
            if keep:
                evidence[s.score.candidate.key] = prove(self.proofs, seqs, limit=keep * BITS)
        trimmed = tuple(
            Source(s.round, s.score, s.customer_ids, dict(list(s.evidence.items())[:keep]))
            for s in result.sources
        )
        result = Attribution(
            result.victims,
            result.population,
            result.candidates_tested,
            result.alpha,
            result.ranking,
            trimmed,
            result.unexplained,
        )
        if self.audit is not None and self.clock is not None:
            self.audit.append(
                [
                    access_event(
                        self.clock.now(),
                        VICTIM_DESK,
                        Action.LOOKUP,
                        Decision.ALLOW,
                        "victim_trace_query",
                        channel=channel,
                        purpose="investigation",
                        customer_ids=sorted({v.customer_id for v in victims}),
                        extra={
                            "by": "victims",
                            "requested_by": requested_by.principal_id if requested_by else "",
                            "victims": str(len(rows)),
                            "sources": ",".join(s.score.candidate.key for s in result.sources),
                        },
                    )
                ]
            )
        return VictimReport(
            len(rows),
            result,
            tuple(unresolved),
            evidence,
            index.last_seq + 1,
            index.pairs,
            t1 - t0,
            t2 - t1,
        )
