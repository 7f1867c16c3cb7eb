"""Attribution routes: ``POST /v1/trace/victims``. Admins only: the answer names principals,
releases and customers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shieldwall.api.bounds import Text, Timestamp
from shieldwall.api.deps import require, services
from shieldwall.api.responses import Out
from shieldwall.core.model import Principal, Role
from shieldwall.trace.attribution.victims.input import victim_row
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1/trace", tags=["trace"])

Svc = Annotated[Services, Depends(services)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class VictimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, max_length=64)
    customer_id: str | None = Field(None, max_length=256)
    called_at: Timestamp | None = None
    knew: list[Text] = Field(default_factory=list, max_length=20)


class VictimsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    victims: list[VictimIn] = Field(min_length=1, max_length=100_000)
    examples: StrictInt | None = Field(None, ge=0, le=50)


class VictimsReportOut(Out):
    """The ranking, the greedy explanation with proven audit entries, what stays unexplained."""

    victims: dict[str, Any]
    population: int
    candidates_tested: int
    correction: str
    alpha: float
    ranking: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    unexplained: list[str]
    services: list[dict[str, Any]] = Field(
        description="service principals with a declared purpose that were shown victims:"
        " listed apart, not ranked"
    )
    lead: dict[str, Any] | None = Field(
        description="when nothing is named: the top candidate, most likely but not proven,"
        " and what evidence would settle it"
    )
    index: dict[str, Any]
    query_seconds: float


@router.post("/victims", response_model=VictimsReportOut)
def trace_victims(body: VictimsIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Rank principals and releases by how well their accesses explain these victims, and name
    the sources with their audit entries and RFC 6962 inclusion proofs."""
    rows = [
        victim_row(
            i + 1,
            phone=v.phone,
            customer_id=v.customer_id,
            called_at=v.called_at,
            knew=v.knew,
            where=f"victims.{i}",
        )
        for i, v in enumerate(body.victims)
    ]
    return svc.victims.trace(
        rows, examples=body.examples, requested_by=caller, channel="api"
    ).to_dict()
