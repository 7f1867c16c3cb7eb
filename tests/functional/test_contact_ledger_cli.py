"""The contact ledger through the real CLI: numbers, contacts, messages, warn plan and send
(against a local webhook receiver), and one-line errors with non-zero exits."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shieldwall.cli import common
from shieldwall.contact.warnings.senders import SIGNATURE_HEADER, verify_signature
from tests.functional.clihome import cli_home
from tests.functional.test_custody_cli import PEOPLE, cli, seeded


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, initialised SQLite home; CLI caches cleared around each test."""
    with cli_home(tmp_path, monkeypatch) as h:
        yield h


def feed(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))


def out_json(code_out_err: tuple[int, str, str]) -> Any:
    code, out, err = code_out_err
    assert code == 0, err
    return json.loads(out)


def staffed(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The seeded store, with agent-li holding a ticket for every customer but the last."""
    seeded(home, tmp_path, capsys)
    for person in PEOPLE[:-1]:
        opened = cli(
            "tickets", "open", "--agent", "agent-li", "--customer", person.customer_id,
            capsys=capsys,
        )  # fmt: skip
        assert opened[0] == 0, opened[2]


def test_numbers_contacts_and_status(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Register numbers, a call and see what the app shows; bad input exits 1 with one line."""
    staffed(home, tmp_path, capsys)
    assert cli("numbers", "add", "950618", "--kind", "hotline", capsys=capsys)[0] == 0
    code, out, _ = cli("numbers", "add", "010-5632-XXXX", "--kind", "outbound", capsys=capsys)
    assert code == 0 and "+86105632XXXX" in out and "range" in out
    code, out, _ = cli("numbers", "check", "+86 10 5632 0042", capsys=capsys)
    assert code == 0 and "010 5632 0042: official (outbound; range)" in out
    code, out, _ = cli("numbers", "check", "138 1234 5678", capsys=capsys)
    assert code == 0 and "NOT one of the store's numbers" in out
    code, out, err = cli("numbers", "check", "not a number!", capsys=capsys)
    assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith("error: number:")

    cid = PEOPLE[0].customer_id
    reg = out_json(
        cli(
            "contacts", "register", "--as", "agent-li", "--customer", cid, "--channel", "call",
            "--via", "950618", "--reason", "refund", "--order", "O0001", "--json", capsys=capsys,
        )
    )  # fmt: skip
    assert reg["state"] == "live" and len(reg["agent_reads_code"]) == 6
    status = out_json(cli("contacts", "status", "--subject", cid, "--json", capsys=capsys))
    assert status["state"] == "calling_now"
    assert status["contacts"][0]["agent_reads_code"] == reg["agent_reads_code"]
    code, out, _ = cli(
        "contacts",
        "status",
        "--subject",
        cid,
        "--incoming",
        "13812345678",
        "--lang",
        "en",
        capsys=capsys,
    )
    assert code == 0 and "not_us" in out and "hang up" in out
    code, out, _ = cli("contacts", "end", reg["contact_id"], "--as", "agent-li", capsys=capsys)
    assert code == 0 and "ended" in out
    code, out, _ = cli("contacts", "status", "--subject", cid, capsys=capsys)
    assert "recent" in out and "我们最近联系过您" in out

    code, out, err = cli(
        "contacts", "register", "--as", "agent-li", "--customer", cid, "--channel", "call",
        "--via", "13812345678", "--reason", "refund", capsys=capsys,
    )  # fmt: skip
    assert code == 1 and err == "error: via: is not one of the store's official numbers\n"
    code, _, err = cli(
        "contacts", "register", "--as", "courier-wang", "--customer", cid, "--channel", "call",
        "--via", "950618", "--reason", "refund", capsys=capsys,
    )  # fmt: skip
    assert code == 3 and err.startswith("error:")
    code, _, err = cli(
        "contacts", "register", "--as", "agent-li", "--customer", PEOPLE[-1].customer_id,
        "--channel", "call", "--via", "950618", "--reason", "refund", capsys=capsys,
    )  # fmt: skip
    assert code == 3 and err == "error: the agent holds no open ticket for this customer\n"


def test_customer_code_verified_from_stdin(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent types the customer's code on stdin (not argv): exit 0 if right, 1 if wrong."""
    staffed(home, tmp_path, capsys)
    cli("numbers", "add", "950618", "--kind", "hotline", capsys=capsys)
    cid = PEOPLE[1].customer_id
    reg = out_json(
        cli(
            "contacts", "register", "--as", "agent-li", "--customer", cid, "--channel", "call",
            "--via", "950618", "--reason", "delivery", "--verification", "customer_reads",
            "--json", capsys=capsys,
        )
    )  # fmt: skip
    shown = out_json(cli("contacts", "status", "--subject", cid, "--json", capsys=capsys))
    code = shown["contacts"][0]["customer_reads_code"]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    feed(monkeypatch, wrong + "\n")
    result = cli("contacts", "verify", reg["contact_id"], "--as", "agent-li", capsys=capsys)
    assert result[0] == 1 and "wrong_code (4 attempts left)" in result[1]
    feed(monkeypatch, code + "\n")
    result = cli("contacts", "verify", reg["contact_id"], "--as", "agent-li", capsys=capsys)
    assert result[0] == 0 and "verified" in result[1]


def test_messages_sign_and_verify(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign a text from stdin; the signed text verifies, an altered one exits 1."""
    text = "【示例商城】您的退款已到账。"
    feed(monkeypatch, text)
    code, signed, err = cli("messages", "sign", "--customer", "C000001", capsys=capsys)
    assert code == 0, err
    assert signed.startswith(text) and "防伪码" in signed
    feed(monkeypatch, signed)
    code, out, _ = cli("messages", "verify", "--customer", "C000001", capsys=capsys)
    assert code == 0 and "genuine" in out
    feed(monkeypatch, signed.replace("退款", "赔偿"))
    code, out, _ = cli("messages", "verify", "--customer", "C000001", "--json", capsys=capsys)
    assert code == 1 and json.loads(out) == {"valid": False, "reason": "mismatch"}
    feed(monkeypatch, signed)
    code, out, _ = cli("messages", "verify", "--customer", "C000002", capsys=capsys)
    assert code == 1 and "mismatch" in out


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    seen: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms", seen
    server.shutdown()
    server.server_close()


def test_warn_plan_and_send(
    home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gateway: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    """Plan from a trace result, re-plan (nothing new), send through the webhook, see the outbox."""
    staffed(home, tmp_path, capsys)
    url, seen = gateway
    code, _, err = cli("warn", "send", capsys=capsys)
    assert code == 1 and "no sender configured" in err
    (home / "shieldwall.toml").write_text(
        f'[contact.warnings]\nwebhook_url = "{url}"\nper_minute = 3\nhotline = "950618"\n'
    )
    common.services().close()
    common.settings.cache_clear()
    common.services.cache_clear()
    trace = tmp_path / "trace.json"
    ids = [p.customer_id for p in PEOPLE[:5]]
    trace.write_text(json.dumps({"customer_ids": [*ids, "C999999"], "source": "trace"}))
    code, out, err = cli(
        "warn", "plan", "--leak", "leak-2026-03", "--file", str(trace), capsys=capsys
    )
    assert code == 0, err
    assert "5 customers at risk for leak:leak-2026-03; 1 unknown ids ignored" in out
    assert "queued 5" in out
    again = out_json(
        cli("warn", "plan", "--leak", "leak-2026-03", "--file", str(trace), "--json", capsys=capsys)
    )
    assert again["queued"] == 0 and again["already_planned"] == 5
    assert again["candidates"][0]["signals"][0]["code"] == "in_leaked_set"
    sent = out_json(cli("warn", "send", "--json", capsys=capsys))
    assert sent["sent"] == 3 and sent["rate_limited"] is True and sent["due_left"] == 2
    assert len(seen) == 3
    secret = bytes.fromhex(cli("warn", "webhook-secret", capsys=capsys)[1].strip())
    headers, body = seen[0]
    assert verify_signature(secret, headers[SIGNATURE_HEADER.lower()], body, time.time())
    doc = json.loads(body)
    assert doc["to"] in {p.phone for p in PEOPLE} and "950618" in doc["text"]
    outbox = out_json(cli("warn", "outbox", "--leak", "leak-2026-03", "--json", capsys=capsys))
    assert outbox["counts"] == {"pending": 2, "sending": 0, "sent": 3, "dead": 0}
    assert all(json.dumps(n).find(doc["to"]) < 0 for n in outbox["notifications"])
    code, _, err = cli("warn", "plan", "--leak", "x", "--campaign", "y", capsys=capsys)
    assert code == 1 and "exactly one of --leak, --campaign" in err
    code, _, err = cli("warn", "plan", "--leak", "bad id", "--customers", "C000001", capsys=capsys)
    assert code == 1 and err.startswith("error: leak:")


def test_warn_outbox_pages_with_a_cursor(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Five warnings queued, read two at a time: each listing says on stderr how to continue,
    ``--cursor`` continues there, every warning is shown once, the last says nothing more;
    a cursor the list did not issue exits 1 with one line naming it."""
    seeded(home, tmp_path, capsys)
    ids = ",".join(p.customer_id for p in PEOPLE[:5])
    code, out, err = cli("warn", "plan", "--leak", "leak-p", "--customers", ids, capsys=capsys)
    assert code == 0 and "queued 5" in out, err
    seen: list[str] = []
    cursor: list[str] = []
    for expected in (2, 2, 1):
        code, out, err = cli("warn", "outbox", "--limit", "2", "--json", *cursor, capsys=capsys)
        assert code == 0, err
        doc = json.loads(out)
        assert doc["counts"]["pending"] == 5
        assert len(doc["notifications"]) == expected
        seen += [n["notification_id"] for n in doc["notifications"]]
        if expected == 1:
            assert err == ""
        else:
            assert err.startswith("more: continue with --cursor "), err
            cursor = ["--cursor", err.split()[-1]]
    assert len(seen) == len(set(seen)) == 5
    code, out, _ = cli("warn", "outbox", "--limit", "2", capsys=capsys)
    assert code == 0 and seen[0] in out and seen[1] in out and seen[2] not in out
    code, out, err = cli("warn", "outbox", "--cursor", "junk", capsys=capsys)
    assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith("error: cursor"), err
