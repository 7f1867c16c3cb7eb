"""The PKCS#11 key provider against a real SoftHSM2 token: wrap, rotate, retire, PIN, binding."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pkcs11 import Attribute, KeyType, ObjectClass

from shieldwall.core.clock import ManualClock
from shieldwall.custody.errors import InvalidCiphertext, KeyProviderError
from shieldwall.custody.keys import FIELD_PURPOSES, Keyring
from shieldwall.custody.keys_pkcs11 import Pkcs11KeyProvider
from tests.softhsm import SoftToken, softhsm_token
from tests.unit.custody.test_keys import MemoryKeyStore

# data_key_binding("customers.phone", 1), written out by hand from its definition.
PHONE_V1_BINDING = b"shieldwall-dek/1|customers.phone|\x00\x00\x00\x01"


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftToken]:
    with softhsm_token(tmp_path, monkeypatch) as tok:
        yield tok


@pytest.fixture
def provider(token: SoftToken) -> Iterator[Pkcs11KeyProvider]:
    p = Pkcs11KeyProvider(token.module, token.label, token.pin)
    assert p.ensure_key() is True
    yield p
    p.close()


def test_round_trip(provider: Pkcs11KeyProvider) -> None:
    """A data key wrapped in the token unwraps to the same bytes; the wrap is not the key."""
    key = secrets.token_bytes(32)
    kek_version, wrapped = provider.wrap("customers.phone", 1, key)
    assert kek_version == 1 and provider.versions() == (1,)
    assert key not in wrapped and len(wrapped) == 12 + 32 + 16
    assert provider.unwrap(1, "customers.phone", 1, wrapped) == key


def test_ensure_key_is_idempotent(provider: Pkcs11KeyProvider) -> None:
    """A token that already holds a KEK gets no second one from init."""
    assert provider.ensure_key() is False
    assert provider.versions() == (1,)


def test_binding_and_tampering(provider: Pkcs11KeyProvider) -> None:
    """Another purpose, another version, a flipped bit or a short blob: one opaque failure."""
    key = secrets.token_bytes(32)
    _, wrapped = provider.wrap("customers.phone", 1, key)
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(1, "customers.email", 1, wrapped)
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(1, "customers.phone", 2, wrapped)
    flipped = bytes([wrapped[0]]) + bytes([wrapped[1] ^ 1]) + wrapped[2:]
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(1, "customers.phone", 1, flipped)
    with pytest.raises(InvalidCiphertext):
        provider.unwrap(1, "customers.phone", 1, wrapped[:20])


def test_wrap_is_aes_gcm_with_the_binding(token: SoftToken) -> None:
    """Known answer: with a KEK of known value put on the token, pyca's AES-GCM opens the
    provider's wrap using the hand-written purpose/version binding as associated data."""
    kek = bytes(range(32))
    lib = pkcs11.lib(str(token.module))
    with lib.get_token(token_label=token.label).open(user_pin=token.pin, rw=True) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.SECRET_KEY,
                Attribute.KEY_TYPE: KeyType.AES,
                Attribute.LABEL: "shieldwall-kek-1",
                Attribute.VALUE: kek,
                Attribute.TOKEN: True,
                Attribute.ENCRYPT: True,
                Attribute.DECRYPT: True,
            }
        )
    provider = Pkcs11KeyProvider(token.module, token.label, token.pin)
    try:
        data_key = secrets.token_bytes(32)
        _, wrapped = provider.wrap("customers.phone", 1, data_key)
        assert AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], PHONE_V1_BINDING) == data_key
        mine = AESGCM(kek)
        nonce = secrets.token_bytes(12)
        made_elsewhere = nonce + mine.encrypt(nonce, data_key, PHONE_V1_BINDING)
        assert provider.unwrap(1, "customers.phone", 1, made_elsewhere) == data_key
    finally:
        provider.close()


def test_rotate_keeps_old_versions_until_retired(provider: Pkcs11KeyProvider) -> None:
    """After a rotation the new KEK wraps and the old one still unwraps; retire destroys it,
    after which its wraps fail with a clear error; the active KEK cannot be retired."""
    key = secrets.token_bytes(32)
    _, old_wrap = provider.wrap("pseudonym", 1, key)
    assert provider.rotate() == 2
    assert provider.active_version() == 2 and provider.versions() == (1, 2)
    kek_version, new_wrap = provider.wrap("pseudonym", 1, key)
    assert kek_version == 2
    assert provider.unwrap(1, "pseudonym", 1, old_wrap) == key
    assert provider.unwrap(2, "pseudonym", 1, new_wrap) == key
    with pytest.raises(KeyProviderError, match="cannot retire the active"):
        provider.retire(2)
    provider.retire(1)
    assert provider.versions() == (2,)
    with pytest.raises(KeyProviderError, match=r"no key-encryption key shieldwall-kek-1: retired"):
        provider.unwrap(1, "pseudonym", 1, old_wrap)
    assert provider.unwrap(2, "pseudonym", 1, new_wrap) == key


def test_rotation_seen_by_another_session(token: SoftToken, provider: Pkcs11KeyProvider) -> None:
    """A second provider on the same token sees the first one's rotation at once."""
    other = Pkcs11KeyProvider(token.module, token.label, token.pin)
    try:
        provider.rotate()
        assert other.active_version() == 2
    finally:
        other.close()


def test_kek_cannot_leave_the_token(token: SoftToken, provider: Pkcs11KeyProvider) -> None:
    """The token reports every KEK sensitive and never extractable, and refuses to read its
    value (checked with python-pkcs11 directly, not through the provider)."""
    provider.rotate()
    for version in (1, 2):
        props = provider.properties(version)
        assert not props.extractable and props.never_extractable
        assert props.sensitive and props.always_sensitive
    lib = pkcs11.lib(str(token.module))
    # The provider's login is the application's (PKCS#11 logs in per application, not per
    # session), so this second session needs no PIN of its own.
    with lib.get_token(token_label=token.label).open() as session:
        kek = session.get_key(label="shieldwall-kek-1")
        with pytest.raises(pkcs11.exceptions.AttributeSensitive):
            _ = kek[Attribute.VALUE]
        assert kek[Attribute.EXTRACTABLE] is False


def test_wrong_pin(token: SoftToken) -> None:
    """A wrong PIN is refused with a message naming the token, not the PIN."""
    with pytest.raises(KeyProviderError, match="wrong PIN for PKCS#11 token") as caught:
        Pkcs11KeyProvider(token.module, token.label, "0000-wrong")
    assert "0000-wrong" not in str(caught.value)
    assert caught.value.field == "keys.pkcs11.pin"


def test_unknown_token_and_module(token: SoftToken, tmp_path: Path) -> None:
    """A token label or module path that does not exist is named in the error."""
    with pytest.raises(KeyProviderError, match="no PKCS#11 token labelled 'nope'"):
        Pkcs11KeyProvider(token.module, "nope", token.pin)
    with pytest.raises(KeyProviderError, match="not found") as caught:
        Pkcs11KeyProvider(tmp_path / "missing.so", token.label, token.pin)
    assert caught.value.field == "keys.pkcs11.module"


def test_empty_token_has_no_active_version(token: SoftToken) -> None:
    """A token without any shieldwall KEK says to run init instead of wrapping nothing."""
    p = Pkcs11KeyProvider(token.module, token.label, token.pin)
    try:
        with pytest.raises(KeyProviderError, match="run shieldwall init"):
            p.active_version()
        with pytest.raises(KeyProviderError, match="run shieldwall init"):
            p.wrap("pseudonym", 1, bytes(32))
    finally:
        p.close()


def test_keyring_rotate_kek_keeping_old(provider: Pkcs11KeyProvider, clock: ManualClock) -> None:
    """The keyring over the token: rewrap under a new KEK, keep the old one for backups, then
    retire it only once nothing here is wrapped under it."""
    store = MemoryKeyStore()
    keyring = Keyring(provider, store, clock)
    keyring.bootstrap()
    secret = keyring.secret("pseudonym")
    with pytest.raises(KeyProviderError, match="still wraps data keys"):
        keyring.retire_kek(1)
    backup = dict(store.records)
    rewrapped, new = keyring.rotate_kek(retire_old=False)
    assert (rewrapped, new) == (len(FIELD_PURPOSES) + 1, 2)
    assert {r.kek_version for r in store.records.values()} == {2}
    assert provider.versions() == (1, 2)
    old = backup[("pseudonym", 1)]
    assert provider.unwrap(1, old.purpose, old.version, old.wrapped) == secret
    keyring.retire_kek(1)
    assert provider.versions() == (2,)
    with pytest.raises(KeyProviderError, match="retired"):
        provider.unwrap(1, old.purpose, old.version, old.wrapped)
    fresh = Keyring(provider, store, clock)
    assert fresh.secret("pseudonym") == secret
