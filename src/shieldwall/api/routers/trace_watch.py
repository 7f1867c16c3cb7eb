"""Insider-watch routes: one alert with its evidence (audit entries and inclusion proofs, checked
on the server and returned so the client can check them again), closing an alert, and the
watch's progress. Admins only: an alert names principals and customers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from shieldwall.api.bounds import Id
from shieldwall.api.deps import require, services
from shieldwall.api.responses import AlertOut, EvidenceOut, Out
from shieldwall.core.model import Principal, Role
from shieldwall.custody.errors import NotFound
from shieldwall.trace.watch.evidence import evidence_json, prove_alert
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["trace"])

Svc = Annotated[Services, Depends(services)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class AlertDetailOut(AlertOut):
    evidence: EvidenceOut


class WatchStatusOut(Out):
    enabled: bool
    state_backend: str
    cursor: int | None
    log_size: int
    queue_dropped: int
    errors: int
    detectors: list[str]


@router.get("/alerts/{alert_id}", response_model=AlertDetailOut)
def alert_detail(
    alert_id: Id,
    svc: Svc,
    _: Admin,
    entries: Annotated[int, Query(ge=0, le=500, description="audit entries to prove")] = 20,
) -> dict[str, Any]:
    """An alert with its evidence: the first ``entries`` audit entries it names, each with its
    RFC 6962 inclusion proof in the current tree and whether it verified."""
    alert = svc.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    evidence = prove_alert(svc.audit, alert, limit=entries)
    return {
        **alert.to_dict(),
        "evidence": evidence_json(evidence),
    }


@router.post("/alerts/{alert_id}/close", response_model=AlertOut)
def close_alert(alert_id: Id, svc: Svc, _: Admin) -> dict[str, Any]:
    """Close an alert; if the pattern goes on, the watch opens a new one."""
    if not svc.alerts.set_status(alert_id, "closed"):
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    alert = svc.alerts.get(alert_id)
    assert alert is not None  # noqa: S101 - just updated
    return alert.to_dict()


@router.get("/watch/status", response_model=WatchStatusOut)
def watch_status(svc: Svc, _: Admin) -> dict[str, Any]:
    """How far the insider watch has read the audit log."""
    runner = svc.watch
    return {
        "enabled": svc.settings.trace.watch.enabled,
        "state_backend": svc.settings.state_backend,
        "cursor": runner.cursors.load(runner.name),
        "log_size": svc.audit.size(),
        "queue_dropped": runner.dropped,
        "errors": runner.errors,
        "detectors": list(svc.settings.trace.watch.detectors),
        "alert_delivery": svc.alert_delivery.stats() if svc.alert_delivery else {},
    }
