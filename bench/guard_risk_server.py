"""The app ``bench_guard_risk`` serves: shieldwall's own, plus one empty route as its peer.

``POST /bench/empty`` takes no body model, no key and no state, and answers ``{}``: what the
framework (uvicorn, Starlette, FastAPI and our ASGI middleware) costs a request on the same
server, so a login assessment's rate can be quoted as a share of that ceiling measured in the
same run. Served by uvicorn with the settings of ``shieldwall serve``.
"""

from __future__ import annotations

from fastapi import FastAPI

from shieldwall.api.server import app_from_env as shieldwall_app


async def empty() -> dict[str, str]:
    return {}


def app_from_env() -> FastAPI:
    app = shieldwall_app()
    app.add_api_route("/bench/empty", empty, methods=["POST"], include_in_schema=False)
    return app
