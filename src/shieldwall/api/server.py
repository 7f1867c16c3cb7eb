"""The uvicorn factory: each worker process builds its own services from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.core.collector import prepare_collector
from shieldwall.observe.logs import configure_logging
from shieldwall.wiring import build


def app_from_env() -> FastAPI:
    """The app of one server process, its collector set up for serving once wired (full
    collections over the start-up's objects had put 100-180 ms into the p99)."""
    settings = load_settings()
    configure_logging(settings.observe.log_level, settings.observe.log_format)
    app = create_app(build(settings))
    prepare_collector()
    return app
