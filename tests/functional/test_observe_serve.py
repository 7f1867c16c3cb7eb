"""``shieldwall serve`` as a real process: its first line, JSON logs from every worker, and
metrics summed over two workers in prometheus-client's multi-process mode."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def livez(base: str) -> bool:
    """One request on a new connection (so the kernel may hand it to either worker)."""
    try:
        return httpx.get(f"{base}/livez", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_with_two_workers(tmp_path: Path) -> None:
    """The first stdout line says where it listens; every /livez answered is counted once in
    /metrics whichever worker answered it; each access log line on stderr is JSON."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    config = tmp_path / "shieldwall.toml"
    config.write_text("[api]\nmetrics_public = true\n", encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SHIELDWALL_", "PROMETHEUS_"))
    }
    env |= {
        "SHIELDWALL_HOME": str(tmp_path / "home"),
        "SHIELDWALL_CONFIG": str(config),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    subprocess.run(
        [sys.executable, "-m", "shieldwall", "init"], env=env, check=True, capture_output=True
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stderr_path = tmp_path / "stderr.log"
    with stderr_path.open("wb") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "shieldwall", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        try:
            assert server.stdout is not None
            first = server.stdout.readline().decode()
            assert first.startswith(f"shieldwall serve: listening on {base} ")
            assert "workers 2" in first and f"{base}/readyz" in first
            answered = 0
            for _ in range(600):  # generous: two interpreters start on a loaded machine
                if livez(base):
                    answered = 1
                    break
                time.sleep(0.1)
            assert answered, "the server never answered /livez"
            answered += sum(livez(base) for _ in range(60))
            scrape = httpx.get(f"{base}/metrics", timeout=30)
            assert scrape.status_code == 200
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=120)
    counted = sum(
        s.value
        for family in text_string_to_metric_families(scrape.text)
        for s in family.samples
        if s.name == "shieldwall_http_requests_total" and s.labels["route"] == "/livez"
    )
    assert counted == answered == 61
    assert any(metrics_dir.glob("counter_*.db"))
    access = []
    for line in stderr_path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)  # every line the workers wrote is one JSON object
        if record.get("logger") == "shieldwall.access":
            access.append(record)
    assert sum(1 for a in access if a["route"] == "/livez") == answered
    assert len({a["request_id"] for a in access}) == len(access)
