"""Lookalike domains over HTTP: ``POST /v1/domains/check`` (any authenticated principal).

Request: ``{"names": ["jd-kefu.com", "https://jd.com@x.top/"], "brands": ["jd.com"]}``; ``brands``
(official domains) is optional and replaces the configured brands file for this call. Response:
``{"results": [...]}``, one entry per name in order: the verdict fields of the CLI, or
``{"input", "error"}`` for a name that is not a domain or URL (the others are still judged).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shieldwall.api.deps import principal, services
from shieldwall.api.responses import Out
from shieldwall.config import DomainSettings
from shieldwall.contact.domains.brands import BrandBook, brands_from_domains, load_brands_file
from shieldwall.contact.domains.errors import BrandsFileError, DomainError, InvalidObservedName
from shieldwall.contact.domains.scanner import LookalikeScanner
from shieldwall.contact.domains.stream import safe_repr
from shieldwall.core.errors import ConfigError
from shieldwall.core.model import Principal
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["contact"])

Svc = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(principal)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
MAX_NAMES = 1000


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    names: list[Name] = Field(min_length=1, max_length=MAX_NAMES)
    brands: list[Annotated[str, StringConstraints(max_length=253)]] | None = Field(
        None, max_length=100, description="official domains to protect instead of the configured"
    )


class CheckOut(Out):
    results: list[dict[str, Any]] = Field(
        description="one per name, in order: a verdict (official, lookalike or clean with"
        " brand, techniques, score, reasons), or {input, error} for a name that is not a domain"
    )


@functools.lru_cache(maxsize=16)
def _scanner(settings: DomainSettings, brands: tuple[str, ...]) -> LookalikeScanner:
    """Scanners are built once per (settings, brands): building one takes ~0.3 s."""
    if brands:
        try:
            book = brands_from_domains(brands)
        except BrandsFileError as exc:
            raise DomainError(exc.reason, field="brands", code="invalid_input") from exc
    elif settings.brands_file is not None:
        try:
            book = load_brands_file(settings.brands_file)
        except BrandsFileError as exc:
            raise ConfigError(str(exc), field="contact.domains.brands_file") from exc
    else:
        book = BrandBook(())
    if not book.brands:
        raise DomainError(
            "no protected brands: configure contact.domains.brands_file or pass brands",
            field="brands",
            code="invalid_input",
        )
    return LookalikeScanner(book, settings)


@router.post("/domains/check", response_model=CheckOut)
def check(body: CheckRequest, svc: Svc, _: Caller) -> dict[str, Any]:
    """Judge each name: official, lookalike (brand, techniques, score, reasons) or clean."""
    scanner = _scanner(svc.settings.contact.domains, tuple(body.brands or ()))
    results: list[dict[str, object]] = []
    for name in body.names:
        try:
            results.append(scanner.scan(name).as_dict())
        except InvalidObservedName as exc:
            results.append({"input": safe_repr(name), "error": exc.reason})
    return {"results": results}
