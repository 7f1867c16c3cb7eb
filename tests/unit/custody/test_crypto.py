"""Field encryption recipes: round trips, context binding, and one opaque failure."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from shieldwall.custody.crypto import (
    FieldContext,
    decrypt_field,
    encrypt_field,
    token_version,
    unwrap_key,
    wrap_key,
)
from shieldwall.custody.errors import InvalidCiphertext

KEYS = {1: AESGCM(os.urandom(32)), 2: AESGCM(os.urandom(32))}
CTX = FieldContext("default", "customers", "phone", "C000001")


def key_for(version: int) -> AESGCM:
    return KEYS[version]


@given(st.binary(max_size=2048), st.sampled_from([1, 2]))
def test_round_trip(plaintext: bytes, version: int) -> None:
    """Any plaintext decrypts to itself under the version it was sealed with."""
    token = encrypt_field(KEYS[version], version, CTX, plaintext)
    assert token_version(token) == version
    assert decrypt_field(key_for, CTX, token) == plaintext


def test_same_plaintext_gives_different_tokens() -> None:
    """Random nonces: equal values do not produce equal ciphertexts."""
    a = encrypt_field(KEYS[1], 1, CTX, b"+8613812345678")
    b = encrypt_field(KEYS[1], 1, CTX, b"+8613812345678")
    assert a != b


@pytest.mark.parametrize(
    "other",
    [
        FieldContext("default", "customers", "phone", "C000002"),  # another row
        FieldContext("default", "customers", "email", "C000001"),  # another field
        FieldContext("default", "orders", "phone", "C000001"),  # another table
        FieldContext("other", "customers", "phone", "C000001"),  # another tenant
    ],
)
def test_moved_ciphertext_fails(other: FieldContext) -> None:
    """A ciphertext copied to another row, field, table or tenant does not decrypt."""
    token = encrypt_field(KEYS[1], 1, CTX, b"secret")
    with pytest.raises(InvalidCiphertext):
        decrypt_field(key_for, other, token)


def test_context_parts_cannot_be_shifted() -> None:
    """Length-prefixed associated data: ("ab", "c") and ("a", "bc") differ."""
    a = FieldContext("t", "ab", "c", "r").associated_data(1)
    b = FieldContext("t", "a", "bc", "r").associated_data(1)
    assert a != b


def test_edited_version_header_fails() -> None:
    """Changing the version byte to another existing version fails authentication."""
    token = bytearray(encrypt_field(KEYS[1], 1, CTX, b"secret"))
    token[4] = 2
    with pytest.raises(InvalidCiphertext):
        decrypt_field(key_for, CTX, bytes(token))


@pytest.mark.parametrize("cut", [0, 1, 5, 20, 32])
def test_truncated_token_fails(cut: int) -> None:
    """A truncated token is rejected with the same opaque error."""
    token = encrypt_field(KEYS[1], 1, CTX, b"secret")
    with pytest.raises(InvalidCiphertext):
        decrypt_field(key_for, CTX, token[:cut])


@given(st.integers(min_value=0, max_value=50))
def test_any_flipped_bit_fails(position: int) -> None:
    """Flipping any bit of header, nonce, ciphertext or tag is detected."""
    token = bytearray(encrypt_field(KEYS[1], 1, CTX, b"some secret value"))
    index = position % len(token)
    token[index] ^= 0x01
    with pytest.raises(InvalidCiphertext):
        decrypt_field(key_for, CTX, bytes(token))


def test_unknown_version_is_opaque() -> None:
    """A token naming a version with no key fails like any other bad token."""
    token = encrypt_field(KEYS[1], 1, CTX, b"x")
    token = token[:1] + (9).to_bytes(4, "big") + token[5:]
    with pytest.raises(InvalidCiphertext):
        decrypt_field(key_for, CTX, token)


def test_error_message_says_nothing_specific() -> None:
    """The failure message does not distinguish wrong key from tampering."""
    token = encrypt_field(KEYS[1], 1, CTX, b"x")
    with pytest.raises(InvalidCiphertext) as wrong_ctx:
        decrypt_field(key_for, FieldContext("default", "customers", "phone", "C9"), token)
    with pytest.raises(InvalidCiphertext) as truncated:
        decrypt_field(key_for, CTX, token[:10])
    assert str(wrong_ctx.value) == str(truncated.value)


def test_key_wrapping_binds_purpose_and_version() -> None:
    """A wrapped data key unwraps only for its own purpose and version."""
    kek = AESGCM(os.urandom(32))
    raw = os.urandom(32)
    wrapped = wrap_key(kek, "customers.phone", 3, raw)
    assert unwrap_key(kek, "customers.phone", 3, wrapped) == raw
    with pytest.raises(InvalidCiphertext):
        unwrap_key(kek, "customers.email", 3, wrapped)
    with pytest.raises(InvalidCiphertext):
        unwrap_key(kek, "customers.phone", 4, wrapped)
    with pytest.raises(InvalidCiphertext):
        unwrap_key(AESGCM(os.urandom(32)), "customers.phone", 3, wrapped)
