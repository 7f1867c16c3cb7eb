"""Checkpoints are C2SP signed notes: known answers from golang.org/x/mod/sumdb/note's own tests
(note_test.go: TestNewVerifier, TestSign, TestOpen), which nobody here wrote."""

from __future__ import annotations

import base64

import pytest

from shieldwall.audit.checkpoint import CheckpointSigner, CheckpointVerifier, parse_body
from shieldwall.audit.errors import NoteError
from shieldwall.audit.note import NoteSigner, NoteVerifier, open_note

PETER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWL"
    "ox33WWd1RvMc+QQ=\n"
)


def test_go_verifier_keys_parse_and_round_trip() -> None:
    """Go's verifier key strings parse (name, key ID) and print back byte for byte."""
    peter = NoteVerifier.parse(PETER_KEY)
    assert peter.name == "PeterNeumann" and peter.key_id.hex() == "c74f20a3"
    assert peter.key == PETER_KEY
    assert NoteVerifier.parse(ENOCH_KEY).key == ENOCH_KEY


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown alg
        "PeterNeumann+c74f20a3",
        PETER_KEY[:-1],
    ],
)
def test_mangled_verifier_keys_are_rejected(bad: str) -> None:
    """Verifier keys that Go's TestNewVerifier rejects are rejected here too."""
    with pytest.raises(NoteError):
        NoteVerifier.parse(bad)


def test_signing_reproduces_gos_signed_note() -> None:
    """Our signer, given Go's test private key, produces Go's signed note exactly."""
    raw = base64.b64decode(PETER_SKEY.split("+", 4)[4])  # PRIVATE+KEY+name+id+key
    assert raw[0] == 1
    signer = NoteSigner("PeterNeumann", raw[1:])
    assert signer.verifier.key == PETER_KEY
    assert signer.sign(TEXT) == TEXT + "\n" + PETER_SIG


def test_opening_gos_note_with_two_signatures() -> None:
    """A note signed by two keys opens with either verifier (Go's TestOpen)."""
    message = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(message, NoteVerifier.parse(PETER_KEY)).text == TEXT
    assert open_note(message, NoteVerifier.parse(ENOCH_KEY)).text == TEXT


@pytest.mark.parametrize(
    "message",
    [
        TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:],  # invalid signature
        TEXT.replace("problem,", "problem;") + "\n" + PETER_SIG,  # edited text
        TEXT,  # no signatures
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + ENOCH_SIG,  # signed, but not by this key
    ],
)
def test_bad_notes_do_not_open(message: str) -> None:
    """Malformed, edited or wrongly signed notes raise NoteError (Go's bad messages)."""
    with pytest.raises(NoteError):
        open_note(message, NoteVerifier.parse(PETER_KEY))


def test_our_checkpoint_is_a_tlog_checkpoint_note() -> None:
    """A checkpoint's note is origin, decimal size, base64 root (+ a time line), signed by a
    key named after the origin, and opens with the printed verifier key alone."""
    from datetime import UTC, datetime

    signer = CheckpointSigner(bytes(range(32)), "example.com/audit")
    root = bytes.fromhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    cp = signer.sign(1, root, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert cp.note is not None
    lines = cp.note.split("\n")
    assert lines[:3] == ["example.com/audit", "1", "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0="]
    assert lines[5].startswith("\u2014 example.com/audit ")
    opened = CheckpointVerifier.parse(signer.verifier.key).open(cp.note)
    assert (opened.tree_size, opened.root_hash) == (1, root)
    assert parse_body(cp.note.split("\n\n")[0] + "\n")[3] == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
