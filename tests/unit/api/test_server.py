"""The uvicorn factory: a server process's app, with its collector set up for serving."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from shieldwall.api.server import app_from_env
from shieldwall.config import load_settings
from shieldwall.core.collector import COLLECTOR_THRESHOLDS
from shieldwall.wiring import initialize


@pytest.mark.usefixtures("restored_collector")
def test_the_factory_freezes_what_start_up_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``app_from_env`` the wired services are in the permanent generation and young
    collections wait for tens of thousands of allocations (full collections over them had put
    100-180 ms into the assess route's p99)."""
    monkeypatch.setenv("SHIELDWALL_HOME", str(tmp_path))
    monkeypatch.delenv("SHIELDWALL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHIELDWALL_STATE_BACKEND", raising=False)
    initialize(load_settings())
    gc.unfreeze()
    app = app_from_env()
    assert app.state.services is not None
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold() == COLLECTOR_THRESHOLDS
    app.state.services.close()
