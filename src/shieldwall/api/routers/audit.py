"""Audit routes: checkpoints, entries, inclusion and consistency proofs, alerts."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from shieldwall.api.bounds import Cursor, Id, NonNegative, PageLimit, Positive
from shieldwall.api.deps import principal, require, services
from shieldwall.api.problems import documented
from shieldwall.api.responses import AlertOut, Out, PageOut
from shieldwall.audit.log import checkpoint_to_json
from shieldwall.core.model import Principal, Role
from shieldwall.core.paging import DEFAULT_LIMIT
from shieldwall.custody.errors import AccessDenied, NotFound
from shieldwall.wiring import Services

router = APIRouter(prefix="/v1", tags=["audit"])

Svc = Annotated[Services, Depends(services)]
Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class CheckpointOut(Out):
    """A signed tree head (hashes in base64) and its signed note."""

    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str
    note: str


class PublicKeyOut(Out):
    algorithm: str
    key_id: str
    public_key: str
    verifier_key: str


class EntryOut(Out):
    seq: int
    leaf_hash: str
    entry: dict[str, Any]


class InclusionOut(Out):
    seq: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]


class ConsistencyOut(Out):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@router.get("/audit/checkpoint", response_model=CheckpointOut, responses=documented(404))
def latest_checkpoint(svc: Svc, _: Caller) -> dict[str, Any]:
    """The latest signed tree head; any principal may fetch it (and keep it as a witness)."""
    cp = svc.audit.latest_checkpoint()
    if cp is None:
        raise NotFound("no checkpoint has been signed yet", field="checkpoint")
    return checkpoint_to_json(cp)


@router.post("/audit/checkpoint", status_code=201, response_model=CheckpointOut)
def sign_checkpoint(svc: Svc, _: Admin) -> dict[str, Any]:
    """Sign a checkpoint over the whole log now (admins)."""
    return checkpoint_to_json(svc.audit.checkpoint())


@router.get("/audit/public-key", response_model=PublicKeyOut)
def public_key(svc: Svc, _: Caller) -> dict[str, Any]:
    """The key that signs checkpoints: raw Ed25519 (base64) and as a note verifier key."""
    signer = svc.audit.signer
    return {
        "algorithm": "Ed25519",
        "key_id": signer.key_id,
        "public_key": _b64(signer.public_bytes),
        "verifier_key": signer.verifier.key,
    }


@router.get("/audit/entries/{seq}", response_model=EntryOut)
def entry(seq: NonNegative, svc: Svc, caller: Caller) -> dict[str, Any]:
    """An entry; admins see any, other principals only their own."""
    record = svc.audit.entry(seq)
    if caller.role is not Role.ADMIN and record.event.actor != caller.principal_id:
        raise AccessDenied("you may read only your own audit entries", ["not_own_entry"])
    return {"seq": record.seq, "leaf_hash": _b64(record.leaf_hash), "entry": record.event.to_dict()}


@router.get("/audit/proofs/inclusion", response_model=InclusionOut, responses=documented(404))
def inclusion(
    svc: Svc,
    caller: Caller,
    seq: NonNegative,
    tree_size: Positive | None = None,
) -> dict[str, Any]:
    """An RFC 6962 inclusion proof of entry ``seq`` in the tree of ``tree_size`` entries
    (default: the current size); admins prove any entry, others only their own."""
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


@router.get("/audit/proofs/consistency", response_model=ConsistencyOut)
def consistency(
    svc: Svc,
    _: Caller,
    first: Positive,
    second: Positive | None = None,
) -> dict[str, Any]:
    """An RFC 6962 consistency proof that the tree of ``first`` entries is a prefix of the
    tree of ``second`` (default: the current size)."""
    size, proof = svc.audit.consistency_proof(first, second)
    return {
        "first": first,
        "second": size,
        "first_root": _b64(svc.audit.root(first)),
        "second_root": _b64(svc.audit.root(size)),
        "proof": [_b64(p) for p in proof],
    }


@router.get("/alerts", response_model=PageOut[AlertOut])
def alerts(
    svc: Svc,
    _: Admin,
    principal_id: Id | None = None,
    kind: Id | None = None,
    status: Id | None = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """Alerts, newest first, a page at a time (admins)."""
    page = svc.alerts.page(
        principal_id=principal_id, kind=kind, status=status, limit=limit, cursor=cursor
    )
    return {"items": [a.to_dict() for a in page.items], "next_cursor": page.next_cursor}
