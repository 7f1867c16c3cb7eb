"""Audit routes: checkpoints, entries, inclusion and consistency proofs, alerts."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from shieldwall.api.bounds import Id, NonNegative, Positive
from shieldwall.api.deps import principal, require, services
from shieldwall.audit.log import checkpoint_to_json
from shieldwall.core.model import Principal, Role
from shieldwall.custody.errors import AccessDenied, NotFound
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["audit"])

Svc = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@router.get("/audit/checkpoint")
def latest_checkpoint(svc: Svc, _: Caller) -> dict[str, Any]:
    """The latest signed tree head; any principal may fetch it (and keep it as a witness)."""
    cp = svc.audit.latest_checkpoint()
    if cp is None:
        raise NotFound("no checkpoint has been signed yet", field="checkpoint")
    return checkpoint_to_json(cp)


@router.post("/audit/checkpoint", status_code=201)
def sign_checkpoint(svc: Svc, _: Admin) -> dict[str, Any]:
    return checkpoint_to_json(svc.audit.checkpoint())


@router.get("/audit/public-key")
def public_key(svc: Svc, _: Caller) -> dict[str, Any]:
    signer = svc.audit.signer
    return {
        "algorithm": "Ed25519",
        "key_id": signer.key_id,
        "public_key": _b64(signer.public_bytes),
        "verifier_key": signer.verifier.key,
    }


@router.get("/audit/entries/{seq}")
def entry(seq: NonNegative, svc: Svc, caller: Caller) -> dict[str, Any]:
    """An entry; admins see any, other principals only their own."""
    record = svc.audit.entry(seq)
    if caller.role is not Role.ADMIN and record.event.actor != caller.principal_id:
        raise AccessDenied("you may read only your own audit entries", ["not_own_entry"])
    return {"seq": record.seq, "leaf_hash": _b64(record.leaf_hash), "entry": record.event.to_dict()}


@router.get("/audit/proofs/inclusion")
def inclusion(
    svc: Svc,
    caller: Caller,
    seq: NonNegative,
    tree_size: Positive | None = None,
) -> dict[str, Any]:
    record = svc.audit.entry(seq)
    if caller.role is not Role.ADMIN and record.event.actor != caller.principal_id:
        raise AccessDenied("you may prove only your own audit entries", ["not_own_entry"])
    size, proof, leaf = svc.audit.inclusion_proof(seq, tree_size)
    return {
        "seq": seq,
        "tree_size": size,
        "leaf_hash": _b64(leaf),
        "root_hash": _b64(svc.audit.root(size)),
        "proof": [_b64(p) for p in proof],
    }


@router.get("/audit/proofs/consistency")
def consistency(
    svc: Svc,
    _: Caller,
    first: Positive,
    second: Positive | None = None,
) -> dict[str, Any]:
    size, proof = svc.audit.consistency_proof(first, second)
    return {
        "first": first,
        "second": size,
        "first_root": _b64(svc.audit.root(first)),
        "second_root": _b64(svc.audit.root(size)),
        "proof": [_b64(p) for p in proof],
    }


@router.get("/alerts")
def alerts(
    svc: Svc,
    _: Admin,
    principal_id: Id | None = None,
    kind: Id | None = None,
    status: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    found = svc.alerts.list(principal_id=principal_id, kind=kind, status=status, limit=limit)
    return {"alerts": [a.to_dict() for a in found]}
