"""Suspension and key rotation reach every API worker process within a second (issue #10, 6).

Two ``shieldwall serve`` processes share one SQLite home, as two workers would. A key is used on
worker B (so B caches it), then suspended through worker A or rotated from a third process (the
CLI's code path); B is polled until it refuses the key.

What is asserted is load-independent: every poll *sent* more than :data:`BOUND` seconds after
the change returned must be refused, and a refusal must come. A worker trusts its key cache
only while a version check it *started* less than ``principals_check_seconds`` (0.5 s) ago saw
no change, so a request it admits began before the commit plus 0.5 s, whatever the load.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shieldwall.config import load_settings
from shieldwall.wiring import build, initialize

BOUND = 1.0  # seconds: the promise (the mechanism's check interval is 0.5 s)
SAFETY_STOP = 5.0  # seconds of polling before giving up (a failure, not a timing assertion)
STARTUP_STOP = 120.0  # seconds a worker may take to start on a loaded machine


@dataclass
class Workers:
    home: Path
    a: httpx.Client
    b: httpx.Client
    keys: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(client: httpx.Client, key: str, proc: subprocess.Popen[bytes]) -> None:
    started = time.monotonic()
    while time.monotonic() - started < STARTUP_STOP:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited with {proc.returncode}")
        try:
            if client.get("/v1/me", headers=_auth(key)).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)  # bounded polling loop while the worker starts
    raise AssertionError("worker did not start")


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    home = tmp_path_factory.mktemp("workers") / "home"
    settings = load_settings({"SHIELDWALL_HOME": str(home)})
    initialize(settings)
    svc = build(settings)
    keys = {}
    for pid, role in (("sec-admin", "admin"), ("agent-s", "agent"), ("agent-r", "agent")):
        keys[pid] = svc.custody.principals.add(pid, role)[1]
    svc.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIELDWALL_")}
    env["SHIELDWALL_HOME"] = str(home)
    procs: list[subprocess.Popen[bytes]] = []
    clients: list[httpx.Client] = []
    try:
        for _ in range(2):
            port = _free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "shieldwall", "serve", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            clients.append(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0))
        for client, proc in zip(clients, procs, strict=True):
            _wait_ready(client, keys["sec-admin"], proc)
        yield Workers(home, clients[0], clients[1], keys)
    finally:
        for client in clients:
            client.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def _poll_until_refused(client: httpx.Client, key: str, since: float) -> list[tuple[float, int]]:
    """(seconds after ``since`` when the poll was sent, status) until the first refusal."""
    polls: list[tuple[float, int]] = []
    while True:
        sent = time.monotonic() - since
        status = client.get("/v1/me", headers=_auth(key)).status_code
        polls.append((sent, status))
        if status != 200 or sent > SAFETY_STOP:
            return polls


def _assert_refused_within_bound(polls: list[tuple[float, int]]) -> None:
    late_admits = [(t, s) for t, s in polls if s == 200 and t > BOUND]
    assert not late_admits, f"admitted {len(late_admits)} polls sent after {BOUND}s: {polls[-3:]}"
    assert polls[-1][1] == 401, polls[-3:]


def test_suspension_through_one_worker_refuses_the_key_on_another(workers: Workers) -> None:
    """A key suspended through worker A is refused by worker B within 1 s of the suspend."""
    key = workers.keys["agent-s"]
    assert workers.b.get("/v1/me", headers=_auth(key)).status_code == 200  # B caches the key
    resp = workers.a.post(
        "/v1/principals/agent-s/suspend", json={}, headers=_auth(workers.keys["sec-admin"])
    )
    assert resp.status_code == 200
    done = time.monotonic()
    _assert_refused_within_bound(_poll_until_refused(workers.b, key, done))


def test_key_rotated_elsewhere_is_refused_by_a_running_worker(workers: Workers) -> None:
    """A key rotated by another process (the CLI's path) stops working on a worker within 1 s."""
    old = workers.keys["agent-r"]
    assert workers.b.get("/v1/me", headers=_auth(old)).status_code == 200  # B caches the key
    svc = build(load_settings({"SHIELDWALL_HOME": str(workers.home)}))
    try:
        new = svc.custody.principals.rotate_key("agent-r")
    finally:
        svc.close()
    done = time.monotonic()
    _assert_refused_within_bound(_poll_until_refused(workers.b, old, done))
    assert workers.b.get("/v1/me", headers=_auth(new)).status_code == 200
