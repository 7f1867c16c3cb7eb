"""How long the console's pages take to render on a simulated world (docs/console.md).

``BENCH_CONSOLE_HOME`` names the home of a simulated world (``make demo`` leaves one at
``.shieldwall/demo-sim/home``); without it, ``shieldwall simulate`` makes a small one (500
customers, 3 days, the shortest it takes) in a temporary folder. An admin principal
``bench-console-<pid>`` is added (and suspended at the end: it stays in that home, as every
principal does), signed in through the form, and each page is fetched 7 times in process
(TestClient): medians and maxima in ms.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from bench._util import median_of, save, table
from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.wiring import build

RUNS = 7


def world_home(tmp: Path) -> Path:
    given = os.environ.get("BENCH_CONSOLE_HOME")
    if given:
        return Path(given)
    out = tmp / "sim"
    argv = ["simulate", "--seed", "7", "--customers", "500", "--days", "3", "--out", str(out)]
    subprocess.run(
        [sys.executable, "-m", "shieldwall", *argv],
        check=True,
        stdout=subprocess.DEVNULL,
        env=os.environ | {"SHIELDWALL_HOME": str(tmp / "unused")},
    )
    return out / "home"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        home = world_home(Path(tmp))
        svc = build(load_settings({"SHIELDWALL_HOME": str(home)}))
        name = f"bench-console-{os.getpid()}"
        _, key = svc.custody.principals.add(name, "admin", unit="security")
        rows: list[tuple[str, str]] = []
        figures: dict[str, dict[str, float]] = {}
        try:
            with TestClient(create_app(svc)) as client:
                form = client.get("/console/sign-in").text
                token = re.search(r'name="csrf_token" value="([^"]+)"', form)
                assert token is not None
                client.post("/console/sign-in", data={"api_key": key, "csrf_token": token[1]})
                queue = client.get("/console/alerts").text
                alert = re.search(r"/console/alerts/(alr_[0-9a-f]+)", queue)
                pages = ["overview", "alerts", "logins", "contact", "releases", "audit"]
                paths = [f"/console/{p}" for p in pages]
                if alert is not None:
                    paths.append(f"/console/alerts/{alert[1]}")

                for path in paths:

                    def once(path: str = path) -> float:
                        start = time.perf_counter()
                        r = client.get(path)
                        assert r.status_code == 200, (path, r.status_code)
                        return (time.perf_counter() - start) * 1000

                    median, values = median_of(RUNS, once)
                    label = "/console/alerts/{id}" if "alr_" in path else path
                    figures[label] = {
                        "median_ms": round(median, 1),
                        "max_ms": round(max(values), 1),
                    }
                    rows.append((label, f"median {median:6.1f} ms  max {max(values):6.1f} ms"))
        finally:
            svc.custody.principals.set_active(name, False)
            svc.close()
    table(rows)
    print("saved", save("console", {"world": str(home), "runs": RUNS, "pages": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
