"""``shieldwall logins breach-import`` through the real CLI: on the Redis state the service
shares, the import's tags reach the engine; on the in-process state it refuses in one line;
a bad file names lines, never passwords, and imports nothing."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.guard.risk.model import LoginAttempt
from tests.functional.test_custody_cli import cli, home  # noqa: F401 - fixtures

ACCOUNT = "13812345678"


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
def on_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh home on the Redis state under a tenant of its own (set before ``init``: the
    tenant is bound into every ciphertext), with breach_tweaks on."""
    tenant = f"t{secrets.token_hex(4)}"
    h = tmp_path / "home"
    h.mkdir()
    (h / "shieldwall.toml").write_text(
        f'tenant = "{tenant}"\nstate_backend = "redis"\n[guard.risk]\nbreach_tweaks = true\n'
    )
    monkeypatch.setenv("SHIELDWALL_HOME", str(h))
    monkeypatch.delenv("SHIELDWALL_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHIELDWALL_STATE_BACKEND", raising=False)
    common.settings.cache_clear()
    common.services.cache_clear()
    assert main(["init"]) == 0
    yield tenant
    if common.services.cache_info().currsize:
        common.services().close()
    common.settings.cache_clear()
    common.services.cache_clear()
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in client.scan_iter(match=f"shieldwall:{tenant}:*", count=1000):
        client.delete(key)


@pytest.mark.redis
def test_import_reaches_the_engine_on_redis(
    on_redis: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The import counts lines, accounts and tags and prints no password; a stranger's
    "Wang1986!" on the account is then flagged breach_tweak by the service's engine."""
    combo = tmp_path / "leak.txt"
    combo.write_text(f"{ACCOUNT}:wang1985!\nzhao@example.com:Dragon88\n", encoding="utf-8")
    code, out, err = cli("logins", "breach-import", str(combo), "--json", capsys=capsys)
    assert code == 0, err
    got = json.loads(out)
    assert got["lines"] == 2 and got["accounts"] == 2 and got["tags"] > 100
    assert "wang" not in out + err and "Dragon" not in out + err
    engine = common.services().risk
    a = engine.assess(LoginAttempt(ACCOUNT, "36.101.7.9", "x", None, sha1("Wang1986!")))
    assert "breach_tweak" in {r.code for r in a.reasons}
    b = engine.assess(LoginAttempt(ACCOUNT, "36.101.7.9", "x", None, sha1("pw-unrelated")))
    assert "breach_tweak" not in {r.code for r in b.reasons}


@pytest.mark.redis
def test_bad_file_names_lines_and_imports_nothing(
    on_redis: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file with a bad line exits 1 with one line naming it; the good line before it is not
    imported."""
    combo = tmp_path / "leak.txt"
    combo.write_bytes(f"{ACCOUNT}:wang1985!\nHunter2Secret\n".encode())
    code, out, err = cli("logins", "breach-import", str(combo), capsys=capsys)
    assert code == 1 and out == ""
    assert "line 2: no ':'" in err and "Secret" not in err and len(err.strip().splitlines()) == 1
    engine = common.services().risk
    a = engine.assess(LoginAttempt(ACCOUNT, "36.101.7.9", "x", None, sha1("wang1985!")))
    assert "breach_tweak" not in {r.code for r in a.reasons}


def test_memory_state_refuses_in_one_line(
    home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the in-process state (the default) the CLI cannot reach the server's counters: it
    says so and where to import instead, exit 1."""
    combo = tmp_path / "leak.txt"
    combo.write_text(f"{ACCOUNT}:wang1985!\n", encoding="utf-8")
    code, _, err = cli("logins", "breach-import", str(combo), capsys=capsys)
    assert code == 1
    assert "/v1/logins/breach-import" in err and len(err.strip().splitlines()) == 1
