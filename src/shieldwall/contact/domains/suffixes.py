"""What a public suffix says about the party behind a name (issue #14), pure and offline.

Two facts, each weighing a finding on the *registrable* label (:func:`suffix_weight`):

- **Restricted registries.** ``edu``, ``gov``, ``mil``, ``int`` and second-level zones such as
  ``edu.bd``, ``ac.in``, ``gov.au``, ``go.jp`` register only vetted institutions, so their labels
  are not chosen by an anonymous registrant imitating a brand (``boutube.edu.bd``,
  ``amazonas.edu.ec`` are a school and a university). A compromised host there can still carry a
  brand in a *subdomain*, which this weight does not touch.
- **A spelling match under someone else's country.** A typo-squatter waits for mistyped traffic
  and registers under the brand's own suffix (``.com`` for a ``.com`` brand); the same spelling
  under another country's code top-level domain differs from the brand twice (label and country)
  and is far more often a local name in its own language (``lenov.ru``, ``bankoa.es``,
  ``creditagricole.rs``). Country codes that are sold and used as generic names (Google's list of
  "generic country-code top-level domains": ``.co``, ``.io``, ``.me``, ``.tv``, …) do not count as
  countries, and neither does the brand's own country code (``sberbank.ru`` → ``.ru``).

A restricted registry silences every finding on its registrable label; another country's code
weighs spelling-based findings only (edits and ASCII look-alikes): a brand joined with a lure
word, an IDN homoglyph or an official domain written inside a foreign name is judged the same
under any suffix.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Top-level domains that register only vetted institutions.
RESTRICTED_TLDS = frozenset({"edu", "gov", "mil", "int"})
#: Second-level zones under country codes that do the same (``edu.bd``, ``ac.uk``, ``go.jp``).
RESTRICTED_SECOND_LEVEL = frozenset({"edu", "gov", "govt", "gob", "gouv", "mil", "ac", "go"})
#: Country codes Google Search treats as generic (Search Central, "Managing multi-regional and
#: multilingual sites": .ad .as .bz .cc .cd .co .dj .fm .io .la .me .ms .nu .sc .sr .su .tv .tk
#: .ws): registrants anywhere buy them as ordinary names.
GENERIC_COUNTRY_CODES = frozenset(
    {"ad", "as", "bz", "cc", "cd", "co", "dj", "fm", "io", "la", "me", "ms", "nu", "sc", "sr",
     "su", "tv", "tk", "ws"}
)  # fmt: skip
#: A spelling-based match under another country's code counts this fraction.
FOREIGN_COUNTRY_WEIGHT = 0.6


def is_restricted(suffix: str) -> bool:
    """True if ``suffix`` (``edu.bd``, ``gov``) registers only vetted institutions."""
    parts = suffix.split(".")
    if parts[-1] in RESTRICTED_TLDS:
        return True
    return len(parts) >= 2 and len(parts[-1]) == 2 and parts[-2] in RESTRICTED_SECOND_LEVEL


def country_code(suffix: str) -> str | None:
    """The country code that ends ``suffix`` (``com.tw`` → ``tw``), or None if there is none
    or it is one sold as a generic name (``io``, ``co``)."""
    last = suffix.rsplit(".", 1)[-1]
    if len(last) == 2 and last.isascii() and last.isalpha() and last not in GENERIC_COUNTRY_CODES:
        return last
    return None


def own_country_codes(suffixes: Iterable[str]) -> frozenset[str]:
    """The country codes of a brand's official suffixes (``ru`` for ``sberbank.ru``)."""
    return frozenset(code for s in suffixes if (code := country_code(s)) is not None)


def suffix_weight(suffix: str, own: frozenset[str]) -> float:
    """Weight of a spelling-based match on a registrable label under ``suffix``, for a brand
    whose own country codes are ``own``: 0 for restricted registries, 0.6 under another
    country's code, 1 otherwise."""
    if is_restricted(suffix):
        return 0.0
    code = country_code(suffix)
    if code is not None and code not in own:
        return FOREIGN_COUNTRY_WEIGHT
    return 1.0
