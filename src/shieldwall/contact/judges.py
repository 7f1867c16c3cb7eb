"""What scam reports ask of the rest of contact: is this domain a lookalike of ours, is this
number one of ours. Thin adapters from the lookalike scanner and the official-number book to
the judges ``contact.scam`` declares, so scam reports stay free of those packages."""

from __future__ import annotations

from collections.abc import Callable

from shieldwall.contact.domains.errors import DomainError
from shieldwall.contact.domains.scanner import LookalikeScanner
from shieldwall.contact.errors import ContactError
from shieldwall.contact.ledger.numbers import NumberBook
from shieldwall.contact.scam.ports import DomainVerdict


class ScannerJudge:
    """``DomainJudge`` over the lookalike scanner; built lazily (a scanner takes ~0.3 s)."""

    def __init__(self, make_scanner: Callable[[], LookalikeScanner | None]) -> None:
        self._make = make_scanner
        self._scanner: LookalikeScanner | None = None
        self._built = False

    def check(self, domain: str) -> DomainVerdict:
        if not self._built:
            self._scanner, self._built = self._make(), True
        if self._scanner is None:
            return DomainVerdict("clean")
        try:
            v = self._scanner.scan(domain)
        except DomainError:
            return DomainVerdict("clean")
        return DomainVerdict(v.verdict, v.brand, v.score, v.techniques)


class BookNumberJudge:
    """``NumberJudge`` over the official-number book (numbers, ranges, sender ids, domains)."""

    def __init__(self, book: NumberBook) -> None:
        self.book = book

    def is_official(self, number: str) -> bool:
        try:
            return self.book.check(number).official
        except ContactError:
            return False
