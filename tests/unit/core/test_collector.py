"""A serving process's collector set-up: what exists when it starts is frozen, collections
made rarer."""

from __future__ import annotations

import gc

import pytest

from shieldwall.core.collector import COLLECTOR_THRESHOLDS, prepare_collector


@pytest.mark.usefixtures("restored_collector")
def test_prepare_collector_freezes_and_raises_the_first_threshold() -> None:
    """After it, the objects alive are in the permanent generation and a young collection waits
    for tens of thousands of allocations (a fetched batch's objects), not CPython's 700."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    prepare_collector()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == COLLECTOR_THRESHOLDS
    assert COLLECTOR_THRESHOLDS[0] >= 10_000
