"""Observability overhead: the cost of :class:`RequestObserver` (request id, Prometheus counter
and histogram, one JSON access log line rendered to a file) on a trivial route.

In process, no network: the same FastAPI app with and without the middleware, called through
ASGI directly, alternating runs; median per-request time of each and the difference.

Run: ``python -m bench bench_observe`` (``BENCH_QUICK=1`` for a short run).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi import FastAPI

from bench._util import save, table
from shieldwall.api.observe import RequestObserver
from shieldwall.observe.logs import configure_logging
from shieldwall.observe.metrics import PrometheusMetrics

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 7
N = 2_000 if QUICK else 10_000


def make_app(observed: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, Any]:
        return {"item_id": item_id}

    if observed:
        app.add_middleware(RequestObserver, metrics=PrometheusMetrics())
    return app


async def drive(app: FastAPI, n: int) -> float:
    """Seconds per request over ``n`` GETs."""
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    def scope(i: int) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/items/{i}",
            "raw_path": f"/items/{i}".encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"bench")],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8080),
        }

    for i in range(200):  # warm up (route compilation, first label children)
        await app(scope(i), receive, send)
    start = time.perf_counter()
    for i in range(n):
        await app(scope(i), receive, send)
    elapsed = time.perf_counter() - start
    assert sent[-2]["status"] == 200
    return elapsed / n


def main() -> None:
    log_path = Path(os.devnull)
    with log_path.open("w") as sink:
        handler = configure_logging("info", "json", sink)
        try:
            bare, observed = make_app(False), make_app(True)
            results: dict[str, list[float]] = {"bare": [], "observed": []}
            for _ in range(RUNS):  # alternate so that load on the machine hits both alike
                results["bare"].append(asyncio.run(drive(bare, N)))
                results["observed"].append(asyncio.run(drive(observed, N)))
        finally:
            logging.getLogger().removeHandler(handler)
    med = {k: sorted(v)[len(v) // 2] for k, v in results.items()}
    overhead = med["observed"] - med["bare"]
    table(
        [
            ("requests per run", f"{N:,} x {RUNS} runs (median)"),
            ("bare route", f"{med['bare'] * 1e6:.1f} us/request"),
            ("with RequestObserver", f"{med['observed'] * 1e6:.1f} us/request"),
            ("overhead", f"{overhead * 1e6:.1f} us/request ({overhead / med['bare']:.0%})"),
        ]
    )
    save(
        "observe",
        {
            "n": N,
            "runs": RUNS,
            "bare_us": [v * 1e6 for v in results["bare"]],
            "observed_us": [v * 1e6 for v in results["observed"]],
            "median_bare_us": med["bare"] * 1e6,
            "median_observed_us": med["observed"] * 1e6,
            "overhead_us": overhead * 1e6,
        },
    )


if __name__ == "__main__":
    main()
