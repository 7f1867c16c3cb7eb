"""keys.* settings: the provider choice, and secrets only from the environment or a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldwall.config import load_settings
from shieldwall.core.errors import ConfigError


def test_default_is_the_key_file(tmp_path: Path) -> None:
    """With nothing set, the provider is the local key file."""
    settings = load_settings({"SHIELDWALL_HOME": str(tmp_path)})
    assert settings.keys.provider == "file"


def test_environment_chooses_provider_and_pin(tmp_path: Path) -> None:
    """SHIELDWALL_KEY_PROVIDER and SHIELDWALL_PKCS11_PIN land in keys.*; the PIN is hidden
    from the settings' repr."""
    (tmp_path / "shieldwall.toml").write_text(
        '[keys.pkcs11]\ntoken_label = "shop"\n', encoding="utf-8"
    )
    env = {
        "SHIELDWALL_HOME": str(tmp_path),
        "SHIELDWALL_KEY_PROVIDER": "pkcs11",
        "SHIELDWALL_PKCS11_PIN": "8642-env",
    }
    settings = load_settings(env)
    assert settings.keys.provider == "pkcs11"
    assert settings.keys.pkcs11.token_label == "shop"
    assert settings.keys.pkcs11.resolved_pin() == "8642-env"
    assert "8642-env" not in repr(settings)


def test_secret_files(tmp_path: Path) -> None:
    """The PIN and the Vault token can come from files (first line, stripped)."""
    pin, token = tmp_path / "pin", tmp_path / "token"
    pin.write_text("1111-file\n", encoding="utf-8")
    token.write_text("s.from-file\n", encoding="utf-8")
    settings = load_settings(
        {"SHIELDWALL_HOME": str(tmp_path)},
        {"keys": {"pkcs11": {"pin_file": str(pin)}, "vault": {"token_file": str(token)}}},
    )
    assert settings.keys.pkcs11.resolved_pin() == "1111-file"
    assert settings.keys.vault.resolved_token() == "s.from-file"


@pytest.mark.parametrize("section", ["pkcs11", "vault"])
def test_missing_empty_or_unreadable_secret(tmp_path: Path, section: str) -> None:
    """No secret, an empty file or a missing file: ConfigError naming the file setting."""
    field = "keys.pkcs11.pin_file" if section == "pkcs11" else "keys.vault.token_file"
    key = "pin_file" if section == "pkcs11" else "token_file"
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    for value, reason in (
        (None, "no secret configured"),
        (empty, "is empty"),
        (tmp_path / "absent", "cannot read"),
    ):
        overrides = {"keys": {section: {key: str(value)}}} if value else {}
        settings = load_settings({"SHIELDWALL_HOME": str(tmp_path)}, overrides)
        resolve = (
            settings.keys.pkcs11.resolved_pin
            if section == "pkcs11"
            else settings.keys.vault.resolved_token
        )
        with pytest.raises(ConfigError, match=reason) as caught:
            resolve()
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ('[keys.pkcs11]\npin = "1234"\n', "keys.pkcs11.pin"),
        ('[keys.vault]\ntoken = "s.abc"\n', "keys.vault.token"),
    ],
)
def test_secrets_refused_in_the_config_file(tmp_path: Path, toml: str, field: str) -> None:
    """A PIN or token written into the TOML file is refused, and the message does not echo it."""
    (tmp_path / "shieldwall.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match="secrets do not belong in the config file") as caught:
        load_settings({"SHIELDWALL_HOME": str(tmp_path)})
    assert caught.value.field == field
    assert "1234" not in str(caught.value) and "s.abc" not in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"keys": {"provider": "cloud"}}, "keys.provider"),
        ({"keys": {"vault": {"url": "ftp://vault"}}}, "keys.vault.url"),
        ({"keys": {"vault": {"key_name": "a/b"}}}, "keys.vault.key_name"),
        ({"keys": {"pkcs11": {"token_label": ""}}}, "keys.pkcs11.token_label"),
    ],
)
def test_bad_key_settings_name_the_setting(
    tmp_path: Path, overrides: dict[str, object], field: str
) -> None:
    """Bad keys.* values are refused naming the setting."""
    with pytest.raises(ConfigError) as caught:
        load_settings({"SHIELDWALL_HOME": str(tmp_path)}, overrides)
    assert caught.value.field == field
