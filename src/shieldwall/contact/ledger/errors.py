"""The ways the contact ledger says no; all below :class:`shieldwall.contact.errors.ContactError`.

The ``code`` of each class is one the HTTP layer already maps (``invalid_input`` → 422,
``not_found`` → 404, ``conflict`` → 409, ``access_denied`` → 403). Messages name fields and
identifiers, never a customer's phone number or e-mail address.
"""

from __future__ import annotations

from collections.abc import Sequence

from shieldwall.contact.errors import ContactError


class InvalidInput(ContactError):
    """Input that cannot be accepted: ``field`` says where, ``reason`` says why."""

    code = "invalid_input"


class NotFound(ContactError):
    code = "not_found"


class Conflict(ContactError):
    """The request is well formed but the record's state does not allow it."""

    code = "conflict"


class Forbidden(ContactError):
    """The caller may not do this to this record; ``reasons`` are machine-readable codes."""

    code = "access_denied"

    def __init__(self, reason: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reasons = tuple(reasons)
