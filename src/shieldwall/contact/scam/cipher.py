"""Encryption of report bodies and campaign samples, with custody's field recipe.

Report text is personal data (victims quote their own names, addresses, order details), so it is
stored only as an AES-256-GCM token made by :func:`shieldwall.custody.crypto.encrypt_field`. The
:class:`~shieldwall.custody.crypto.FieldContext` binds tenant, table, field and record id (the
report or campaign id) as associated data: a body copied onto another report does not decrypt.
The key is custody's stable secret for the purpose ``contact.scam.text`` (version 1).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shieldwall.contact.scam.tokens import SecretSource
from shieldwall.custody.crypto import FieldContext, decrypt_field, encrypt_field

TEXT_PURPOSE = "contact.scam.text"
KEY_VERSION = 1


class TextCipher:
    def __init__(self, secrets: SecretSource, tenant: str) -> None:
        self._key = AESGCM(secrets.secret(TEXT_PURPOSE))
        self._tenant = tenant

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
