"""Proof files: what ``shieldwall audit proof --out`` writes and ``audit verify-proof`` checks.

A proof file is JSON (hashes in standard base64, as in the checkpoint note)::

    {"format": "shieldwall-audit-proof/1",
     "tree_size": 120,                       # the checkpoint's size
     "root_hash": "...",                     # the checkpoint's root (informative)
     "inclusion": {"seq": 5, "leaf_hash": "...", "entry": "<the entry's canonical JSON>",
                   "path": ["...", ...]},    # RFC 6962 PATH(seq, D[0:tree_size])
     "consistency": {"old_size": 100, "old_root": "...",
                     "path": ["...", ...]}}  # RFC 6962 PROOF(old_size, D[0:tree_size])

Either part may be left out. :func:`check_proof` needs only the file, the checkpoint (a signed
note) and the log's verifier key: no database and no shieldwall home. It checks the note's
signature, that ``entry`` hashes to ``leaf_hash`` (RFC 6962 leaf hash), that ``path`` puts the
leaf at ``seq`` under the checkpoint's root, and that ``old_root`` (optionally an older
checkpoint's) is a prefix of the checkpoint's tree.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shieldwall.audit import merkle
from shieldwall.audit.checkpoint import CheckpointVerifier
from shieldwall.audit.errors import ProofError
from shieldwall.audit.ports import Checkpoint

FORMAT = "shieldwall-audit-proof/1"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def build(
    checkpoint: Checkpoint,
    *,
    seq: int | None = None,
    leaf_hash: bytes | None = None,
    entry: bytes | None = None,
    path: Sequence[bytes] = (),
    old_size: int | None = None,
    old_root: bytes | None = None,
    consistency: Sequence[bytes] = (),
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": FORMAT,
        "tree_size": checkpoint.tree_size,
        "root_hash": _b64(checkpoint.root_hash),
    }
    if seq is not None and leaf_hash is not None:
        doc["inclusion"] = {
            "seq": seq,
            "leaf_hash": _b64(leaf_hash),
            **({"entry": entry.decode()} if entry is not None else {}),
            "path": [_b64(p) for p in path],
        }
    if old_size is not None and old_root is not None:
        doc["consistency"] = {
            "old_size": old_size,
            "old_root": _b64(old_root),
            "path": [_b64(p) for p in consistency],
        }
    return doc


@dataclass(frozen=True, slots=True)
class ProofCheck:
    checkpoint: Checkpoint
    passed: tuple[str, ...]
    failed: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failed and bool(self.passed)


def _hash(value: object, where: str) -> bytes:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except binascii.Error:
        raise ProofError(f"{where} is not base64", field=where) from None
    if len(raw) != 32:
        raise ProofError(f"{where} is not a SHA-256 hash", field=where)
    return raw


def _int(doc: dict[str, Any], key: str, where: str) -> int:
    value = doc.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{where}.{key} must be a non-negative integer", field=f"{where}.{key}")
    return value


def _path(doc: dict[str, Any], where: str) -> list[bytes]:
    value = doc.get("path")
    if not isinstance(value, list):
        raise ProofError(f"{where}.path must be a list", field=f"{where}.path")
    return [_hash(p, f"{where}.path") for p in value]


def check_proof(
    note: str,
    proof: object,
    verifier: CheckpointVerifier,
    *,
    old_note: str | None = None,
) -> ProofCheck:
    """Check ``proof`` (a parsed proof file) against the checkpoint ``note`` signed by
    ``verifier``'s key (and, for a consistency proof, the older checkpoint ``old_note``)."""
    cp = verifier.open(note)
    if not isinstance(proof, dict) or proof.get("format") != FORMAT:
        raise ProofError(f"not a proof file (format {FORMAT})", field="format")
    passed, failed = [f"checkpoint signed by {verifier.key.split('+')[0]}"], []
    if _int(proof, "tree_size", "proof") != cp.tree_size:
        failed.append(f"the proof is for size {proof['tree_size']}, the checkpoint {cp.tree_size}")
    inclusion = proof.get("inclusion")
    if isinstance(inclusion, dict):
        seq = _int(inclusion, "seq", "inclusion")
        leaf = _hash(inclusion.get("leaf_hash"), "inclusion.leaf_hash")
        entry = inclusion.get("entry")
        if isinstance(entry, str):
            if merkle.leaf_hash(entry.encode()) == leaf:
                passed.append(f"entry {seq} hashes to its leaf hash")
            else:
                failed.append(f"entry {seq} does not hash to its leaf hash (edited)")
        path = _path(inclusion, "inclusion")
        if merkle.verify_inclusion(leaf, seq, cp.tree_size, path, cp.root_hash):
            passed.append(f"entry {seq} is in the tree of size {cp.tree_size}")
        else:
            failed.append(f"the inclusion proof of entry {seq} does not lead to the root")
    consistency = proof.get("consistency")
    if isinstance(consistency, dict):
        old_size = _int(consistency, "old_size", "consistency")
        old_root = _hash(consistency.get("old_root"), "consistency.old_root")
        if old_note is not None:
            old = verifier.open(old_note)
            if (old.tree_size, old.root_hash) != (old_size, old_root):
                failed.append("the older checkpoint is not the one the proof starts from")
        path = _path(consistency, "consistency")
        if merkle.verify_consistency(old_size, cp.tree_size, old_root, cp.root_hash, path):
            passed.append(f"the tree of size {old_size} is a prefix of size {cp.tree_size}")
        else:
            failed.append(f"the tree of size {old_size} is not a prefix of size {cp.tree_size}")
    if inclusion is None and consistency is None:
        failed.append("the proof file has neither an inclusion nor a consistency proof")
    return ProofCheck(cp, tuple(passed), tuple(failed))
