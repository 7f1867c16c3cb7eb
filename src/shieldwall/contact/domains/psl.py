"""Registrable domains from the Public Suffix List, offline.

``tldextract`` with its bundled snapshot only: no suffix-list URL, no cache directory, so nothing
is fetched or written. Private suffixes (``github.io``, ``blogspot.com``) count as suffixes,
because whoever controls ``jd-refund.github.io`` is the party to judge, not GitHub.
"""

from __future__ import annotations

from typing import NamedTuple

import tldextract


class Split(NamedTuple):
    """``a.b.jd-refund.com.cn``: subdomain ``a``, ``b``; label ``jd-refund``; suffix ``com.cn``."""

    subdomain: tuple[str, ...]
    label: str
    suffix: str
    known_suffix: bool

    @property
    def registrable(self) -> str:
        return f"{self.label}.{self.suffix}"


class RegistrableDomains:
    """Splits hosts at the public suffix with the PSL snapshot shipped in ``tldextract``."""

    def __init__(self) -> None:
        self._extract = tldextract.TLDExtract(
            cache_dir=None,
            suffix_list_urls=(),
            fallback_to_snapshot=True,
            include_psl_private_domains=True,
        )

    def split(self, labels: tuple[str, ...]) -> Split:
        """Split a normalised host (at least two labels) into subdomain, label and suffix."""
        result = self._extract.extract_str(".".join(labels))
        if result.suffix and result.domain:
            suffix_len = result.suffix.count(".") + 1
            cut = len(labels) - suffix_len - 1
            return Split(labels[:cut], labels[cut], ".".join(labels[cut + 1 :]), True)
        # Unknown suffix, or the host is itself a public suffix: judge the last two labels.
        return Split(labels[:-2], labels[-2], labels[-1], bool(result.suffix))
