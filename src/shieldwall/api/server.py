"""The uvicorn factory: each worker process builds its own services from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.observe.logs import configure_logging
from shieldwall.wiring import build


def app_from_env() -> FastAPI:
    settings = load_settings()
    configure_logging(settings.observe.log_level, settings.observe.log_format)
    return create_app(build(settings))
