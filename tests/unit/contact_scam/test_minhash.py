"""MinHash signatures: stability, similarity estimates, band keys, serialization."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from shieldwall.config import load_settings
from shieldwall.contact.scam.minhash import MinHasher, script_form

SCRIPT = (
    "您好{n}，我是商城售后，您购买的{i}因质量问题需要退款，订单号{o}，请加QQ{q}办理理赔，三倍赔偿。"
)


def fill(n: str, i: str, o: str, q: str) -> str:
    return SCRIPT.format(n=n, i=i, o=o, q=q)


def test_script_form_drops_what_changes_per_victim() -> None:
    """Digits, URLs (as U), case, spaces and punctuation do not reach the shingles."""
    assert script_form("Call 138-1234 NOW, see https://x.top/a!") == "call00nowseeU"


def test_signature_is_stable_across_instances_and_runs() -> None:
    """Signatures are a pure function of text and parameters (stored ones stay comparable)."""
    text = fill("张先生", "电饭煲", "123456", "88888")
    a, b = MinHasher().signature(text), MinHasher().signature(text)
    assert a is not None and b is not None and np.array_equal(a, b)
    # Known answer: guards against an accidental change of the hash family or shingling.
    digest = hashlib.sha256(MinHasher.to_bytes(a)).hexdigest()[:16]
    assert digest == KNOWN_DIGEST


def test_near_duplicates_are_similar_and_unrelated_are_not() -> None:
    """Same script with other names/items/numbers estimates high; another script estimates low."""
    mh = MinHasher()
    a = mh.signature(fill("张先生", "美的电饭煲", "1234567890", "12345678"))
    b = mh.signature(fill("李女士", "戴森吹风机", "9876543210", "87654321"))
    c = mh.signature("Hello, your parcel has shipped and will arrive tomorrow between 2pm and 6pm.")
    assert a is not None and b is not None and c is not None
    assert MinHasher.similarity(a, b) >= load_settings({}).contact.scam.near_duplicate_jaccard
    assert MinHasher.similarity(a, c) <= 0.1
    assert MinHasher.similarity(a, a) == 1.0


def test_identical_scripts_share_every_band() -> None:
    """Identical scripts share all band keys; band keys differ by band number."""
    mh = MinHasher(permutations=64, bands=16)
    sig = mh.signature(fill("张先生", "电饭煲", "1", "2"))
    assert sig is not None
    keys = mh.band_keys(sig)
    assert len(keys) == 16 and len(set(keys)) == 16
    assert keys == mh.band_keys(mh.signature(fill("张先生", "电饭煲", "1", "2")))  # type: ignore[arg-type]
    assert all(-(2**63) <= k < 2**63 for k in keys)


def test_empty_script_has_no_signature() -> None:
    """Text with nothing to shingle (punctuation only) yields None, never a match-all signature."""
    assert MinHasher().signature("!!! ,,, ...") is None
    assert MinHasher().signature("") is None


def test_bytes_round_trip_and_length_check() -> None:
    """A stored signature reads back identically; a wrong length is refused."""
    mh = MinHasher()
    sig = mh.signature("退款请加微信")
    assert sig is not None
    assert np.array_equal(mh.from_bytes(MinHasher.to_bytes(sig)), sig)
    with pytest.raises(ValueError, match="wrong length"):
        mh.from_bytes(b"\0" * 12)


def test_bands_must_divide_permutations() -> None:
    """A banding that does not divide the signature is refused."""
    with pytest.raises(ValueError, match="divide"):
        MinHasher(permutations=128, bands=30)


KNOWN_DIGEST = "10c6f1bcd975f307"
