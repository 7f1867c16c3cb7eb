"""Release routes: create a release (grant, marks, canaries; the file comes back in the
response), list and show releases, resolve a trap contact; and attribute a leaked file.
Admins only: releases name recipients and customers."""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.concurrency import run_in_threadpool

from shieldwall.api.bounds import Cursor, Id, PageLimit
from shieldwall.api.deps import require, services
from shieldwall.api.problems import documented
from shieldwall.api.responses import Out, PageOut
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import DEFAULT_LIMIT
from shieldwall.trace.attribution.leakparse import LeakFileError
from shieldwall.trace.releases.service import ReleaseRequest
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["trace"])

Svc = Annotated[Services, Depends(services)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient_id: str = Field(max_length=64)
    customer_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=10_000_000
    )
    optional_ids: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=10_000_000
    )
    fields: list[Annotated[str, Field(max_length=32)]] = Field(max_length=16)
    kind: Literal["export", "manifest", "extract"] = "export"
    format: Literal["csv", "json", "xlsx"] = "csv"
    canaries: StrictInt | None = Field(None, ge=0, le=10_000)
    note: str = Field("", max_length=500)


class ReleaseOut(Out):
    """A release: who received which fields of how many customers, with what marks."""

    release_id: str
    recipient_id: str
    recipient_role: str
    purpose: str
    kind: str
    fields: list[str]
    columns: dict[str, str]
    format: str
    rows: int
    records: int
    optional_pool: int
    optional_included: int
    canaries: int
    marked: bool
    file_sha256: str
    created_by: str
    created_at: str
    note: str


class FileOut(Out):
    name: str
    media_type: str
    sha256: str
    content_base64: str


class CreatedReleaseOut(Out):
    release: ReleaseOut
    grants: int
    file: FileOut


class CanaryOut(Out):
    kind: str
    release: ReleaseOut


class LeakReportOut(Out):
    """Which recipients a leaked file points to, with the statistics behind each accusation."""

    format: str
    rows_read: int
    rows_identified: int
    rows_matched: int
    customers_matched: int
    customers_unreleased: int
    canary_rows: int
    channels_observed: dict[str, int]
    channels_erased: list[str]
    threshold: float
    recipients_considered: int
    family_wise_bound: float
    accused: list[str]
    recipients: list[dict[str, Any]]
    audit_seq: int | None
    method: str


@router.post(
    "/releases", status_code=201, response_model=CreatedReleaseOut, responses=documented(404)
)
def create_release(body: ReleaseIn, svc: Svc, caller: Admin) -> dict[str, Any]:
    """Record, grant and mark a release; the export file is returned base64-encoded (it is not
    kept on the server)."""
    created = svc.releases.create(
        ReleaseRequest(
            recipient_id=body.recipient_id,
            customer_ids=body.customer_ids,
            optional_ids=body.optional_ids,
            fields=body.fields,
            kind=body.kind,
            file_format=body.format,
            canaries=body.canaries,
            note=body.note,
        ),
        actor=caller,
        channel="api",
    )
    r = created.release
    return {
        "release": r.as_dict(),
        "grants": created.grant_count,
        "file": {
            "name": f"{r.release_id}{created.file.suffix}",
            "media_type": created.file.media_type,
            "sha256": created.file.sha256,
            "content_base64": base64.b64encode(created.file.content).decode(),
        },
    }


@router.get("/releases", response_model=PageOut[ReleaseOut])
def list_releases(
    svc: Svc,
    _: Admin,
    recipient_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """Releases, newest first, a page at a time."""
    page = svc.releases.page(recipient_id, limit, cursor)
    return {"items": [r.as_dict() for r in page.items], "next_cursor": page.next_cursor}


@router.get("/releases/canary", response_model=CanaryOut, responses=documented(404))
def canary(
    svc: Svc, _: Admin, contact: Annotated[str, Query(min_length=3, max_length=320)]
) -> dict[str, Any]:
    """The release a trap phone number or e-mail address was issued in."""
    match = svc.releases.canary(contact)
    return {"kind": match.kind, "release": match.release.as_dict()}


@router.get("/releases/{release_id}", response_model=ReleaseOut)
def show_release(release_id: Id, svc: Svc, _: Admin) -> dict[str, Any]:
    """One release."""
    return svc.releases.get(release_id).as_dict()


@router.post("/trace/file", response_model=LeakReportOut)
async def trace_file(
    request: Request,
    svc: Svc,
    caller: Admin,
    format: Annotated[Literal["csv", "json", "xlsx", "text"] | None, Query()] = None,
) -> dict[str, Any]:
    """Attribute a leaked file sent as the raw request body (any content type). The body is
    streamed to a private temporary file, read row by row, and deleted."""
    limit = svc.settings.trace.releases.max_upload_bytes
    fd, name = tempfile.mkstemp(prefix="shieldwall-leak-", suffix=".upload")
    path = Path(name)
    try:
        total = 0
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    raise LeakFileError(f"the file exceeds {limit} bytes", field="file")
                await run_in_threadpool(out.write, chunk)
        report = await run_in_threadpool(
            svc.leak_trace.trace, path, file_format=format, actor=caller, channel="api"
        )
        return report.as_dict()
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
