"""Custody errors: one root, :class:`CustodyError`, and the ways custody says no.

Messages name fields and identifiers, never field values: a rejected phone number is reported
as ``phone: not a valid mobile or landline number for region CN``, not echoed back.
"""

from __future__ import annotations

from collections.abc import Sequence

from shieldwall.core.errors import ShieldwallError


class CustodyError(ShieldwallError):
    code = "custody_error"


class ValidationError(CustodyError):
    """Input that cannot be accepted: ``field`` says where, ``reason`` says why."""

    code = "invalid_input"


class NotFound(CustodyError):
    code = "not_found"


class Conflict(CustodyError):
    code = "conflict"


class AuthenticationFailed(CustodyError):
    """Unknown or wrong API key. Deliberately says nothing about which part was wrong."""

    code = "unauthenticated"

    def __init__(self) -> None:
        super().__init__("missing, unknown or wrong API key")


class AccessDenied(CustodyError):
    """The policy refused; ``reasons`` are machine-readable codes (``no_open_ticket``)."""

    code = "access_denied"

    def __init__(self, reason: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reasons = tuple(reasons)


class InvalidCiphertext(CustodyError):
    """A ciphertext failed to decrypt: wrong key, wrong row or field, tampered, or truncated.

    One opaque error for every cause, so a failure tells an attacker nothing.
    """

    code = "invalid_ciphertext"

    def __init__(self) -> None:
        super().__init__("ciphertext failed authentication")


class KeyProviderError(CustodyError):
    """The key provider cannot serve: token or Vault unreachable, wrong PIN or token, a
    key-encryption key missing or retired. Messages name labels and versions, never secrets."""

    code = "key_provider_error"


class KeyFileError(KeyProviderError):
    """The key file is missing, unreadable, truncated, corrupt or too widely readable."""

    code = "key_file_error"


class PolicyError(CustodyError):
    """The policy file is invalid; ``field`` is the path inside the file (``rules.agent``)."""

    code = "invalid_policy"


class RateLimited(CustodyError):
    """Too many requests of one kind by one principal; ``retry_after`` is in seconds."""

    code = "rate_limited"

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
