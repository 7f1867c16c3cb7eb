"""Identifiers: random, URL-safe, with a readable prefix (``tkt_…``, ``rel_…``)."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    """A new identifier: ``prefix`` + ``_`` + 48 bits of time (ms) + 64 random bits, in hex.

    The time part makes ids sort roughly by creation, which keeps database indexes compact.
    """
    millis = int(time.time() * 1000) & 0xFFFF_FFFF_FFFF
    return f"{prefix}_{millis:012x}{secrets.token_hex(8)}"
