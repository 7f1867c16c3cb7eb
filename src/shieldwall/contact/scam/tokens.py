"""Keyed tokens for the victim's data found in reports (bank cards, order and tracking numbers).

A card number quoted in a report belongs to the victim or to a mule account: either way it is
never stored in clear. :class:`Tokenizer` maps it to ``HMAC-SHA256(secret, kind | value)``
truncated to 80 bits, so two reports quoting one mule account share a token (and cluster), while
the database alone reveals nothing: without the secret the 10^15 possible card numbers cannot be
enumerated. The secret is custody's ``Keyring.secret("contact.scam.tokens")``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol

TOKEN_PURPOSE = "contact.scam.tokens"  # noqa: S105 - a key purpose label, not a secret


class SecretSource(Protocol):
    """Gives stable 32-byte secrets by purpose (custody's ``Keyring``)."""

    def secret(self, purpose: str) -> bytes: ...


class Tokenizer:
    """Stable keyed tokens: equal inputs give equal tokens, nothing reverses them."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("token secret must be at least 16 bytes")
        self._key = secret

    @classmethod
    def from_secrets(cls, secrets: SecretSource) -> Tokenizer:
        return cls(secrets.secret(TOKEN_PURPOSE))

    def token(self, kind: str, value: str) -> str:
        mac = hmac.new(self._key, f"{kind}\x1f{value}".encode(), hashlib.sha256).digest()
        return "tok_" + base64.b32encode(mac[:10]).decode().lower()


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment card numbers (ISO/IEC 7812-1)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
