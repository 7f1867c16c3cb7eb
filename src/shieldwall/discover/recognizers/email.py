"""E-mail addresses: a dot-atom local part (RFC 5322 section 3.2.3), ``@``, and a domain of
LDH labels with a top-level label of at least two letters (RFC 1035, RFC 5321)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from shieldwall.discover.model import DataType, Finding

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9_.!#$%&'*+/=?^`{|}~-])"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9-])"
)


class EmailRecognizer:
    name = "email"
    types = frozenset({DataType.EMAIL})

    def find(self, text: str) -> Iterator[Finding]:
        for match in _EMAIL.finditer(text):
            if match.end() - match.start() > 254:  # RFC 5321's path limit
                continue
            yield Finding(match.start(), match.end(), DataType.EMAIL, 0.9, "e-mail address syntax")
