"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys: sign, open, key strings.

A note is UTF-8 text ending in a newline, then a blank line, then one signature line per key:
``"— <key name> <base64(4-byte key ID || signature)>\\n"`` (U+2014 EM DASH, a space). For Ed25519
the key ID is the first four bytes of ``SHA-256(name || 0x0A || 0x01 || public key)`` and the
signature is over the text up to and including its last newline. A verifier key is written
``"<name>+<8 hex digits of key ID>+<base64(0x01 || public key)>"``. This is the format of the Go
checksum database (golang.org/x/mod/sumdb/note), so its tooling reads our checkpoints, and its
test vectors check this module (tests/unit/audit/test_note.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shieldwall.audit.errors import NoteError

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # EM DASH, space
MAX_SIGNATURES = 100  # as golang.org/x/mod/sumdb/note: more is a malformed note


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 ``public_key`` (32 bytes) named ``name``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError("a key name must be non-empty, without spaces or '+'", field="name")


class NoteSigner:
    """Signs note text with an Ed25519 key (a 32-byte seed) under a key name."""

    def __init__(self, name: str, seed: bytes) -> None:
        _check_name(name)
        if len(seed) < 32:
            raise NoteError("an Ed25519 seed is 32 bytes", field="seed")
        self.name = name
        self._key = Ed25519PrivateKey.from_private_bytes(seed[:32])
        self.public_key = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(name, self.public_key)
        self.verifier = NoteVerifier(name, self.public_key)

    def signature_line(self, text: str) -> str:
        _check_text(text)
        sig = self._key.sign(text.encode())
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(self.key_id + sig).decode()}\n"

    def sign(self, text: str) -> str:
        """The signed note: ``text``, a blank line, this key's signature line."""
        return text + "\n" + self.signature_line(text)


@dataclass(frozen=True)
class NoteVerifier:
    """Checks signatures of one named Ed25519 key."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes", field="public_key")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def key(self) -> str:
        """The verifier key string (``name+hexid+base64key``)."""
        raw = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{raw}"

    @classmethod
    def parse(cls, vkey: str) -> NoteVerifier:
        """Read a verifier key string; reject any whose ID does not match its name and key."""
        parts = vkey.strip().split("+", 2)  # the base64 key may itself contain "+"
        if len(parts) != 3:
            raise NoteError("a verifier key is name+keyid+key", field="key")
        name, hex_id, b64 = parts
        try:
            kid = bytes.fromhex(hex_id)
            raw = base64.b64decode(b64, validate=True)
        except (ValueError, binascii.Error):
            msg = "a verifier key has a hex key ID and a base64 key"
            raise NoteError(msg, field="key") from None
        if len(hex_id) != 8 or len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("not an Ed25519 verifier key", field="key")
        verifier = cls(name, raw[1:])
        if not hmac.compare_digest(verifier.key_id, kid):
            raise NoteError("the verifier key's ID does not match its name and key", field="key")
        return verifier

    def verify(self, text: str, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text.encode())
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]


def _check_text(text: str) -> None:
    if not text.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("malformed note: text must end in a newline, no control characters")


def parse(message: str) -> Note:
    """Split a signed note into its text and signature lines (no signature is checked)."""
    split = message.rfind("\n\n")
    if split < 0 or not message.endswith("\n"):
        raise NoteError("malformed note: no blank line before the signatures")
    text, lines = message[: split + 1], message[split + 2 :].splitlines(keepends=True)
    _check_text(text)
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed note: no signature lines, or too many")
    sigs = []
    for line in lines:
        if not line.startswith(SIG_PREFIX) or not line.endswith("\n"):
            raise NoteError("malformed note: a signature line starts with an em dash")
        fields = line[len(SIG_PREFIX) : -1].split(" ")
        if len(fields) != 2:
            raise NoteError("malformed note: a signature line is name and base64")
        name, b64 = fields
        try:
            _check_name(name)
            raw = base64.b64decode(b64, validate=True)
        except (NoteError, binascii.Error):
            raise NoteError("malformed note: bad signature line") from None
        if len(raw) < 5:
            raise NoteError("malformed note: signature too short")
        sigs.append(Signature(name, raw[:4], raw[4:]))
    return Note(text, tuple(sigs))


def open_note(message: str, verifier: NoteVerifier) -> Note:
    """Parse ``message`` and check that ``verifier``'s key signed it; raise :class:`NoteError`.

    A signature line with the verifier's name and key ID that does not verify is an error even
    when another one does (as the Go implementation): someone tampered with the note.
    """
    note = parse(message)
    mine = [
        s
        for s in note.signatures
        if s.name == verifier.name and hmac.compare_digest(s.key_id, verifier.key_id)
    ]
    if not mine:
        raise NoteError(f"the note has no signature by {verifier.name}+{verifier.key_id.hex()}")
    for s in mine:
        if not verifier.verify(note.text, s.signature):
            raise NoteError(f"invalid signature for key {verifier.name}+{verifier.key_id.hex()}")
    return note
