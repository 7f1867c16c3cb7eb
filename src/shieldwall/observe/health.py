"""Readiness: can this process serve requests now?

Each :class:`ReadinessCheck` is a small blocking probe of one dependency (the database, Redis,
NATS, the keys). :func:`run_checks` runs them at once in threads of their own capacity limiter,
each bounded by ``timeout`` seconds: a dependency that hangs answers ``timeout`` on time (its
thread is abandoned and, the limiter being small, cannot pile up). A result names the check and
a reason from a fixed vocabulary (``unavailable``, ``timeout``, ``refused``, ``keys_unavailable``,
``error``), never an exception's text: that could hold a connection string or credentials.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from io import BufferedIOBase
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import anyio
import anyio.to_thread
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from shieldwall.core.errors import ShieldwallError
from shieldwall.custody.keys import FIELD_PURPOSES, Keyring

log = logging.getLogger(__name__)


class CheckFailed(ShieldwallError):
    """A readiness probe failed; ``code`` says how (it is what ``/readyz`` shows)."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    reason: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "ms": round(self.seconds * 1000, 1)}
        if self.reason is not None:
            out["reason"] = self.reason
        return out


class ReadinessCheck(Protocol):
    name: str

    def __call__(self) -> None:
        """Return if the dependency answers; raise :class:`CheckFailed` if not."""
        ...


class DatabaseCheck:
    """``SELECT 1`` through the engine's pool."""

    name = "database"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            raise CheckFailed("database unavailable", code="unavailable") from None


class RedisCheck:
    """``PING`` with connect and socket timeouts of ``timeout`` seconds."""

    name = "redis"

    def __init__(self, url: str, timeout: float) -> None:
        import redis  # noqa: PLC0415 - only when Redis is configured (an optional extra)

        self._errors = redis.RedisError
        self._client: redis.Redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )

    def __call__(self) -> None:
        try:
            self._client.ping()
        except self._errors:
            raise CheckFailed("redis unavailable", code="unavailable") from None


class NatsCheck:
    """The NATS client protocol's handshake: read ``INFO``, send ``CONNECT`` and ``PING``,
    expect ``PONG`` (https://docs.nats.io/reference/reference-protocols/nats-protocol).

    Speaks the few lines itself rather than through an asyncio client: a probe in a thread
    needs no event loop. Credentials in the URL (``user:password@`` or ``token@``) are sent in
    ``CONNECT``; TLS is used when the URL's scheme is ``tls`` or the server requires it.
    """

    name = "nats"

    def __init__(self, url: str, timeout: float) -> None:
        self.timeout = timeout
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        self.tls = parts.scheme == "tls"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 4222
        self.connect: dict[str, Any] = {
            "verbose": False,
            "pedantic": False,
            "lang": "python",
            "version": "shieldwall-readyz",
            "protocol": 1,
        }
        if parts.username and parts.password is not None:
            self.connect["user"] = unquote(parts.username)
            self.connect["pass"] = unquote(parts.password)
        elif parts.username:
            self.connect["auth_token"] = unquote(parts.username)

    def __call__(self) -> None:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as raw:
                self._handshake(raw)
        except TimeoutError:
            raise CheckFailed("nats timed out", code="timeout") from None
        except (OSError, ValueError):
            raise CheckFailed("nats unavailable", code="unavailable") from None

    def _handshake(self, raw: socket.socket) -> None:
        stream: BufferedIOBase = raw.makefile("rwb")
        info = _line(stream)
        if not info.startswith(b"INFO "):
            raise CheckFailed("not a NATS server", code="unavailable")
        tls_required = bool(json.loads(info[5:]).get("tls_required"))
        if self.tls or tls_required:
            context = ssl.create_default_context()
            raw = context.wrap_socket(raw, server_hostname=self.host)
            stream = raw.makefile("rwb")
        stream.write(b"CONNECT " + json.dumps(self.connect).encode() + b"\r\nPING\r\n")
        stream.flush()
        for _ in range(8):  # +OK (verbose servers) and INFO updates may come before PONG
            line = _line(stream)
            if line == b"PONG":
                return
            if line.startswith(b"-ERR"):
                raise CheckFailed("nats refused the connection", code="refused")
        raise CheckFailed("nats did not answer PING", code="unavailable")


def _line(stream: BufferedIOBase) -> bytes:
    line = stream.readline(64 * 1024)
    if not line.endswith(b"\r\n"):
        raise CheckFailed("nats closed the connection", code="unavailable")
    return line[:-2]


class KeysCheck:
    """The active field keys exist and the key provider still unwraps one of them (a replaced
    key file, or a key service that stopped answering, fails here before it fails a read)."""

    name = "keys"

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def __call__(self) -> None:
        try:
            version = self.keyring.active_field_version()
            records = [
                r
                for r in self.keyring.store.load_data_keys()
                if r.version == version and r.purpose in FIELD_PURPOSES
            ]
            if not records:
                raise CheckFailed("no active field key", code="keys_unavailable")
            rec = records[0]
            self.keyring.provider.unwrap(rec.kek_version, rec.purpose, rec.version, rec.wrapped)
        except CheckFailed:
            raise
        except ShieldwallError:
            raise CheckFailed("keys unavailable", code="keys_unavailable") from None


async def run_checks(
    checks: Sequence[ReadinessCheck], timeout: float, limiter: anyio.CapacityLimiter
) -> list[CheckResult]:
    """Run every check at once, each bounded by ``timeout`` seconds; results in ``checks``'
    order."""
    results: list[CheckResult | None] = [None] * len(checks)

    async def run(i: int, check: ReadinessCheck) -> None:
        start = time.perf_counter()
        reason: str | None = None
        try:
            with anyio.fail_after(timeout):
                await anyio.to_thread.run_sync(check, abandon_on_cancel=True, limiter=limiter)
        except TimeoutError:
            reason = "timeout"
        except CheckFailed as exc:
            reason = exc.code
        except Exception as exc:  # a probe's bug fails the probe, not /readyz
            log.warning("readiness check %s raised %s", check.name, type(exc).__name__)
            reason = "error"
        results[i] = CheckResult(check.name, reason is None, reason, time.perf_counter() - start)

    async with anyio.create_task_group() as tg:
        for i, check in enumerate(checks):
            tg.start_soon(run, i, check)
    return [r for r in results if r is not None]
