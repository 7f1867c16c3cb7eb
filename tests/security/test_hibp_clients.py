"""HIBP clients unchanged but for the base URL (issue #10, point 8): ``/range/{prefix}``,
anonymous reads, never an empty body. A real client (pyhibp) and plain ``requests`` talk to a
live uvicorn server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyhibp
import pytest
import requests
import uvicorn
from pyhibp import pwnedpasswords as hibp

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.importer import CorpusImporter, MergeMode
from shieldwall.guard.passwords.sources import SourceFormat
from shieldwall.wiring import build, initialize

# SHA-1("password") as HIBP's documentation shows it: prefix 5BAA6, suffix 1E4C9B93F3F...
PASSWORD_SUFFIX = "1E4C9B93F3F0682250B6CF8331B7EE68FD8"
BREACHED = {"password": 10_434_004, "P@ssw0rd": 52_579}
NOT_BREACHED = "a password nobody ever used 7f3a"
LINE = re.compile(r"^[0-9A-F]{35}:[0-9]+$")
KEYS: dict[str, str] = {}  # the running server's service key


@contextmanager
def live_server(tmp_path: Path, clock: ManualClock, **guard: Any) -> Iterator[str]:
    """shieldwall with a small corpus on a real socket; yields the base URL ``http://host:port/``.

    The socket is bound and listening before the server thread starts, so a client connecting
    at once waits in the backlog: no polling for readiness."""
    overrides = {"guard": {"passwords": guard}} if guard else {}
    settings = load_settings({"SHIELDWALL_HOME": str(tmp_path / "home")}, overrides)
    initialize(settings, clock)
    services = build(settings, clock)
    src = tmp_path / "list.txt"
    src.write_text("".join(f"{p}:{c}\n" for p, c in BREACHED.items()), encoding="utf-8")
    CorpusImporter(settings.resolved_password_dir, HashKind.SHA1, fsync=False).run(
        [(src, SourceFormat.PLAIN_COUNTS)], MergeMode.ADD
    )
    services.passwords.corpora.reload()
    _, KEYS["app"] = services.custody.principals.add("app", "service", unit="store-app")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(services), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
        services.close()


@pytest.fixture
def base(tmp_path: Path, clock: ManualClock) -> Iterator[str]:
    with live_server(tmp_path, clock) as url:
        yield url


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


def test_pyhibp_works_with_only_its_base_url_changed(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stock pyhibp, pointed at our root with no key, finds breached passwords with their counts
    and answers 0 for one in an empty bucket and for an unseen suffix in a full one."""
    monkeypatch.setattr(hibp, "PWNED_PASSWORDS_API_BASE_URI", base)
    monkeypatch.setitem(pyhibp.pyHIBP_HEADERS, "User-Agent", "shieldwall-test")
    monkeypatch.setitem(pyhibp.pyHIBP_HEADERS, "Add-Padding", None)  # pyhibp sets it per call
    for password, count in BREACHED.items():
        assert hibp.is_password_breached(password=password) == count
        assert hibp.is_password_breached(password=password, add_padding=True) == count
    assert hibp.is_password_breached(password=NOT_BREACHED) == 0
    assert hibp.is_password_breached(sha1_hash="5BAA6" + "0" * 35) == 0


def test_range_like_hibps_curl_example(base: str) -> None:
    """``GET /range/{prefix}`` without a key, as HIBP's docs show it: SUFFIX:COUNT lines joined
    by CRLF; an empty bucket answers zero-count padding lines, never an empty body, so a client
    parsing every line (as the ``pwnedpasswords`` package does) never crashes."""
    r = requests.get(base + "range/5BAA6", timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert f"{PASSWORD_SUFFIX}:10434004" in r.text.split("\r\n")
    empty_prefix = sha1(NOT_BREACHED)[:5]
    for headers in ({}, {"Add-Padding": "true"}):
        r = requests.get(base + "range/" + empty_prefix, headers=headers, timeout=30)
        assert r.status_code == 200 and r.content
        lines = r.text.split("\r\n")
        assert all(LINE.match(line) for line in lines)
        counts = {s: int(c) for s, c in (line.split(":") for line in lines)}
        assert set(counts.values()) == {0} and len(counts) >= 800


def test_empty_bucket_is_never_an_empty_body_on_either_route(
    tmp_path: Path, clock: ManualClock
) -> None:
    """With a key, on the old ``/v1/pwnedpasswords/`` base too, an empty bucket answers
    zero-count lines, not an empty body."""
    with live_server(tmp_path, clock) as url:
        key = KEYS["app"]
        prefix = sha1(NOT_BREACHED)[:5]
        r = requests.get(
            f"{url}v1/pwnedpasswords/range/{prefix}", headers={"hibp-api-key": key}, timeout=30
        )
    assert r.status_code == 200 and r.content
    assert all(LINE.match(x) and x.endswith(":0") for x in r.text.split("\r\n"))


def test_anonymous_range_can_be_turned_off(tmp_path: Path, clock: ManualClock) -> None:
    """With ``anonymous_range = false`` a read without a key is 401 problem+json."""
    with live_server(tmp_path, clock, anonymous_range=False) as url:
        r = requests.get(url + "range/5BAA6", timeout=30)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
