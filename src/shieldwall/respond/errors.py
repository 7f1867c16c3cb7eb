"""Respond errors: one root, :class:`RespondError`.

::

    RespondError
    ├── CaseInvalid             bad input to a case: a field and a reason (HTTP 422)
    ├── CaseNotFound            no such case, evidence item or linked record (HTTP 404)
    ├── InvalidTransition       the case state machine refuses the move (HTTP 409)
    ├── EvidenceDenied          opening evidence: not an admin, or no reason (HTTP 403)
    ├── EvidenceTooLarge        an evidence item beyond ``respond.cases.max_evidence_bytes`` (413)
    ├── EvidenceCorrupt         a sealed item no longer opens or hashes as at receipt (HTTP 500)
    ├── BundleError             an export directory that cannot be written or a bundle that
    │                           cannot be read at all (verification failures are findings)
    ├── RespondInvalid          bad input to the register or the ledger (HTTP 422)
    │   └── Unbalanced          a ledger posting whose debits and credits differ
    ├── RespondNotFound         no such victim, claim or posting (HTTP 404)
    └── RespondConflict         conflicts with the current state (HTTP 409)
        ├── TransitionRefused   a status change the state machine does not allow
        └── IdempotencyConflict an idempotency key reused with a different body

Messages name fields, identifiers and amounts, never a victim's phone, name or ID number.
"""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class RespondError(ShieldwallError):
    code = "respond_error"


class CaseInvalid(RespondError):
    code = "invalid_input"


class CaseNotFound(RespondError):
    code = "not_found"


class InvalidTransition(RespondError):
    code = "invalid_transition"


class EvidenceDenied(RespondError):
    code = "access_denied"

    def __init__(self, reason: str, reasons: list[str], *, field: str | None = None) -> None:
        super().__init__(reason, field=field)
        self.reasons = reasons


class EvidenceTooLarge(RespondError):
    code = "payload_too_large"


class EvidenceCorrupt(RespondError):
    code = "evidence_corrupt"


class BundleError(RespondError):
    code = "bundle_error"


class RespondInvalid(RespondError):
    code = "invalid_input"


class Unbalanced(RespondInvalid):
    code = "unbalanced_posting"


class RespondNotFound(RespondError):
    code = "not_found"


class RespondConflict(RespondError):
    code = "conflict"


class TransitionRefused(RespondConflict):
    code = "transition_refused"


class IdempotencyConflict(RespondConflict):
    code = "idempotency_conflict"
