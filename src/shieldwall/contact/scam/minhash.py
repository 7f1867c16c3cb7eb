"""MinHash signatures and LSH banding for near-identical scam scripts.

Written here with numpy rather than taken from ``datasketch``: we need about forty lines (shingle,
hash, min, band), signatures that are stable across processes and machines (they are stored and
compared later, so Python's salted ``hash`` is out), band keys that fit a database index, and no
extra dependency. The estimator is the standard one (Broder 1997): the fraction of equal
signature slots estimates the Jaccard similarity of the two shingle sets.

Before shingling, a script is reduced to what scammers keep constant between victims: case is
folded, URLs become ``U``, every digit run becomes ``0`` (order numbers, amounts and phone
numbers change per victim), white space and punctuation go. Shingles are ``k`` consecutive
characters (default 3), hashed by a polynomial over code points; each of ``n`` permutations is a
multiply-shift hash ``(a·x + b) mod 2^64 >> 32`` (Dietzfelbinger et al. 1997) with odd ``a``
drawn from a fixed seed. With ``b`` bands of ``r = n / b`` rows, two scripts of Jaccard
similarity ``s`` share a band with probability ``1 - (1 - s^r)^b``; candidates are then
confirmed on the full signature.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import numpy.typing as npt

Signature = npt.NDArray[np.uint32]

_SEED = 0x5C4D_2025
_URL = re.compile(r"(?i)(?:https?://|www\.)\S+")
_DIGITS = re.compile(r"\d+")
_DROP = re.compile(r"[\W_]+", re.UNICODE)
_POLY = np.uint64(0x100000001B3)  # FNV-64 prime as the polynomial base


def script_form(text: str) -> str:
    """The part of a script that stays constant between victims (see module docstring)."""
    text = _URL.sub("U", text.casefold())
    text = _DIGITS.sub("0", text)
    return _DROP.sub("", text)


class MinHasher:
    """MinHash over character shingles; deterministic for given parameters."""

    def __init__(self, permutations: int = 128, bands: int = 32, shingle: int = 3) -> None:
        if permutations % bands:
            raise ValueError("bands must divide permutations")
        self.permutations = permutations
        self.bands = bands
        self.rows = permutations // bands
        self.shingle = shingle
        rng = np.random.default_rng(_SEED)
        self._a = (rng.integers(1, 2**63, size=permutations, dtype=np.uint64) << np.uint64(1)) | (
            np.uint64(1)
        )
        self._b = rng.integers(0, 2**63, size=permutations, dtype=np.uint64)

    def shingle_hashes(self, text: str) -> npt.NDArray[np.uint64]:
        """Distinct 64-bit hashes of the ``k``-character shingles of ``script_form(text)``."""
        form = script_form(text)
        if not form:
            return np.empty(0, dtype=np.uint64)
        codes = np.frombuffer(form.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        k = min(self.shingle, codes.size)
        n = codes.size - k + 1
        acc = np.zeros(n, dtype=np.uint64)
        for i in range(k):
            acc = acc * _POLY + codes[i : i + n]
        return np.unique(acc)

    def signature(self, text: str) -> Signature | None:
        """The signature of ``text``, or None when it has no shingles (nothing to compare)."""
        shingles = self.shingle_hashes(text)
        if shingles.size == 0:
            return None
        hashed = (self._a[:, None] * shingles[None, :] + self._b[:, None]) >> np.uint64(32)
        signature: Signature = hashed.min(axis=1).astype(np.uint32)
        return signature

    def band_keys(self, signature: Signature) -> list[int]:
        """One signed 64-bit key per band (band number mixed in), for a database index."""
        keys = []
        for band in range(self.bands):
            rows = signature[band * self.rows : (band + 1) * self.rows]
            digest = hashlib.blake2b(
                rows.tobytes(), digest_size=8, person=band.to_bytes(4, "big").ljust(16, b"\0")
            ).digest()
            keys.append(int.from_bytes(digest, "big", signed=True))
        return keys

    @staticmethod
    def similarity(a: Signature, b: Signature) -> float:
        """Estimated Jaccard similarity of the two shingle sets."""
        return float(np.count_nonzero(a == b)) / a.size

    @staticmethod
    def to_bytes(signature: Signature) -> bytes:
        return signature.astype("<u4").tobytes()

    def from_bytes(self, raw: bytes) -> Signature:
        if len(raw) != 4 * self.permutations:
            raise ValueError("signature has the wrong length for these parameters")
        return np.frombuffer(raw, dtype="<u4").astype(np.uint32)
