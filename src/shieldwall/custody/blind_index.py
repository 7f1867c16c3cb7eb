"""Blind indexes: find a customer by phone, ID number or e-mail without decrypting anything.

An index value is HMAC-SHA256 under a per-field secret over the *normalized* value (E.164 phone,
upper-case ID number, lower-case e-mail), truncated to 128 bits. Separate keys per field stop
anyone from linking, say, the phone index of one customer to the ID index of another. Without
the key the indexes cannot be brute-forced; with the database alone they reveal only equality.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol

INDEX_BYTES = 16
INDEXED_FIELDS = ("phone", "email", "national_id")


class SecretSource(Protocol):
    def secret(self, purpose: str) -> bytes: ...


class BlindIndex:
    """Keyed HMAC over normalized values, one key per indexed field."""

    def __init__(self, secrets: SecretSource) -> None:
        self._keys = {f: secrets.secret(f"bidx.{f}") for f in INDEXED_FIELDS}

    def digest(self, field: str, normalized: str) -> bytes:
        key = self._keys.get(field)
        if key is None:
            raise ValueError(f"no blind index for field {field}")
        return hmac.new(key, normalized.encode(), hashlib.sha256).digest()[:INDEX_BYTES]


class Pseudonymizer:
    """Stable keyed tokens for analysts: equal inputs give equal tokens, nothing reverses them."""

    def __init__(self, secrets: SecretSource) -> None:
        self._key = secrets.secret("pseudonym")

    def token(self, kind: str, value: str) -> str:
        mac = hmac.new(self._key, f"{kind}\x1f{value}".encode(), hashlib.sha256).digest()
        return "ps_" + base64.b32encode(mac[:10]).decode().lower()
