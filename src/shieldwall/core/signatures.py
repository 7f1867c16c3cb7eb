"""Signed webhooks: the one scheme every shieldwall webhook uses, and what a receiver runs.

The scheme is Stripe's (and close to GitHub's): the sender puts ::

    X-Shieldwall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

on the request. Signing the timestamp with the body lets a receiver refuse a replayed request
once it is older than a tolerance; the receiver compares in constant time. A header may carry
several ``v1=`` values (one per secret while a secret is being rotated); any one matching is
enough.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Shieldwall-Signature"
DEFAULT_TOLERANCE_SECONDS = 300.0


def signature(secret: bytes, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_body(secret: bytes, body: bytes, timestamp: int) -> str:
    """The value of the signature header for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def verify_signature(
    secret: bytes,
    header: str,
    body: bytes,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver runs: one ``v1`` signature matches and the timestamp is at most
    ``tolerance`` seconds from ``now``. A malformed header is simply not valid."""
    timestamp: int | None = None
    given: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if timestamp is not None or not value.isdigit():
                return False
            timestamp = int(value)
        elif key == "v1":
            given.append(value)
    if timestamp is None or not given or abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).encode()
    # Compare every candidate (no early exit) so timing says nothing about which one matched.
    matches = [hmac.compare_digest(expected, g.encode()) for g in given]
    return any(matches)
