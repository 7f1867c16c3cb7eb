"""What a scan found, where: :class:`Hit`, with the value masked, never shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shieldwall.custody import masking
from shieldwall.discover.model import DataType, Finding
from shieldwall.discover.recognizers import phones


def masked(data_type: DataType, value: str) -> str:
    """``value`` masked by custody's rule for its type (phones normalized first)."""
    if data_type is DataType.PHONE:
        # the recognizer's E.164 form: what custody's normalize.phone gives, without a second
        # phonenumbers.parse of every hit (tests/unit/discover/test_recognizers.py)
        normalized = phones.e164(value)
        if normalized is None:
            return masking.FULL_MASK
        value = normalized
    return masking.mask(data_type.value, value)


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding in one place: ``where`` names the place (line and column, CSV row and
    column, XLSX cell, JSON path) in the kind's own terms."""

    path: str
    where: dict[str, str | int]
    type: DataType
    confidence: float
    reason: str
    masked: str

    @classmethod
    def of(cls, path: str, where: dict[str, str | int], finding: Finding, value: str) -> Hit:
        return cls(
            path,
            where,
            finding.type,
            finding.confidence,
            finding.reason,
            masked(finding.type, value),
        )

    def place(self) -> str:
        """``where`` as one short human-readable phrase (``line 3, column 7``)."""
        return ", ".join(f"{k} {v}" for k, v in self.where.items())

    def to_dict(self) -> dict[str, Any]:
        """The one JSON form of a hit."""
        return {
            "path": self.path,
            **self.where,
            "type": self.type.value,
            "confidence": self.confidence,
            "reason": self.reason,
            "masked": self.masked,
        }


@dataclass(slots=True)
class Summary:
    """Counts per file and type; bytes read."""

    files: int = 0
    bytes: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, hit: Hit) -> None:
        per_file = self.counts.setdefault(hit.path, {})
        per_file[hit.type.value] = per_file.get(hit.type.value, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "bytes": self.bytes, "found": self.counts}
