"""The analyzer: every recognizer over a text, overlaps settled, findings in text order."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from shieldwall.discover.model import DataType, Finding
from shieldwall.discover.recognizers import Recognizer, default_recognizers


def settle(findings: Iterable[Finding]) -> list[Finding]:
    """Keep, of findings that overlap, the most confident (then the longest, then the first
    found); return the kept ones ordered by start. Kept findings never overlap."""
    ranked = sorted(
        enumerate(findings), key=lambda f: (-f[1].confidence, f[1].start - f[1].end, f[0])
    )
    starts: list[int] = []  # kept findings by start; they never overlap, so ends are sorted too
    kept: list[Finding] = []
    for _, finding in ranked:
        i = bisect.bisect_left(starts, finding.start)
        if i > 0 and kept[i - 1].end > finding.start:
            continue
        if i < len(kept) and kept[i].start < finding.end:
            continue
        starts.insert(i, finding.start)
        kept.insert(i, finding)
    return kept


class Analyzer:
    """Runs recognizers over text; ``min_confidence`` drops weaker findings, ``types`` limits
    the kinds reported (None: all)."""

    def __init__(
        self,
        recognizers: Sequence[Recognizer] | None = None,
        *,
        min_confidence: float = 0.0,
        types: frozenset[DataType] | None = None,
    ) -> None:
        self.recognizers = tuple(recognizers or default_recognizers())
        self.min_confidence = min_confidence
        self.types = types

    def analyze(self, text: str) -> list[Finding]:
        found = (
            finding
            for recognizer in self.recognizers
            if self.types is None or recognizer.types & self.types
            for finding in recognizer.find(text)
        )
        return settle(
            f
            for f in found
            if f.confidence >= self.min_confidence and (self.types is None or f.type in self.types)
        )
