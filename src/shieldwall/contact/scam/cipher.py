"""Encryption and keyed hashes for scam reports, with custody's field recipe.

Report text is personal data (victims quote their own names, addresses, order details), so it is
stored only as an AES-256-GCM token made by :func:`shieldwall.custody.crypto.encrypt_field`. The
:class:`~shieldwall.custody.crypto.FieldContext` binds tenant, table, field and record id (the
report or campaign id) as associated data: a body copied onto another report does not decrypt.
The key is custody's stable secret for the purpose ``contact.scam.text`` (version 1).

:meth:`TextCipher.keyed_hash` is HMAC-SHA256 under a second secret (``contact.scam.index``),
truncated to 128 bits like custody's blind indexes: equality lookups on indicators and senders
without a value an attacker holding only the database could enumerate (a phone number has ~10^11
values, so an unkeyed hash of one is as good as clear).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shieldwall.contact.scam.tokens import SecretSource
from shieldwall.custody.crypto import FieldContext, decrypt_field, encrypt_field

TEXT_PURPOSE = "contact.scam.text"
INDEX_PURPOSE = "contact.scam.index"
KEY_VERSION = 1
HASH_BYTES = 16


class TextCipher:
    def __init__(self, secrets: SecretSource, tenant: str) -> None:
        self._key = AESGCM(secrets.secret(TEXT_PURPOSE))
        self._index_key = secrets.secret(INDEX_PURPOSE)
        self._tenant = tenant

    def keyed_hash(self, label: str, value: str) -> bytes:
        """HMAC-SHA256(index secret, ``label`` 0x1F ``value``)[:16]: stable, not reversible."""
        mac = hmac.new(self._index_key, f"{label}\x1f{value}".encode(), hashlib.sha256)
        return mac.digest()[:HASH_BYTES]

    def seal(self, table: str, field: str, record_id: str, plaintext: bytes) -> bytes:
        ctx = FieldContext(self._tenant, table, field, record_id)
        return encrypt_field(self._key, KEY_VERSION, ctx, plaintext)

    def open(self, table: str, field: str, record_id: str, token: bytes) -> bytes:
        """Decrypt; raises custody's :class:`InvalidCiphertext` on any failure."""
        ctx = FieldContext(self._tenant, table, field, record_id)
        return decrypt_field(self._key_for, ctx, token)

    def _key_for(self, version: int) -> AESGCM:
        if version != KEY_VERSION:
            raise LookupError(version)
        return self._key
