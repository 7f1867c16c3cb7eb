"""Assessment ids drawn for a whole batch at once: as ``secrets.token_urlsafe(16)`` makes them."""

from __future__ import annotations

import re

from shieldwall.guard.risk.engine import ID_BYTES, _assessment_ids

URLSAFE_22 = re.compile(r"[A-Za-z0-9_-]{22}")


def test_batch_ids_have_token_urlsafes_shape_and_are_distinct() -> None:
    """One id per attempt, 22 URL-safe characters (16 random bytes, no padding), all different."""
    ids = _assessment_ids(500)
    assert len(ids) == 500 and len(set(ids)) == 500
    assert all(URLSAFE_22.fullmatch(i) for i in ids)
    assert ID_BYTES == 16
    assert _assessment_ids(0) == []
