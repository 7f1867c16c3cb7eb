"""Bench-only uvicorn factory: the production app plus one empty route, the framework's ceiling.

``bench_http_read`` serves this instead of ``shieldwall.api.server:app_from_env`` so that the
masked read and an empty route run in the same workers, with the same middleware, thread pool
and settings; the ratio of the two is the figure that survives a noisy machine. The empty route
lives here, never in production code.
"""

from __future__ import annotations

from fastapi import FastAPI

from shieldwall.api.server import app_from_env as production_app

EMPTY_PATH = "/bench/empty"


def app_from_env() -> FastAPI:
    app = production_app()

    @app.get(EMPTY_PATH, include_in_schema=False)
    async def empty() -> dict[str, str]:
        """No authentication, no database, no thread hop: FastAPI and uvicorn alone."""
        return {}

    return app
