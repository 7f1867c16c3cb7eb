"""Audit errors: one root, :class:`AuditError`.

::

    AuditError
    ├── ProofError     a proof asked for sizes or indexes the log does not have
    ├── UnreadableEntry  a stored entry whose body is not an entry (the database was edited)
    ├── NoteError      a signed note or verifier key that is malformed or does not verify
    └── WitnessError   a published checkpoint that cannot be written or read
"""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class AuditError(ShieldwallError):
    code = "audit_error"


class ProofError(AuditError):
    """A proof was asked for sizes or indexes the log does not have."""

    code = "invalid_proof_request"


class NoteError(AuditError):
    """A signed note (checkpoint) or verifier key is malformed or its signature does not verify."""

    code = "invalid_signed_note"


class WitnessError(AuditError):
    """A checkpoint could not be published to, or read back from, a witness."""

    code = "witness_error"


class UnreadableEntry(AuditError):
    """A stored entry's body does not parse as an entry: the database was edited."""

    code = "tampered_entry"
