"""Protected brands: official domains and brand words, from flags or a TOML file.

A brands file::

    keywords = ["shouhou-center"]      # optional: more after-sales words (added to the defaults)
    allow = ["jdsports.com"]           # optional: registrable domains never judged lookalike

    [[brands]]
    name = "JD"
    domains = ["jd.com", "jd.hk", "360buy.com"]
    words = ["jd", "jingdong", "京东"]

Every problem is reported as :class:`BrandsFileError` naming the entry (``brands[0].domains[1]``)
and the reason; nothing is half-loaded.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shieldwall.contact.domains.errors import BrandsFileError, InvalidObservedName
from shieldwall.contact.domains.names import normalize_host
from shieldwall.contact.domains.psl import RegistrableDomains

MAX_BRANDS_FILE_BYTES = 1_048_576
MAX_WORD_CHARS = 63


@dataclass(frozen=True, slots=True)
class Brand:
    """A protected brand: its name, official domains (normalised) and brand words."""

    name: str
    domains: tuple[str, ...]
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BrandBook:
    """Everything a scanner protects: brands, extra after-sales words, extra allowed domains."""

    brands: tuple[Brand, ...]
    keywords: tuple[str, ...] = ()
    allow: tuple[str, ...] = field(default=())

    def merged(self, other: BrandBook) -> BrandBook:
        return BrandBook(
            _merge_brands(self.brands + other.brands),
            tuple(dict.fromkeys(self.keywords + other.keywords)),
            tuple(dict.fromkeys(self.allow + other.allow)),
        )


def normalize_domain(domain: str) -> str:
    """Normalise a configured domain the way observed hosts are; raise ``ValueError`` if bad."""
    try:
        return normalize_host(domain)[0]
    except InvalidObservedName as exc:
        raise ValueError(f"{domain!r} is not a domain name: {exc.reason}") from exc


def normalize_word(word: str) -> str:
    word = word.strip().lower()
    if not word:
        raise ValueError("empty word")
    if len(word) > MAX_WORD_CHARS:
        raise ValueError(f"word longer than {MAX_WORD_CHARS} characters")
    if any(not (c.isalnum() or c == "-") for c in word):
        raise ValueError(f"{word!r} must be letters, digits or hyphens (no dots or spaces)")
    return word


def _merge_brands(brands: Iterable[Brand]) -> tuple[Brand, ...]:
    by_name: dict[str, Brand] = {}
    for brand in brands:
        seen = by_name.get(brand.name)
        if seen is None:
            by_name[brand.name] = brand
        else:
            by_name[brand.name] = Brand(
                brand.name,
                tuple(dict.fromkeys(seen.domains + brand.domains)),
                tuple(dict.fromkeys(seen.words + brand.words)),
            )
    return tuple(by_name.values())


def brands_from_domains(domains: Iterable[str]) -> BrandBook:
    """One brand per ``--brand DOMAIN``, named by its registrable label (``jd.com`` → ``jd``).

    Domains that share a label (``jd.com``, ``jd.hk``) become one brand. An official subdomain
    of someone else's domain (``weixin.qq.com``) is its own brand with word ``weixin``.
    """
    splitter = RegistrableDomains()
    brands = []
    for raw in domains:
        try:
            domain = normalize_domain(raw)
        except ValueError as exc:
            raise BrandsFileError(str(exc), field="--brand") from exc
        split = splitter.split(tuple(domain.split(".")))
        if split.subdomain:  # weixin.qq.com: the brand is "weixin", not "qq"
            brands.append(Brand(domain, (domain,), (split.subdomain[-1],)))
        else:
            brands.append(Brand(split.label, (domain,), (split.label,)))
    return BrandBook(_merge_brands(brands))


class _BrandEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    domains: tuple[str, ...] = Field(min_length=1, max_length=1000)
    words: tuple[str, ...] = Field((), max_length=1000)

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(normalize_domain(d) for d in value))

    @field_validator("words")
    @classmethod
    def _words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(normalize_word(w) for w in value))


class _BrandsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    brands: tuple[_BrandEntry, ...] = Field(min_length=1, max_length=1000)
    keywords: tuple[str, ...] = Field((), max_length=10_000)
    allow: tuple[str, ...] = Field((), max_length=100_000)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(normalize_word(w) for w in value))

    @field_validator("allow")
    @classmethod
    def _allow(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(normalize_domain(d) for d in value))


def parse_brands_toml(text: str, *, source: str = "brands file") -> BrandBook:
    """Validate a brands document; raise :class:`BrandsFileError` naming the bad entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BrandsFileError(f"{source} is not valid TOML: {exc}") from exc
    try:
        parsed = _BrandsFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(
            f"[{part}]" if isinstance(part, int) else str(part) for part in first["loc"]
        ).replace(".[", "[")
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BrandsFileError(f"{source}: {message}", field=where or None) from exc
    names = [entry.name for entry in parsed.brands]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BrandsFileError(f"{source}: brand name {duplicates[0]!r} appears twice", field="name")
    brands = tuple(Brand(e.name, e.domains, e.words) for e in parsed.brands)
    return BrandBook(brands, parsed.keywords, parsed.allow)


def load_brands_file(path: Path) -> BrandBook:
    """Read and validate a brands file (at most 1 MiB of UTF-8 TOML)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BRANDS_FILE_BYTES + 1)
    except OSError as exc:
        raise BrandsFileError(f"cannot read brands file {path}: {exc.strerror}") from exc
    if len(raw) > MAX_BRANDS_FILE_BYTES:
        raise BrandsFileError(f"brands file {path} is larger than 1 MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BrandsFileError(f"brands file {path} is not UTF-8") from exc
    return parse_brands_toml(text, source=f"brands file {path}")
