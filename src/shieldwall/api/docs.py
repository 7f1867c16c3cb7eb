"""``/docs``: Swagger UI over the OpenAPI document, served entirely from this server.

FastAPI's own docs pages load Swagger UI from a CDN; here its assets come from the
``swagger-ui-bundle`` package, so the page works without Internet access and loads no third
party's code. The page itself holds nothing: it asks for an API key, fetches the authenticated
``/v1/openapi.json`` with it, and only then shows the operations. On when
``api.docs_enabled`` (off by default).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>shieldwall API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<form id="key-form" style="margin: 1em">
<label>API key <input id="key" type="password" autocomplete="off" required></label>
<button type="submit">Show the API</button> <span id="status"></span>
</form>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/docs.js"></script>
</body>
</html>
"""
_SCRIPT = files("shieldwall.api").joinpath("static/docs.js").read_text(encoding="utf-8")


def install(app: FastAPI) -> None:
    """Serve the page at ``/docs``, its script and Swagger UI's assets under ``/docs/``."""

    @app.get("/docs", include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(_PAGE)

    @app.get("/docs/docs.js", include_in_schema=False)
    def script() -> Response:
        return Response(_SCRIPT, media_type="text/javascript")

    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
