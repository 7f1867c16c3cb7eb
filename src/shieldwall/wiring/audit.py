"""The audit capability, assembled: the Merkle log and where its checkpoints are published."""

from __future__ import annotations

from shieldwall.audit.log import CheckpointSigner, MerkleAuditLog
from shieldwall.audit.policy import CheckpointPolicy
from shieldwall.audit.witness import CheckpointPublisher, WebhookPublisher, WitnessFile
from shieldwall.config import Settings
from shieldwall.core.clock import Clock
from shieldwall.storage.audit_repo import SqlAuditStore


def build_audit_log(
    settings: Settings, clock: Clock, store: SqlAuditStore, seed: bytes
) -> MerkleAuditLog:
    """The audit log, publishing its checkpoints to the witness file; events a crash left in
    the outbox are logged before anything else runs."""
    publishers: list[CheckpointPublisher] = [witness_file(settings)]
    if settings.audit.webhook_url:
        publishers.append(WebhookPublisher(settings.audit.webhook_url))
    audit = MerkleAuditLog(
        store,
        CheckpointSigner(seed, settings.audit.origin),
        clock,
        policy=CheckpointPolicy(settings.audit.checkpoint_every, settings.audit.checkpoint_seconds),
        publishers=publishers,
        linger=settings.audit.commit_linger_ms / 1000,
    )
    audit.flush_outbox()
    return audit


def witness_file(settings: Settings) -> WitnessFile:
    return WitnessFile(settings.resolved_witness_file, fsync=settings.audit.witness_fsync)
