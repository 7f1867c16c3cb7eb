"""The one shape every recognizer has (as Presidio's ``EntityRecognizer.analyze``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from shieldwall.discover.model import DataType, Finding

# No finding is longer than this many characters; the stream's chunk overlap is larger.
MAX_SPAN = 256  # an e-mail address may be 254 (RFC 5321)
# Recognizers look at most this far before a candidate for context words ("姓名：", "护照").
MAX_CONTEXT = 24


class Recognizer(Protocol):
    """A pure function of text to findings: no I/O, no state between calls."""

    name: str
    types: frozenset[DataType]

    def find(self, text: str) -> Iterator[Finding]:
        """Every candidate in ``text``, each with a confidence and a reason."""
        ...


def before(text: str, start: int, width: int = MAX_CONTEXT) -> str:
    """The ``width`` characters before ``start`` (the context window of a candidate)."""
    return text[max(0, start - width) : start]
