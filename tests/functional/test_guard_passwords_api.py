"""Guard passwords over HTTP: the range API (also through a real HIBP client) and the check."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyhibp
import pytest
import uvicorn
from fastapi.testclient import TestClient
from pyhibp import pwnedpasswords as hibp

from shieldwall.api.app import create_app
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.importer import CorpusImporter, MergeMode
from shieldwall.guard.passwords.sources import SourceFormat
from shieldwall.wiring import Services
from tests.functional.conftest import Store

SHA1_LINE = re.compile(r"^[0-9A-F]{35}:[0-9]+$")
BREACHED = {"password": 10_434_004, "P@ssw0rd": 52_579, "zhangwei1990": 42}
NOT_BREACHED = "a password nobody ever used 7f3a"


@pytest.fixture
def corpus(services: Services, tmp_path: Path) -> Services:
    """The store's home with a small SHA-1 and NTLM corpus imported (as plain-counts lists)."""
    src = tmp_path / "list.txt"
    src.write_text("".join(f"{p}:{c}\n" for p, c in BREACHED.items()), encoding="utf-8")
    for kind in HashKind:
        CorpusImporter(services.settings.resolved_password_dir, kind, fsync=False).run(
            [(src, SourceFormat.PLAIN_COUNTS)], MergeMode.ADD
        )
    services.passwords.corpora.reload()
    return services


def _get(client: TestClient, prefix: str, headers: dict[str, str], **params: str):  # type: ignore[no-untyped-def]
    return client.get(f"/v1/pwnedpasswords/range/{prefix}", headers=headers, params=params)


def test_range_checks_a_key_when_one_is_sent(
    store: Store, corpus: Services, client: TestClient
) -> None:
    """No key: 200 (anonymous, as HIBP); an agent: 403; a bad key: 401 problem+json; service via
    Bearer or hibp-api-key: 200."""
    assert _get(client, "5BAA6", {}).status_code == 200
    r = _get(client, "5BAA6", {"Authorization": "Bearer sw_nonsense"})
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert _get(client, "5BAA6", store.auth("agent-li")).status_code == 403
    assert _get(client, "5BAA6", store.auth("app")).status_code == 200
    r = _get(client, "5BAA6", {"hibp-api-key": store.keys["analyst-he"]})
    assert r.status_code == 200
    assert _get(client, "5BAA6", {"hibp-api-key": "sw_nonsense"}).status_code == 401


def test_range_body_is_hibp_format(store: Store, corpus: Services, client: TestClient) -> None:
    """200 text/plain, CRLF, upper case, no trailing CRLF; lower-case prefix the same."""
    r = _get(client, "5BAA6", store.auth("app"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.content == b"1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004"
    assert _get(client, "5baa6", store.auth("app")).content == r.content
    empty = _get(client, "00000", store.auth("app"))
    assert empty.status_code == 200 and empty.content  # padded, never empty
    assert all(line.endswith(":0") for line in empty.text.split("\r\n"))


def test_range_padding_and_ntlm(store: Store, corpus: Services, client: TestClient) -> None:
    """Add-Padding: 800-999 well-formed lines, the real one first; mode=ntlm uses NTLM."""
    r = _get(client, "5BAA6", store.auth("app") | {"Add-Padding": "true"})
    lines = r.text.split("\r\n")
    assert 800 <= len(lines) <= 999 and all(SHA1_LINE.match(x) for x in lines)
    assert lines[0] == "1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004"
    assert all(x.endswith(":0") for x in lines[1:])
    ntlm = HashKind.NTLM.digest("password").hex().upper()
    r = _get(client, ntlm[:5], store.auth("app"), mode="ntlm")
    assert r.text == f"{ntlm[5:]}:10434004"


@pytest.mark.parametrize(
    ("prefix", "detail"),
    [
        ("5BAA", "The hash prefix was not in a valid format"),
        ("5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8", "The hash prefix was not in a valid format"),
        ("5BAAZ", "The hash prefix was not valid hexadecimal"),
    ],
)
def test_range_bad_prefix(
    store: Store, corpus: Services, client: TestClient, prefix: str, detail: str
) -> None:
    """A bad prefix is 400 problem+json carrying HIBP's message."""
    r = _get(client, prefix, store.auth("app"))
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == detail and r.json()["field"] == "prefix"


def test_range_corrupt_shard_is_503(store: Store, corpus: Services, client: TestClient) -> None:
    """A shard damaged on disk answers 503 problem+json, never wrong data."""
    shard = corpus.settings.resolved_password_dir / "sha1" / "5BA.shard"
    shard.write_bytes(shard.read_bytes()[:-3])
    corpus.passwords.corpora.reload()
    r = _get(client, "5BAA6", store.auth("app"))
    assert r.status_code == 503 and r.json()["code"] == "corpus_corrupt"


@pytest.fixture
def live_server(corpus: Services) -> Iterator[str]:
    """The app on a real socket (a stock client uses its own HTTP stack)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(corpus), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/v1/pwnedpasswords/"
    server.should_exit = True
    thread.join(10)


def test_stock_hibp_client_works_with_only_the_base_url_changed(
    store: Store, live_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyhibp, unmodified, answers from our corpus once pointed at our base URL."""
    monkeypatch.setattr(hibp, "PWNED_PASSWORDS_API_BASE_URI", live_server)
    monkeypatch.setitem(pyhibp.pyHIBP_HEADERS, "User-Agent", "shieldwall-test")
    monkeypatch.setitem(pyhibp.pyHIBP_HEADERS, "hibp-api-key", store.keys["app"])
    for password, count in BREACHED.items():
        assert hibp.is_password_breached(password=password) == count
        assert hibp.is_password_breached(password=password, add_padding=True) == count
    assert hibp.is_password_breached(password=NOT_BREACHED) == 0
    assert hibp.is_password_breached(password=NOT_BREACHED, add_padding=True) == 0
    assert len(hibp.suffix_search(hash_prefix="00000", add_padding=True)) >= 800
    monkeypatch.setitem(pyhibp.pyHIBP_HEADERS, "hibp-api-key", "sw_nonsense")
    with pytest.raises(RuntimeError, match="401"):
        hibp.is_password_breached(password="password")


def test_check_accepts_and_rejects_with_reasons(
    store: Store, corpus: Services, client: TestClient
) -> None:
    """The check names each reason in zh and en, with the breach count."""
    r = client.post("/v1/passwords/check", headers=store.auth("app"), json={"password": "password"})
    body = r.json()
    assert r.status_code == 200 and body["accepted"] is False
    assert [x["code"] for x in body["reasons"]] == ["too_short"]
    r = client.post(
        "/v1/passwords/check", headers=store.auth("app"), json={"password": "password", "mfa": True}
    )
    codes = [x["code"] for x in r.json()["reasons"]]
    assert "breached" in codes and r.json()["breach_count"] == 10_434_004
    r = client.post(
        "/v1/passwords/check",
        headers=store.auth("app"),
        json={"password": "correct horse battery staple"},
    )
    assert r.json()["accepted"] is True and r.json()["breach_count"] == 0


def test_check_with_customer_from_custody(
    store: Store, corpus: Services, client: TestClient
) -> None:
    """customer_id (in the customer's own session) makes custody supply name/phone/ID words;
    the read is audited."""
    customer = store.customers[0]
    assert customer.phone is not None
    tail = customer.phone[-6:]
    before = corpus.audit.size()
    r = client.post(
        "/v1/passwords/check",
        headers=store.auth("app"),
        json={
            "password": f"my lucky numbers {tail} forever",
            "customer_id": customer.customer_id,
            "subject": customer.customer_id,
        },
    )
    assert r.status_code == 200
    assert "contains_phone" in [x["code"] for x in r.json()["reasons"]]
    assert tail not in r.text
    assert corpus.audit.size() == before + 1
    missing = client.post(
        "/v1/passwords/check",
        headers=store.auth("app"),
        json={"password": "x" * 20, "customer_id": "C-none", "subject": "C-none"},
    )
    assert missing.status_code == 404


def test_check_bad_input_never_echoes_the_password(
    store: Store, corpus: Services, client: TestClient
) -> None:
    """Unknown fields or a missing password: 422 problem+json without the password in it."""
    secret = "hunter2-very-secret-value"
    r = client.post(
        "/v1/passwords/check", headers=store.auth("app"), json={"password": secret, "x": 1}
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert secret not in r.text
    r = client.post("/v1/passwords/check", headers=store.auth("app"), json={"passwd": secret})
    assert r.status_code == 422 and secret not in r.text
    assert (
        client.post(
            "/v1/passwords/check", headers=store.auth("agent-li"), json={"password": secret}
        ).status_code
        == 403
    )
