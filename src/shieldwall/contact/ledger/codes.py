"""One-time verification codes for a contact, derived and never stored.

The app must *show* both kinds of code (the one the agent reads out and the one the customer
reads to the agent), so a code cannot live only as a hash. Instead each contact gets a random
128-bit salt at registration, and a code is

    HMAC-SHA256(key "contact.codes", "v1" | direction | contact id | salt) → 64 bits → mod 10^d

recomputed whenever it is needed. The database holds the salt, which says nothing about the
code without the key; logs and the audit log never see a code. A submitted code is compared
with :func:`hmac.compare_digest`. Wrong guesses are limited per contact (the counter is in the
ledger, see :meth:`Ledger.verify`), so a 6-digit code with 5 attempts is guessed with
probability 5 / 10^6.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from shieldwall.contact.ledger.errors import InvalidInput

SALT_BYTES = 16
AGENT_READS = "agent_reads"
CUSTOMER_READS = "customer_reads"
_SPACING = re.compile(r"[\s\-]")


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


class CodeBook:
    """Derives and checks the codes of contacts under one secret."""

    def __init__(self, secret: bytes, digits: int = 6) -> None:
        if len(secret) < 32:
            raise ValueError("the code secret must be at least 256 bits")
        self._key = secret
        self.digits = digits

    def code(self, direction: str, contact_id: str, salt: bytes) -> str:
        message = b"\x1f".join((b"v1", direction.encode(), contact_id.encode(), salt))
        mac = hmac.new(self._key, message, hashlib.sha256).digest()
        value = int.from_bytes(mac[:8], "big") % (10**self.digits)
        return str(value).zfill(self.digits)

    def normalize(self, submitted: str, field: str = "code") -> str:
        """Full-width digits, spaces and dashes are forgiven; anything else is bad input."""
        if not isinstance(submitted, str):
            raise InvalidInput("must be text", field=field)
        text = _SPACING.sub("", unicodedata.normalize("NFKC", submitted))
        if not (text.isascii() and text.isdigit() and len(text) == self.digits):
            raise InvalidInput(f"must be {self.digits} digits", field=field)
        return text

    def matches(self, direction: str, contact_id: str, salt: bytes, submitted: str) -> bool:
        """Constant-time comparison of a normalized submission with the derived code."""
        expected = self.code(direction, contact_id, salt)
        return hmac.compare_digest(expected.encode(), submitted.encode())
