"""Discover routes: find personal data in posted text.

``POST /v1/discover/scan`` (roles: admin, analyst, service) answers each finding's span, type,
confidence, reason and MASKED value, and with ``redact`` the text with the values replaced.
The text is at most ``MAX_TEXT`` characters (and the body within ``api.max_body_bytes``); it is
neither stored nor logged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from shieldwall.api.bounds import Flag
from shieldwall.api.deps import require
from shieldwall.api.problems import documented
from shieldwall.api.responses import Out
from shieldwall.core.model import Principal, Role
from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.model import DataType
from shieldwall.discover.report import masked
from shieldwall.discover.stream import Segment

router = APIRouter(prefix="/v1/discover", tags=["discover"])

Scanner = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST, Role.SERVICE))]
MAX_TEXT = 200_000


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT)
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, strict=True)
    types: list[DataType] | None = Field(None, max_length=len(DataType))
    redact: Flag = False


class FindingOut(Out):
    start: int
    end: int
    type: str
    confidence: float
    reason: str
    masked: str


class ScanOut(Out):
    """Findings in text order (they never overlap); ``redacted`` when asked for."""

    findings: list[FindingOut]
    redacted: str | None


@router.post("/scan", response_model=ScanOut, responses=documented(400, 422))
def scan(body: ScanIn, _: Scanner) -> dict[str, Any]:
    """Find personal data in ``text``: spans, types, confidences, reasons and masked values."""
    analyzer = Analyzer(
        min_confidence=body.min_confidence,
        types=frozenset(body.types) if body.types is not None else None,
    )
    findings = analyzer.analyze(body.text)
    return {
        "findings": [
            {
                "start": f.start,
                "end": f.end,
                "type": f.type.value,
                "confidence": f.confidence,
                "reason": f.reason,
                "masked": masked(f.type, body.text[f.start : f.end]),
            }
            for f in findings
        ],
        "redacted": Segment(body.text, 0, tuple(findings)).redacted() if body.redact else None,
    }
