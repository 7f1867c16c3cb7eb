"""The uvicorn factory: each worker process builds its own services from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.wiring import build


def app_from_env() -> FastAPI:
    return create_app(build(load_settings()))
