"""Hash kinds against known answers."""

from __future__ import annotations

import pytest

from shieldwall.guard.passwords.errors import InvalidHash
from shieldwall.guard.passwords.hashing import HashKind


def test_sha1_known_answer() -> None:
    """SHA-1 of "password" is the value HIBP lists (5BAA6...)."""
    assert HashKind.SHA1.digest("password").hex().upper() == (
        "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
    )


def test_ntlm_known_answers() -> None:
    """NTLM is MD4 over UTF-16LE: the classic vectors for "password" and the empty string."""
    assert HashKind.NTLM.digest("password").hex().upper() == "8846F7EAEE8FB117AD06BDD830B7586C"
    assert HashKind.NTLM.digest("").hex().upper() == "31D6CFE0D16AE931B73C59D7E0C089C0"
    assert HashKind.NTLM.digest_bytes("密码".encode()) == HashKind.NTLM.digest("密码")


def test_suffix_lengths() -> None:
    """Range suffixes have 35 hex digits for SHA-1 and 27 for NTLM."""
    assert HashKind.SHA1.suffix_hex_length == 35
    assert HashKind.NTLM.suffix_hex_length == 27


@pytest.mark.parametrize(
    "value", ["", "5BAA6", "Z" * 40, "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD"]
)
def test_parse_hex_rejects(value: str) -> None:
    """A hash of the wrong length or not hex is an InvalidHash."""
    with pytest.raises(InvalidHash):
        HashKind.SHA1.parse_hex(value)
