"""The Vault Transit key provider through hvac, against a FAKE of Vault's Transit HTTP API
(tests/unit/custody/fake_transit.py): Vault itself was not run here."""

from __future__ import annotations

import base64
import secrets
import socket
from collections.abc import Iterator

import pytest

from shieldwall.core.clock import ManualClock
from shieldwall.custody.errors import InvalidCiphertext, KeyProviderError
from shieldwall.custody.keys import Keyring
from shieldwall.custody.keys_transit import VaultTransitKeyProvider
from tests.unit.custody.fake_transit import FAKE_TOKEN, FakeTransit, fake_transit
from tests.unit.custody.test_keys import MemoryKeyStore

# data_key_binding("customers.phone", 1), written out by hand from its definition.
PHONE_V1_BINDING = b"shieldwall-dek/1|customers.phone|\x00\x00\x00\x01"


@pytest.fixture
def vault() -> Iterator[tuple[str, FakeTransit]]:
    with fake_transit() as served:
        yield served


@pytest.fixture
def provider(vault: tuple[str, FakeTransit]) -> Iterator[VaultTransitKeyProvider]:
    url, _ = vault
    p = VaultTransitKeyProvider(url, FAKE_TOKEN, key_name="kek")
    assert p.ensure_key() is True
    yield p
    p.close()


def test_ensure_key_creates_a_derived_key(
    vault: tuple[str, FakeTransit], provider: VaultTransitKeyProvider
) -> None:
    """init creates the Transit key once, derived, of type aes256-gcm96."""
    _, state = vault
    creates = [
        (m, p, b) for m, p, b in state.requests if m == "POST" and p == "/v1/transit/keys/kek"
    ]
    assert creates == [("POST", "/v1/transit/keys/kek", {"derived": True, "type": "aes256-gcm96"})]
    assert provider.ensure_key() is False
    assert provider.versions() == (1,) and provider.active_version() == 1


def test_round_trip_sends_key_and_binding(
    vault: tuple[str, FakeTransit], provider: VaultTransitKeyProvider
) -> None:
    """wrap is one encrypt call with the data key as plaintext and the hand-written binding as
    context; the stored bytes are Vault's ciphertext; unwrap gives the key back."""
    _, state = vault
    key = secrets.token_bytes(32)
    kek_version, wrapped = provider.wrap("customers.phone", 1, key)
    assert kek_version == 1 and wrapped.startswith(b"vault:v1:")
    sent = next(b for m, p, b in state.requests if p == "/v1/transit/encrypt/kek")
    assert base64.b64decode(sent["plaintext"]) == key
    assert base64.b64decode(sent["context"]) == PHONE_V1_BINDING
    assert provider.unwrap(1, "customers.phone", 1, wrapped) == key


def test_binding_and_tampering(provider: VaultTransitKeyProvider) -> None:
    """Another purpose or version derives another key; an edited or foreign blob fails too."""
    key = secrets.token_bytes(32)
    _, wrapped = provider.wrap("customers.phone", 1, key)
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(1, "customers.email", 1, wrapped)
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(1, "customers.phone", 2, wrapped)
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(2, "customers.phone", 1, wrapped)  # the header says v1
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(1, "customers.phone", 1, b"\xff\xfe")
    body = base64.b64decode(wrapped[len(b"vault:v1:") :])
    edited = b"vault:v1:" + base64.b64encode(body[:-1] + bytes([body[-1] ^ 1]))
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(1, "customers.phone", 1, edited)


def test_rotate_and_retire(provider: VaultTransitKeyProvider) -> None:
    """rotate makes version 2 active; version 1 still unwraps until retire raises
    min_decryption_version, after which it fails with a clear error; the active one stays."""
    key = secrets.token_bytes(32)
    _, old = provider.wrap("pseudonym", 1, key)
    assert provider.rotate() == 2
    assert provider.versions() == (1, 2)
    version, new = provider.wrap("pseudonym", 1, key)
    assert version == 2 and new.startswith(b"vault:v2:")
    assert provider.unwrap(1, "pseudonym", 1, old) == key
    with pytest.raises(KeyProviderError, match="cannot retire the active"):
        provider.retire(2)
    provider.retire(1)
    assert provider.versions() == (2,)
    assert provider.state().min_decryption_version == 2
    with pytest.raises(KeyProviderError, match=r"v1 .* was retired"):
        provider.unwrap(1, "pseudonym", 1, old)
    assert provider.unwrap(2, "pseudonym", 1, new) == key


def test_wrong_token(vault: tuple[str, FakeTransit], provider: VaultTransitKeyProvider) -> None:
    """A token Vault refuses gives a clear error that does not contain the token."""
    url, _ = vault
    bad = VaultTransitKeyProvider(url, "s.not-the-token", key_name="kek")
    with pytest.raises(KeyProviderError, match="permission denied") as caught:
        bad.check()
    assert "s.not-the-token" not in str(caught.value)


def test_missing_key_and_unreachable(vault: tuple[str, FakeTransit]) -> None:
    """No such Transit key says to run init; a Vault that does not answer says unreachable."""
    url, _ = vault
    with pytest.raises(KeyProviderError, match=r"no Transit key 'absent'.*run shieldwall init"):
        VaultTransitKeyProvider(url, FAKE_TOKEN, key_name="absent").check()
    with socket.socket() as sock:  # a port nothing listens on once this socket closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = VaultTransitKeyProvider(f"http://127.0.0.1:{port}", FAKE_TOKEN, timeout=5)
    with pytest.raises(KeyProviderError, match="Vault unreachable"):
        down.versions()


def test_non_derived_key_is_refused(vault: tuple[str, FakeTransit]) -> None:
    """A pre-existing key without derivation cannot bind purpose and version: refused."""
    url, state = vault
    assert state.handle("POST", "/v1/transit/keys/plain", FAKE_TOKEN, {})[0] == 204
    with pytest.raises(KeyProviderError, match="not derived"):
        VaultTransitKeyProvider(url, FAKE_TOKEN, key_name="plain").ensure_key()


def test_keyring_over_transit(provider: VaultTransitKeyProvider, clock: ManualClock) -> None:
    """The keyring over Transit: bootstrap, rewrap under a new version keeping the old, then
    retire it once nothing is wrapped under it; a fresh keyring reads the same secrets."""
    store = MemoryKeyStore()
    keyring = Keyring(provider, store, clock)
    keyring.bootstrap()
    secret = keyring.secret("pseudonym")
    _, new = keyring.rotate_kek(retire_old=False)
    assert new == 2 and provider.versions() == (1, 2)
    assert {r.kek_version for r in store.records.values()} == {2}
    keyring.retire_kek(1)
    assert provider.versions() == (2,)
    assert Keyring(provider, store, clock).secret("pseudonym") == secret
