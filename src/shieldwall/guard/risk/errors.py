"""Login-risk errors: one root, :class:`RiskError`.

::

    GuardError                      (shieldwall.guard.errors)
    └── RiskError
        ├── InvalidAttempt          a login attempt or outcome with a bad field (422)
        ├── UnknownAssessment       an outcome for an assessment that is unknown or expired (404)
        ├── AsnTableError           an IP-range/ASN table that cannot be read (file, line, reason)
        ├── LocatorError            the network-location database cannot be loaded
        ├── BreachFileError         a combo list that cannot be read (line numbers, reasons; 422)
        └── BreachImportUnavailable the state cannot take an import here (memory, CLI)

Messages name fields and line numbers, never accounts, addresses or password hashes.
"""

from __future__ import annotations

from shieldwall.guard.errors import GuardError


class RiskError(GuardError):
    code = "risk_error"


class InvalidAttempt(RiskError):
    code = "invalid_input"


class UnknownAssessment(RiskError):
    code = "not_found"


class AsnTableError(RiskError):
    code = "invalid_asn_table"


class LocatorError(RiskError):
    code = "locator_unavailable"


class BreachFileError(RiskError):
    code = "invalid_input"


class BreachImportUnavailable(RiskError):
    code = "breach_import_unavailable"
