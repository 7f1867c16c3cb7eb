"""The two hash kinds Have I Been Pwned publishes, and how a password becomes one.

SHA-1 is taken over the password's UTF-8 bytes; NTLM is MD4 over its UTF-16LE encoding (the
Windows NT hash). The standard library has no MD4 (OpenSSL 3 moved it to the legacy provider),
so it comes from pycryptodomex, the maintained PyCryptodome build in its own namespace.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from Cryptodome.Hash import MD4

from shieldwall.guard.passwords.errors import InvalidHash

PREFIX_HEX = 5  # the k-anonymity prefix of the range API: 20 bits


class HashKind(StrEnum):
    SHA1 = "sha1"
    NTLM = "ntlm"

    @property
    def digest_size(self) -> int:
        return 20 if self is HashKind.SHA1 else 16

    @property
    def hex_length(self) -> int:
        return 2 * self.digest_size

    @property
    def suffix_hex_length(self) -> int:
        """Hex digits after the 5-digit prefix: 35 for SHA-1, 27 for NTLM."""
        return self.hex_length - PREFIX_HEX

    @property
    def code(self) -> int:
        return 1 if self is HashKind.SHA1 else 2

    @classmethod
    def from_code(cls, code: int) -> HashKind:
        return {1: cls.SHA1, 2: cls.NTLM}[code]

    def digest(self, password: str) -> bytes:
        """The hash of ``password`` as HIBP computes it for this kind."""
        if self is HashKind.SHA1:
            return hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).digest()
        return MD4.new(password.encode("utf-16-le")).digest()  # noqa: S303 - HIBP's NTLM format

    def digest_bytes(self, raw: bytes) -> bytes:
        """The hash of a password given as UTF-8 bytes (plain-list import)."""
        if self is HashKind.SHA1:
            return hashlib.sha1(raw, usedforsecurity=False).digest()
        return MD4.new(raw.decode("utf-8").encode("utf-16-le")).digest()  # noqa: S303

    def parse_hex(self, value: str) -> bytes:
        """A full hash given in hex (either case) as bytes; :class:`InvalidHash` otherwise."""
        if len(value) != self.hex_length:
            raise InvalidHash(
                f"a {self.value} hash has {self.hex_length} hex digits, got {len(value)}",
                field="hash",
            )
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise InvalidHash("the hash is not hexadecimal", field="hash") from None
