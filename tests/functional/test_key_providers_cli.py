"""The CLI with the KEKs outside the home directory: a SoftHSM2 token (PKCS#11) and a FAKE of
Vault's Transit API (tests/unit/custody/fake_transit.py; no real Vault was run)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from shieldwall.cli import common
from shieldwall.custody.keys_pkcs11 import Pkcs11KeyProvider
from shieldwall.sim.people import PeopleFactory
from tests.functional.clihome import run_cli
from tests.softhsm import SoftToken, softhsm_token
from tests.unit.custody.fake_transit import FAKE_TOKEN, fake_transit

PEOPLE = PeopleFactory(11).customers(5)


@contextmanager
def provider_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, env: dict[str, str]
) -> Iterator[Path]:
    """A home whose shieldwall.toml chooses the provider; CLI caches cleared around it."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "shieldwall.toml").write_text(toml, encoding="utf-8")
    monkeypatch.setenv("SHIELDWALL_HOME", str(home))
    for var in ("SHIELDWALL_DATABASE_URL", "SHIELDWALL_STATE_BACKEND", "SHIELDWALL_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    _clear()
    try:
        yield home
    finally:
        _clear()


def _clear() -> None:
    if common.services.cache_info().currsize:
        common.services().close()
    common.settings.cache_clear()
    common.services.cache_clear()


def _import_and_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Import PEOPLE, register an agent, open a ticket and read one customer masked."""
    rows = ["customer_id,name,phone,email,address,national_id"] + [
        f"{c.customer_id},{c.name},{c.phone},{c.email},{c.address},{c.national_id}" for c in PEOPLE
    ]
    csv = tmp_path / "customers.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run_cli(capsys, "customers", "import", str(csv))[0] == 0
    assert run_cli(capsys, "principals", "add", "agent-li", "--role", "agent")[0] == 0
    c = PEOPLE[0]
    code, out, _ = run_cli(
        capsys, "tickets", "open", "--agent", "agent-li", "--customer", c.customer_id, "--json"
    )
    assert code == 0
    return str(json.loads(out)["ticket_id"])


def _masked_read(capsys: pytest.CaptureFixture[str], ticket: str) -> dict[str, object]:
    c = PEOPLE[0]
    code, out, err = run_cli(
        capsys,
        "customers",
        "show",
        c.customer_id,
        "--as",
        "agent-li",
        "--purpose",
        "after_sales",
        "--ticket",
        ticket,
        "--json",
    )
    assert code == 0, err
    view = json.loads(out)
    assert view["fields"]["phone"]["view"] == "masked"
    assert view["fields"]["phone"]["value"] != c.phone
    assert str(view["fields"]["phone"]["value"])[-4:] == c.phone[-4:]
    return view  # type: ignore[no-any-return]


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftToken]:
    with softhsm_token(tmp_path, monkeypatch, label="shop-kek") as tok:
        yield tok


def test_pkcs11_init_import_read_rotate_retire(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: SoftToken,
) -> None:
    """init makes KEK 1 on the token and no key file; import and a masked read work through
    it; rotate --kek --keep-old-kek keeps v1 until retire-kek; a fresh process still reads."""
    toml = (
        f'[keys]\nprovider = "pkcs11"\n[keys.pkcs11]\nmodule = "{token.module}"\n'
        f'token_label = "{token.label}"\n'
    )
    with provider_home(tmp_path, monkeypatch, toml, {"SHIELDWALL_PKCS11_PIN": token.pin}) as home:
        code, out, _ = run_cli(capsys, "init", "--json")
        assert code == 0
        report = json.loads(out)
        assert report["key_provider"] == "pkcs11" and report["created_key_file"] is True
        assert "shop-kek" in report["key_file"]
        ticket = _import_and_read(tmp_path, capsys)
        _masked_read(capsys, ticket)

        code, out, _ = run_cli(capsys, "keys", "status", "--json")
        status = json.loads(out)
        assert (status["provider"], status["kek_versions"], status["kek_version"]) == (
            "pkcs11",
            [1],
            1,
        )
        code, _, err = run_cli(capsys, "keys", "rotate", "--kek", "--keep-old-kek")
        assert code == 0 and "key-encryption key v2" in err
        code, out, _ = run_cli(capsys, "keys", "status", "--json")
        assert json.loads(out)["kek_versions"] == [1, 2]
        code, out, _ = run_cli(capsys, "keys", "retire-kek", "1")
        assert code == 0 and "v1 retired" in out
        code, _, err = run_cli(capsys, "keys", "retire-kek", "2")
        assert code == 1 and "still wraps data keys" in err
        _clear()  # a new process: every data key is unwrapped again, now under v2
        code, out, _ = run_cli(capsys, "keys", "status")
        assert "key provider pkcs11: PKCS#11 token 'shop-kek'" in out
        assert "key-encryption key versions: v2" in out
        _masked_read(capsys, ticket)
        _clear()

        # No key material in the home: no key file, and the KEK the token holds is one the
        # token will not export (so it cannot have been written anywhere by shieldwall).
        assert not (home / "keys.json").exists()
        names = sorted(p.name for p in home.rglob("*") if p.is_file())
        assert not [n for n in names if "key" in n.lower()], names
        provider = Pkcs11KeyProvider(token.module, token.label, token.pin)
        try:
            props = provider.properties(2)
        finally:
            provider.close()
        assert not props.extractable and props.never_extractable and props.sensitive


def test_pkcs11_wrong_pin_is_one_clear_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: SoftToken,
) -> None:
    """A wrong PIN ends the command with exit 1 and one line naming the token, not the PIN."""
    toml = (
        f'[keys]\nprovider = "pkcs11"\n[keys.pkcs11]\nmodule = "{token.module}"\n'
        f'token_label = "{token.label}"\n'
    )
    with provider_home(tmp_path, monkeypatch, toml, {"SHIELDWALL_PKCS11_PIN": "9999-bad"}):
        code, out, err = run_cli(capsys, "init")
        assert code == 1 and out == ""
        assert err.strip() == "error: keys.pkcs11.pin: wrong PIN for PKCS#11 token 'shop-kek'"
        assert "9999-bad" not in err


def test_pkcs11_pin_in_config_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PIN written into shieldwall.toml is refused before anything runs."""
    toml = '[keys]\nprovider = "pkcs11"\n[keys.pkcs11]\npin = "2468"\n'
    with provider_home(tmp_path, monkeypatch, toml, {}):
        code, _, err = run_cli(capsys, "init")
        assert code == 1 and "secrets do not belong in the config file" in err
        assert "2468" not in err


def test_vault_transit_init_import_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the Vault provider (against the fake): init creates the derived Transit key,
    import and a masked read work, keys status reports the Transit versions."""
    with fake_transit() as (url, state):
        toml = f'[keys]\nprovider = "vault"\n[keys.vault]\nurl = "{url}"\nkey_name = "shop"\n'
        with provider_home(
            tmp_path, monkeypatch, toml, {"SHIELDWALL_VAULT_TOKEN": FAKE_TOKEN}
        ) as home:
            code, out, _ = run_cli(capsys, "init", "--json")
            assert code == 0 and json.loads(out)["key_provider"] == "vault"
            assert state.keys[("transit", "shop")].derived
            ticket = _import_and_read(tmp_path, capsys)
            _masked_read(capsys, ticket)
            code, _, _ = run_cli(capsys, "keys", "rotate", "--kek")
            assert code == 0
            code, out, _ = run_cli(capsys, "keys", "status", "--json")
            status = json.loads(out)
            assert (status["provider"], status["kek_versions"]) == ("vault", [2])
            _clear()
            _masked_read(capsys, ticket)
            assert not (home / "keys.json").exists()
