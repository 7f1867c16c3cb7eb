"""The victim-tracing service: resolve the rows, keep the exposure index current, attribute,
prove the evidence against the audit log, and audit the query itself."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.ports import AuditSink
from shieldwall.trace.attribution.errors import InvalidVictims
from shieldwall.trace.attribution.exposure import BITS, AuditExposure, Progress
from shieldwall.trace.attribution.victims.input import (
    CustomerDirectory,
    Unresolved,
    VictimRow,
    resolve,
)
from shieldwall.trace.attribution.victims.scoring import (
    Attribution,
    Source,
    VictimSetAttribution,
)
from shieldwall.trace.watch.evidence import AlertEvidence, ProofSource, evidence_json, prove

# Victim attribution reads customers as this system component (phone lookups through the blind
# index, and the query itself), with the person who asked in ``extra.requested_by``.
VICTIM_DESK = Principal("system:trace-victims", Role.SERVICE, None, "victim attribution")


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
    audit_seq: int | None = None  # the entry that recorded this query (a case opens from it)

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
            # Service principals with a declared purpose: shown some victims, not suspects.
            "services": [s.to_dict() for s in a.services],
            # The first round's top candidate when it is not significant (else null).
            "lead": None if a.lead is None else a.lead.to_dict(),
            "index": {
                "entries": self.index_entries,
                "pairs": self.index_pairs,
                "refresh_seconds": round(self.index_seconds, 4),
            },
            "query_seconds": round(self.query_seconds, 4),
            "audit_seq": self.audit_seq,
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
        result = replace(result, sources=trimmed)
        seq = None
        if self.audit is not None and self.clock is not None:
            logged = self.audit.append(
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
            seq = int(logged[0])
        return VictimReport(
            len(rows),
            result,
            tuple(unresolved),
            evidence,
            index.last_seq + 1,
            index.pairs,
            t1 - t0,
            t2 - t1,
            seq,
        )
