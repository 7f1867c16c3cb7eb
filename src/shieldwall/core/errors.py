"""The root of every shieldwall error.

Each capability defines one root of its own below :class:`ShieldwallError`::

    ShieldwallError
    ├── ConfigError                  (shieldwall.config)
    │   └── MissingExtra             a configured feature's optional extra is not installed
    ├── StorageError                 (shieldwall.storage)
    ├── custody.CustodyError
    │   ├── ValidationError          bad input: a field and a reason
    │   ├── NotFound
    │   ├── AccessDenied             policy said no: reasons
    │   ├── InvalidCiphertext        one opaque failure for every decryption problem
    │   ├── KeyProviderError         token or Vault unreachable, KEK missing or retired
    │   │   └── KeyFileError         key file missing, truncated, corrupt
    │   └── PolicyError              policy file invalid
    ├── audit.AuditError
    ├── guard.GuardError
    ├── trace.TraceError
    ├── contact.ContactError
    ├── respond.RespondError
    ├── console.ConsoleError         sign-in, CSRF, forms of the web console
    └── intake.IntakeError           (BadEvent)

Errors carry a machine-readable ``code``, an optional ``field`` and a ``reason`` a person can read.
They never carry plaintext personal data: messages name fields and identifiers, not values. The
HTTP layer alone maps them to status codes and RFC 9457 problem documents.
"""

from __future__ import annotations


class ShieldwallError(Exception):
    """Base of all shieldwall errors.

    ``code`` is stable and machine-readable (``"invalid_phone"``), ``field`` names the offending
    input field when there is one, ``reason`` is a short sentence without personal data.
    """

    code: str = "error"

    def __init__(self, reason: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class ConfigError(ShieldwallError):
    """The configuration (environment or config file) is invalid."""

    code = "invalid_config"


class StorageError(ShieldwallError):
    """The database is unreachable, locked, or not migrated."""

    code = "storage_unavailable"


class MissingExtra(ConfigError):
    """A configured feature needs an optional extra that is not installed (``extra`` names it,
    as in ``pip install 'shieldwall[redis]'``)."""

    code = "missing_extra"

    def __init__(self, reason: str, *, extra: str) -> None:
        super().__init__(reason)
        self.extra = extra
