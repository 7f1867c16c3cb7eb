"""What a recognizer finds: a span of text, the kind of data, how sure, and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DataType(StrEnum):
    """The kinds of personal data discover recognizes (``field`` names in masking rules)."""

    NATIONAL_ID = "national_id"  # resident identity card number, GB 11643
    PHONE = "phone"  # mainland mobile or landline
    BANK_CARD = "bank_card"
    PASSPORT = "passport"
    TRAVEL_PERMIT = "travel_permit"  # Hong Kong / Macau (and Taiwan) travel permits
    EMAIL = "email"
    ADDRESS = "address"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Finding:
    """``text[start:end]`` is probably personal data of ``type``; ``reason`` says why, and why
    the confidence (0-1) is what it is. A finding never holds the matched text itself."""

    start: int
    end: int
    type: DataType
    confidence: float
    reason: str

    def shifted(self, offset: int) -> Finding:
        """The same finding in a text that starts ``offset`` characters earlier."""
        return Finding(
            self.start + offset, self.end + offset, self.type, self.confidence, self.reason
        )
