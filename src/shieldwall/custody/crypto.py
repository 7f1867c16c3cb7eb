"""Field encryption recipes: AES-256-GCM with the field's whole context as associated data.

A token is ``0x01 | key version (4 bytes, big-endian) | nonce (12) | ciphertext | tag (16)``.
The associated data binds tenant, table, field, record id and key version, so a ciphertext copied
to another row, another field or another tenant fails to decrypt, and so does one whose version
header was edited. Every failure is the same :class:`InvalidCiphertext`.

Nonces are random (96 bits). Each data key encrypts one field of one table and is replaced on
rotation, which keeps the number of messages per key far below the 2**32 bound NIST SP 800-38D
sets for random nonces.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shieldwall.custody.errors import InvalidCiphertext

FORMAT = 0x01
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER = struct.Struct(">BI")
OVERHEAD = HEADER.size + NONCE_BYTES + TAG_BYTES


@dataclass(frozen=True, slots=True)
class FieldContext:
    """Where a ciphertext lives. Every part is bound into the associated data."""

    tenant: str
    table: str
    field: str
    record_id: str

    def associated_data(self, version: int) -> bytes:
        parts = (b"shieldwall-field/1", self.tenant, self.table, self.field, self.record_id)
        out = bytearray()
        for part in parts:
            raw = part if isinstance(part, bytes) else part.encode()
            out += len(raw).to_bytes(2, "big") + raw
        out += version.to_bytes(4, "big")
        return bytes(out)


def encrypt_field(key: AESGCM, version: int, ctx: FieldContext, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` for ``ctx`` under data key ``key`` of ``version``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = key.encrypt(nonce, plaintext, ctx.associated_data(version))
    return HEADER.pack(FORMAT, version) + nonce + sealed


def token_version(token: bytes) -> int:
    """The key version a token claims (unauthenticated until decryption succeeds)."""
    if len(token) < OVERHEAD:
        raise InvalidCiphertext()
    fmt, version = HEADER.unpack_from(token)
    if fmt != FORMAT:
        raise InvalidCiphertext()
    return int(version)


def decrypt_field(key_for: Callable[[int], AESGCM], ctx: FieldContext, token: bytes) -> bytes:
    """Decrypt a token made by :func:`encrypt_field`; ``key_for`` maps a version to its key.

    Raises :class:`InvalidCiphertext` for any failure, including an unknown key version.
    """
    version = token_version(token)
    try:
        key = key_for(version)
    except LookupError:
        raise InvalidCiphertext() from None
    nonce = token[HEADER.size : HEADER.size + NONCE_BYTES]
    try:
        return key.decrypt(nonce, token[HEADER.size + NONCE_BYTES :], ctx.associated_data(version))
    except InvalidTag:
        raise InvalidCiphertext() from None


def wrap_key(kek: AESGCM, purpose: str, version: int, key: bytes) -> bytes:
    """Wrap a data key under a key-encryption key, bound to its purpose and version."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + kek.encrypt(nonce, key, _wrap_ad(purpose, version))


def unwrap_key(kek: AESGCM, purpose: str, version: int, wrapped: bytes) -> bytes:
    if len(wrapped) < NONCE_BYTES + TAG_BYTES:
        raise InvalidCiphertext()
    try:
        return kek.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_ad(purpose, version))
    except InvalidTag:
        raise InvalidCiphertext() from None


def _wrap_ad(purpose: str, version: int) -> bytes:
    return data_key_binding(purpose, version)


def data_key_binding(purpose: str, version: int) -> bytes:
    """What a wrapped data key is bound to: its purpose and version. Every key provider
    authenticates these bytes with the wrap (AES-GCM associated data, Transit context), so a
    wrapped key copied to another purpose or version fails to unwrap."""
    return b"shieldwall-dek/1|" + purpose.encode() + b"|" + version.to_bytes(4, "big")
