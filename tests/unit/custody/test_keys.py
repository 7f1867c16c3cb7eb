"""The local key file and the keyring: creation, corruption, rotation, rewrap."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pytest

from shieldwall.core.clock import ManualClock
from shieldwall.custody.errors import KeyFileError
from shieldwall.custody.keys import FIELD_PURPOSES, DataKeyRecord, Keyring, LocalKeyFile


class MemoryKeyStore:
    """An in-memory DataKeyStore (the SQL one is exercised by the functional tests)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, int], DataKeyRecord] = {}
        self.versions: dict[int, str] = {}

    def load_data_keys(self) -> list[DataKeyRecord]:
        return list(self.records.values())

    def add_data_keys(self, records: Iterable[DataKeyRecord]) -> bool:
        batch = list(records)
        if any((r.purpose, r.version) in self.records for r in batch):
            return False
        self.records.update({(r.purpose, r.version): r for r in batch})
        return True

    def rewrap_data_keys(self, records: Iterable[DataKeyRecord]) -> None:
        self.records.update({(r.purpose, r.version): r for r in records})

    def key_versions(self) -> dict[int, str]:
        return dict(self.versions)

    def set_key_version(self, version: int, state: str, at: datetime) -> None:
        self.versions[version] = state


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys.json"


def test_create_writes_private_file(key_path: Path, clock: ManualClock) -> None:
    """A new key file is mode 0600 and holds one 256-bit KEK."""
    provider = LocalKeyFile.create(key_path, clock=clock)
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert provider.active_version() == 1 and provider.versions() == (1,)


def test_create_refuses_to_overwrite(key_path: Path, clock: ManualClock) -> None:
    """Creating over an existing key file is refused (it would orphan every ciphertext)."""
    LocalKeyFile.create(key_path, clock=clock)
    with pytest.raises(KeyFileError, match="already exists"):
        LocalKeyFile.create(key_path, clock=clock)


def test_missing_file(key_path: Path) -> None:
    """A missing key file says so and how to create one."""
    with pytest.raises(KeyFileError, match="not found; run shieldwall init"):
        LocalKeyFile(key_path)


def test_truncated_file(key_path: Path, clock: ManualClock) -> None:
    """A truncated key file is reported as truncated, not as a decryption failure."""
    LocalKeyFile.create(key_path, clock=clock)
    data = key_path.read_bytes()
    key_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(KeyFileError, match="truncated or not JSON"):
        LocalKeyFile(key_path)


def test_corrupt_file(key_path: Path, clock: ManualClock) -> None:
    """A key changed inside the file fails the checksum."""
    LocalKeyFile.create(key_path, clock=clock)
    doc = json.loads(key_path.read_text())
    doc["keks"]["1"] = doc["keks"]["1"][::-1]
    key_path.write_text(json.dumps(doc))
    key_path.chmod(0o600)
    with pytest.raises(KeyFileError, match="checksum mismatch"):
        LocalKeyFile(key_path)


def test_not_a_key_file(key_path: Path) -> None:
    """Some other JSON document is not mistaken for a key file."""
    key_path.write_text('{"hello": "world"}')
    key_path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a shieldwall key file"):
        LocalKeyFile(key_path)


def test_world_readable_file_refused(key_path: Path, clock: ManualClock) -> None:
    """A key file others can read is refused with the command that fixes it."""
    LocalKeyFile.create(key_path, clock=clock)
    key_path.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        LocalKeyFile(key_path)


def test_keyring_bootstrap_and_secrets(key_path: Path, clock: ManualClock) -> None:
    """Bootstrap makes version 1 of every field key; secrets are stable across keyrings."""
    store = MemoryKeyStore()
    ring = Keyring(LocalKeyFile.create(key_path, clock=clock), store, clock)
    assert ring.bootstrap() == 1
    assert {p for p, v in store.records if v == 1} >= set(FIELD_PURPOSES)
    secret = ring.secret("bidx.phone")
    again = Keyring(LocalKeyFile(key_path), store, clock)
    assert again.secret("bidx.phone") == secret
    assert again.secret("pseudonym") != secret
    assert len(secret) == 32


def test_field_rotation_keeps_old_versions(key_path: Path, clock: ManualClock) -> None:
    """A rotation makes a new active version; the old one still decrypts until retired."""
    store = MemoryKeyStore()
    ring = Keyring(LocalKeyFile.create(key_path, clock=clock), store, clock)
    ring.bootstrap()
    old = ring.field_key("customers.phone", 1)
    assert ring.start_field_rotation() == 2
    assert ring.active_field_version() == 2
    assert store.versions == {1: "retiring", 2: "active"}
    assert ring.field_key("customers.phone", 1) is old
    ring.finish_field_rotation()
    assert store.versions == {1: "retired", 2: "active"}
    with pytest.raises(LookupError):
        ring.field_key("customers.phone", 3)


def test_kek_rotation_rewraps_everything(key_path: Path, clock: ManualClock) -> None:
    """After a KEK rotation every data key is wrapped by the new KEK and the old KEK is gone."""
    store = MemoryKeyStore()
    provider = LocalKeyFile.create(key_path, clock=clock)
    ring = Keyring(provider, store, clock)
    ring.bootstrap()
    secret = ring.secret("bidx.phone")
    count, new_kek = ring.rotate_kek()
    assert new_kek == 2 and count == len(store.records)
    assert {r.kek_version for r in store.records.values()} == {2}
    assert LocalKeyFile(key_path).versions() == (2,)
    fresh = Keyring(LocalKeyFile(key_path), store, clock)
    assert fresh.secret("bidx.phone") == secret


def test_replaced_key_file_is_reported(tmp_path: Path, clock: ManualClock) -> None:
    """Data keys wrapped by another key file give a clear key-file error."""
    store = MemoryKeyStore()
    Keyring(LocalKeyFile.create(tmp_path / "a.json", clock=clock), store, clock).bootstrap()
    other = Keyring(LocalKeyFile.create(tmp_path / "b.json", clock=clock), store, clock)
    with pytest.raises(KeyFileError, match="wrong or replaced key file"):
        other.refresh()
