"""HMAC-SHA-256 under one fixed key, for the engine's many short tags.

:class:`KeyedSha256` computes exactly RFC 2104's HMAC with SHA-256 (``hmac.digest(key, msg,
"sha256")``; RFC 4231's vectors in ``tests/unit/guard/risk/test_tags.py``), but hashes the key's
inner and outer pads once, when it is made, and copies those two states for each message: the
engine tags five to eight values per login attempt, all under the one tag key.

It uses CPython's own SHA-256 (``_sha256``) when present, OpenSSL's (``hashlib``) otherwise. On
this project's host (OpenSSL 3.0), a one-shot ``hmac.digest`` took about 40 µs per tag under
load, copying OpenSSL's pad states about 14 µs and copying CPython's about 4 µs: OpenSSL 3's
per-call set-up costs more than hashing the few bytes of a tag (docs/operations.md, "Stream
intake").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def copy(self) -> _Hash: ...


try:  # CPython's own C SHA-256: no OpenSSL set-up per digest
    from _sha256 import sha256 as _builtin  # type: ignore[import-not-found,unused-ignore] # no stubs
except ImportError:  # another interpreter: OpenSSL's, a few times slower here
    _builtin = None

_SHA256: Callable[[bytes], _Hash] = _builtin if _builtin is not None else hashlib.sha256
_BLOCK = 64  # SHA-256's block size in bytes
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class KeyedSha256:
    """``HMAC-SHA-256(key, message)``; safe to share between threads (each call copies)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:  # RFC 2104: a key longer than a block is hashed first
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = _SHA256(key.translate(_IPAD))
        self._outer = _SHA256(key.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()
