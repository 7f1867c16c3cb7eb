"""A real ``shieldwall`` server on a free local port and Debian's Chromium driven by Playwright.

The listening socket is bound before uvicorn's thread starts, so the browser's first request
waits in the socket's backlog instead of the test waiting for the server (no sleeps).

Playwright's sync API keeps an asyncio loop running in the test thread while it is started, so
the browser lives for one module only: a later test in the same worker that calls
``asyncio.run`` (the NATS tests) would otherwise fail. Playwright's waits are bounded (5 s for
``expect`` by default); on a loaded 2-core machine that is a race, so every wait is given
:data:`WAIT_MS`, long enough to trip only on a real hang.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, expect, sync_playwright

from shieldwall.api.app import create_app
from shieldwall.wiring import Services

CHROMIUM = Path("/usr/bin/chromium")
WAIT_MS = 180_000


@pytest.fixture
def server(services: Services) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(services), log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join()
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        expect.set_options(timeout=WAIT_MS)
        yield b
        b.close()
