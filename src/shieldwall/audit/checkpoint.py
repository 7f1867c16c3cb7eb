"""Checkpoints: signed tree heads in the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint).

The note text is the log's origin, the tree size in decimal and the root hash in standard
base64, one per line, then one extension line ``time <ISO 8601 UTC>`` (when it was signed);
it is signed as a C2SP signed note (:mod:`.note`) by a key named after the origin. Any
transparency-log tool that reads checkpoints reads ours, given the verifier key
(``shieldwall audit pubkey``).

Checkpoints signed before this format (a JSON message, no note) are still checked, by
:meth:`CheckpointVerifier.check`, against the same Ed25519 key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shieldwall.audit import note
from shieldwall.audit.errors import NoteError
from shieldwall.audit.ports import Checkpoint

TIME_EXTENSION = "time "
LEGACY_ORIGIN = "shieldwall-audit/1"


def _stamp(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def body(origin: str, tree_size: int, root_hash: bytes, ts: datetime) -> str:
    """The checkpoint's note text (what is signed)."""
    root = base64.b64encode(root_hash).decode()
    return f"{origin}\n{tree_size}\n{root}\n{TIME_EXTENSION}{_stamp(ts)}\n"


def parse_body(text: str) -> tuple[str, int, bytes, datetime | None]:
    """(origin, tree size, root hash, time if present) from a checkpoint's note text."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a size and a root hash line")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError("a checkpoint's size is a decimal number without leading zeros")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise NoteError("a checkpoint's root hash is standard base64") from None
    if len(root_hash) != 32:
        raise NoteError("a checkpoint's root hash is a SHA-256 hash")
    ts = None
    for ext in lines[3:-1]:
        if not ext:
            raise NoteError("a checkpoint has no empty extension lines")
        if ext.startswith(TIME_EXTENSION):
            try:
                ts = datetime.fromisoformat(ext[len(TIME_EXTENSION) :])
            except ValueError:
                raise NoteError("a checkpoint's time is ISO 8601") from None
    return origin, int(size), root_hash, ts


def from_note(message: str, verifier: note.NoteVerifier) -> Checkpoint:
    """A checkpoint from a signed note, once ``verifier``'s signature on it checks out."""
    opened = note.open_note(message, verifier)
    origin, size, root, ts = parse_body(opened.text)
    if origin != verifier.name:
        raise NoteError(f"the checkpoint is for log {origin!r}, the key for {verifier.name!r}")
    sig = next(s for s in opened.signatures if s.name == verifier.name)
    return Checkpoint(
        size, root, ts or datetime.fromtimestamp(0, UTC), sig.key_id.hex(), sig.signature, message
    )


class CheckpointSigner:
    """Signs tree heads as checkpoint notes with the log's Ed25519 key (a seed from the keyring)."""

    def __init__(self, seed: bytes, origin: str = LEGACY_ORIGIN) -> None:
        self.origin = origin
        self._note = note.NoteSigner(origin, seed)
        self.verifier = CheckpointVerifier(self._note.verifier)
        self.public_bytes = self._note.public_key
        self.public_key = Ed25519PublicKey.from_public_bytes(self.public_bytes)
        self.key_id = self._note.key_id.hex()

    def sign(self, tree_size: int, root_hash: bytes, ts: datetime) -> Checkpoint:
        ts = ts.astimezone(UTC)
        text = body(self.origin, tree_size, root_hash, ts)
        line = self._note.signature_line(text)
        raw = base64.b64decode(line.rsplit(" ", 1)[1])
        return Checkpoint(tree_size, root_hash, ts, self.key_id, raw[4:], text + "\n" + line)

    def check(self, cp: Checkpoint) -> bool:
        return self.verifier.check(cp)


class CheckpointVerifier:
    """Checks checkpoints against one verifier key: the note's signature, and that the stored
    size, root and time agree with the signed text."""

    def __init__(self, verifier: note.NoteVerifier) -> None:
        self.note_verifier = verifier
        self._public = Ed25519PublicKey.from_public_bytes(verifier.public_key)
        self._legacy_id = hashlib.sha256(verifier.public_key).hexdigest()[:16]

    @classmethod
    def parse(cls, vkey: str) -> CheckpointVerifier:
        return cls(note.NoteVerifier.parse(vkey))

    @property
    def key(self) -> str:
        return self.note_verifier.key

    def open(self, message: str) -> Checkpoint:
        return from_note(message, self.note_verifier)

    def check(self, cp: Checkpoint) -> bool:
        if cp.note is None:
            return self._check_legacy(cp)
        try:
            signed = from_note(cp.note, self.note_verifier)
        except NoteError:
            return False
        return (signed.tree_size, signed.root_hash, signed.ts) == (
            cp.tree_size,
            cp.root_hash,
            cp.ts,
        )

    def _check_legacy(self, cp: Checkpoint) -> bool:
        if cp.key_id != self._legacy_id:
            return False
        root = base64.b64encode(cp.root_hash).decode()
        message = f"{LEGACY_ORIGIN}\n{cp.tree_size}\n{root}\n{cp.ts.isoformat()}\n".encode()
        try:
            self._public.verify(cp.signature, message)
        except InvalidSignature:
            return False
        return True
