"""Response models shared by several routers, and the page every list route answers.

Each route declares its 2xx body as a pydantic model so the OpenAPI document types it (and the
schemathesis test checks real responses against it). Bodies are still built by the domain's one
serializer (``as_dict``/``to_dict``); the models describe them. They allow fields they do not
name (``extra="allow"``), so that a field a serializer gains reaches clients before the model
names it, rather than being silently dropped by FastAPI's response filtering.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Out(BaseModel):
    """Base of response models."""

    model_config = ConfigDict(extra="allow")


class PageOut(Out, Generic[T]):
    """One page of a list, newest first."""

    items: list[T]
    next_cursor: str | None = Field(
        description="pass as ``cursor`` for the next page; null on the last page"
    )


class CodeReason(Out):
    code: str
    detail: str


class AlertOut(Out):
    """An alert: who, what, how bad, why, and the customers and audit entries it names."""

    alert_id: str
    kind: str
    principal_id: str
    severity: str
    score: float
    status: str
    raised_at: str
    first_at: str | None
    last_at: str | None
    reasons: list[CodeReason]
    customer_ids: list[str]
    audit_seqs: list[int]
    details: dict[str, Any]


class EvidenceOut(Out):
    """Audit entries with RFC 6962 inclusion proofs in the tree of ``tree_size`` entries."""

    tree_size: int
    root_hash: str
    verified: bool
    omitted: int
    entries: list[dict[str, Any]]
