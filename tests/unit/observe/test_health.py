"""Readiness checks against real servers (NATS 127.0.0.1:4222, Redis 127.0.0.1:6379) and small
socket peers that misbehave on purpose."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import pytest

from shieldwall.core.errors import StorageError
from shieldwall.observe.health import (
    CheckFailed,
    CheckResult,
    NatsCheck,
    RedisCheck,
    run_checks,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def peer(script: list[bytes]) -> Iterator[int]:
    """A TCP server on a free port that, for each connection, sends ``script``'s lines (an
    empty item: wait for the client's bytes first) and keeps the socket open until the end."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    done = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        server.settimeout(0.05)
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            held.append(conn)
            for line in script:
                if line:
                    conn.sendall(line)
                else:
                    conn.recv(4096)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        done.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


INFO = b'INFO {"server_id":"x","version":"2.10.0","proto":1,"max_payload":1048576}\r\n'


def test_nats_check_passes_against_the_real_server() -> None:
    """The handshake INFO / CONNECT / PING / PONG with the server on 127.0.0.1:4222."""
    NatsCheck("nats://127.0.0.1:4222", timeout=5.0)()


def test_nats_check_on_a_closed_port_is_unavailable() -> None:
    with pytest.raises(CheckFailed) as failed:
        NatsCheck(f"nats://127.0.0.1:{free_port()}", timeout=5.0)()
    assert failed.value.code == "unavailable"


def test_nats_check_on_a_silent_server_times_out() -> None:
    """A server that accepts and never speaks: the socket timeout ends the probe."""
    with peer([]) as port, pytest.raises(CheckFailed) as failed:
        NatsCheck(f"nats://127.0.0.1:{port}", timeout=0.2)()
    assert failed.value.code == "timeout"


def test_nats_check_refused_credentials() -> None:
    """-ERR after CONNECT (bad user or password) is ``refused``; the password is not in it."""
    with peer([INFO, b"", b"-ERR 'Authorization Violation'\r\n"]) as port:
        check = NatsCheck(f"nats://svc:s3cret@127.0.0.1:{port}", timeout=5.0)
        assert check.connect["user"] == "svc" and check.connect["pass"] == "s3cret"
        with pytest.raises(CheckFailed) as failed:
            check()
    assert failed.value.code == "refused" and "s3cret" not in str(failed.value)


def test_nats_check_on_something_else_is_unavailable() -> None:
    """An HTTP server where NATS should be."""
    with peer([b"HTTP/1.1 400 Bad Request\r\n"]) as port, pytest.raises(CheckFailed) as failed:
        NatsCheck(f"nats://127.0.0.1:{port}", timeout=5.0)()
    assert failed.value.code == "unavailable"


@pytest.mark.redis
def test_redis_check_passes_against_the_real_server() -> None:
    RedisCheck("redis://127.0.0.1:6379/0", timeout=5.0)()


def test_redis_check_on_a_closed_port_is_unavailable() -> None:
    with pytest.raises(CheckFailed) as failed:
        RedisCheck(f"redis://:pw@127.0.0.1:{free_port()}/0", timeout=5.0)()
    assert failed.value.code == "unavailable" and "pw" not in str(failed.value)


class Hangs:
    """A probe that blocks until released (a dependency that never answers)."""

    name = "hangs"

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self) -> None:
        self.release.wait()


class Passes:
    name = "passes"

    def __call__(self) -> None:
        return None


class Breaks:
    name = "breaks"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def __call__(self) -> None:
        raise self.exc


def test_run_checks_bounds_a_hung_check_and_reports_each_by_name() -> None:
    """A hung probe is ``timeout`` and does not hold the others back; a probe's own failure
    gives its code, any other exception ``error``; results keep the checks' order."""
    hung = Hangs()
    checks = [
        Passes(),
        hung,
        Breaks(CheckFailed("x", code="keys_unavailable")),
        Breaks(StorageError("postgresql://user:pw@db/x")),
    ]
    try:
        results = anyio.run(run_checks, checks, 0.2, anyio.CapacityLimiter(8))
    finally:
        hung.release.set()
    assert [(r.name, r.ok, r.reason) for r in results] == [
        ("passes", True, None),
        ("hangs", False, "timeout"),
        ("breaks", False, "keys_unavailable"),
        ("breaks", False, "error"),
    ]
    assert CheckResult("x", False, "timeout", 0.25).as_dict() == {
        "ok": False,
        "ms": 250.0,
        "reason": "timeout",
    }
