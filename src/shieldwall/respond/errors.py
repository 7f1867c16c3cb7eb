"""Respond errors: one root, :class:`RespondError`.

::

    RespondError
    ├── CaseInvalid          bad input: a field and a reason (HTTP 422)
    ├── CaseNotFound         no such case, evidence item or linked record (HTTP 404)
    ├── InvalidTransition    the state machine refuses the move (HTTP 409)
    ├── EvidenceDenied       opening evidence: not an admin, or no reason (HTTP 403)
    ├── EvidenceTooLarge     an evidence item beyond ``respond.cases.max_evidence_bytes`` (413)
    ├── EvidenceCorrupt      a sealed item no longer opens or hashes as at receipt (HTTP 500)
    └── BundleError          an export directory that cannot be written or a bundle that
                             cannot be read at all (verification failures are findings)
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
