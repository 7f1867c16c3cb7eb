"""The webhook signature scheme, checked against an HMAC computed by hand."""

from __future__ import annotations

import hashlib
import hmac

from shieldwall.core.signatures import sign_body, verify_signature

SECRET = b"whsec_0123456789abcdef"
BODY = b'{"type":"alert.raised"}'
T = 1_772_442_000


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    """The header is t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>."""
    by_hand = hmac.new(SECRET, b"1772442000." + BODY, hashlib.sha256).hexdigest()
    assert sign_body(SECRET, BODY, T) == f"t=1772442000,v1={by_hand}"


def test_verify_accepts_fresh_and_refuses_tampered_stale_or_malformed() -> None:
    """A changed body, another secret, an old timestamp or a garbled header all fail."""
    header = sign_body(SECRET, BODY, T)
    assert verify_signature(SECRET, header, BODY, T + 299)
    assert verify_signature(SECRET, header, BODY, T - 299)
    assert not verify_signature(SECRET, header, BODY + b" ", T)
    assert not verify_signature(b"another-secret-entirely", header, BODY, T)
    assert not verify_signature(SECRET, header, BODY, T + 301)
    for bad in ("", "garbage", "t=abc,v1=00", f"v1={'0' * 64}", f"t={T}", f"t={T},t={T},v1=0"):
        assert not verify_signature(SECRET, bad, BODY, T), bad


def test_verify_accepts_any_of_several_v1_values_for_rotation() -> None:
    """While a secret rotates, a header may carry one v1 per secret; one match suffices."""
    old = hmac.new(b"old-secret-0123456", b"1772442000." + BODY, hashlib.sha256).hexdigest()
    new = sign_body(SECRET, BODY, T).split("v1=")[1]
    assert verify_signature(SECRET, f"t={T},v1={old},v1={new}", BODY, T)
    assert not verify_signature(SECRET, f"t={T},v1={old}", BODY, T)
