"""Range API bodies: HIBP's byte format, padding within its documented bounds, NTLM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shieldwall.guard.passwords.corpus import PasswordCorpora
from shieldwall.guard.passwords.errors import InvalidHash
from shieldwall.guard.passwords.hashing import HashKind
from shieldwall.guard.passwords.rangeapi import (
    mode_kind,
    padding_count,
    range_body,
    wants_padding,
)
from shieldwall.guard.passwords.sources import SourceFormat
from tests.unit.guard.passwords.conftest import random_corpus, run_import, write_single

SHA1_LINE = re.compile(r"^[0-9A-F]{35}:[0-9]+$")
NTLM_LINE = re.compile(r"^[0-9A-F]{27}:[0-9]+$")


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> PasswordCorpora:
    tmp = tmp_path_factory.mktemp("range")
    sha = random_corpus(41, 3000, shards=2)
    sha[HashKind.SHA1.digest("password")] = 10_434_004
    run_import(tmp / "c", [(write_single(tmp / "s.txt", sha), SourceFormat.HIBP)])
    ntlm = {HashKind.NTLM.digest("password"): 5, **random_corpus(42, 500, HashKind.NTLM, shards=2)}
    run_import(
        tmp / "c", [(write_single(tmp / "n.txt", ntlm), SourceFormat.HIBP)], kind=HashKind.NTLM
    )
    return PasswordCorpora(tmp / "c")


def _lines(body: str) -> list[str]:
    return body.split("\r\n") if body else []


def test_unpadded_body_format(corpora: PasswordCorpora) -> None:
    """CRLF between lines, none after the last, no bare LF, upper-case 35-hex suffixes, sorted."""
    body = range_body(corpora, "5baa6", kind=HashKind.SHA1, pad=False)
    assert "\n" not in body.replace("\r\n", "") and not body.endswith("\r\n")
    lines = _lines(body)
    assert all(SHA1_LINE.match(x) for x in lines)
    assert "1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004" in lines
    assert lines == sorted(lines)
    assert body == range_body(corpora, "5BAA6", kind=HashKind.SHA1, pad=False)


def test_every_prefix_answers(corpora: PasswordCorpora) -> None:
    """Prefixes with and without hashes answer (empty body for an empty bucket), never raise."""
    for p in ("00000", "FFFFF", "12345", "abcde"):
        assert all(
            SHA1_LINE.match(x)
            for x in _lines(range_body(corpora, p, kind=HashKind.SHA1, pad=False))
        )


def test_padding_count_rule() -> None:
    """Under 790 real lines: 800-999 in total; at or above: 10-209 more (HIBP's worker)."""
    assert padding_count(0, 0) == 800 and padding_count(0, 199) == 999
    assert padding_count(500, 0) + 500 == 800 and padding_count(789, 199) + 789 == 999
    assert padding_count(790, 0) == 10 and padding_count(5000, 199) == 209


def test_padded_body_is_indistinguishable_in_format(corpora: PasswordCorpora) -> None:
    """Padded lines look like real ones, count 0, follow the real lines; 800-999 in all."""
    for prefix in ("5BAA6", "00000"):
        unpadded = _lines(range_body(corpora, prefix, kind=HashKind.SHA1, pad=False))
        real = [x for x in unpadded if not x.endswith(":0")]  # an empty bucket is padded anyway
        totals = set()
        for _ in range(30):
            lines = _lines(range_body(corpora, prefix, kind=HashKind.SHA1, pad=True))
            assert all(SHA1_LINE.match(x) for x in lines)
            assert lines[: len(real)] == real
            assert all(x.endswith(":0") for x in lines[len(real) :])
            assert 800 <= len(lines) <= 999
            totals.add(len(lines))
        assert len(totals) > 5  # the size varies from response to response


def test_padding_is_random_each_time(corpora: PasswordCorpora) -> None:
    """Two padded responses share no padding suffix."""
    a = set(_lines(range_body(corpora, "00000", kind=HashKind.SHA1, pad=True)))
    b = set(_lines(range_body(corpora, "00000", kind=HashKind.SHA1, pad=True)))
    assert not a & b


def test_ntlm_mode(corpora: PasswordCorpora) -> None:
    """mode=ntlm answers 27-digit suffixes from the NTLM corpus, padding included."""
    ntlm = HashKind.NTLM.digest("password").hex().upper()
    lines = _lines(range_body(corpora, ntlm[:5], kind=mode_kind("ntlm"), pad=True))
    assert f"{ntlm[5:]}:5" in lines and all(NTLM_LINE.match(x) for x in lines)


def test_header_and_mode_parsing() -> None:
    """Add-Padding is honoured for "true" in any case; only mode=ntlm selects NTLM."""
    assert wants_padding("true") and wants_padding("True") and not wants_padding("1")
    assert not wants_padding(None)
    assert mode_kind("NTLM") is HashKind.NTLM and mode_kind("sha1") is HashKind.SHA1
    assert mode_kind(None) is HashKind.SHA1 and mode_kind("md5") is HashKind.SHA1


def test_bad_prefix(corpora: PasswordCorpora) -> None:
    """A bad prefix raises InvalidHash with HIBP's wording."""
    with pytest.raises(InvalidHash, match="The hash prefix was not valid hexadecimal"):
        range_body(corpora, "XYZ12", kind=HashKind.SHA1, pad=True)


def test_empty_corpus_answers(tmp_path: Path) -> None:
    """With nothing imported every prefix still answers, with padding only (asked or not)."""
    corpora = PasswordCorpora(tmp_path / "none")
    unasked = _lines(range_body(corpora, "5BAA6", kind=HashKind.SHA1, pad=False))
    assert 800 <= len(unasked) <= 999 and all(line.endswith(":0") for line in unasked)
    assert 800 <= len(_lines(range_body(corpora, "5BAA6", kind=HashKind.SHA1, pad=True))) <= 999
