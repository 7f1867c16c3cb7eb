"""Audit errors: one root, :class:`AuditError`."""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class AuditError(ShieldwallError):
    code = "audit_error"


class ProofError(AuditError):
    """A proof was asked for sizes or indexes the log does not have."""

    code = "invalid_proof_request"
