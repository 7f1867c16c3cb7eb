"""The store's own genuine message templates, configured as negatives for the scorer.

A templates file (YAML, ``ScamSettings.templates_file``; the package ships an example)::

    format: shieldwall-scam-templates/1
    official_domains: [shieldmart.com]
    templates:
      - id: zh.shipped
        lang: zh
        text: "【盾墙商城】您的订单{order}已发货,{courier}运单号{tracking}…"

A text matches a template when its normalized form is *entirely* the template with each
placeholder filled by a value of that placeholder's shape (``{order}`` letters/digits,
``{amount}`` a number, ``{url}`` a link on an official domain only…). There is no ``{phone}``
placeholder: a callback number in a genuine template is written out literally. A match is voided
when a scam signal fires inside the value of a free-text placeholder (``{item}``, ``{name}``,
``{courier}``), so a scammer cannot hide "加QQ" in an ``{item}`` slot of a copied template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shieldwall.contact.scam.errors import ScamConfigError
from shieldwall.contact.scam.normalize import normalize

FORMAT = "shieldwall-scam-templates/1"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SHAPES: dict[str, str] = {
    "order": r"[A-Za-z0-9\-]{6,32}",
    "tracking": r"[A-Za-z]{0,4}\d{8,20}",
    "amount": r"\d{1,9}(?:,\d{3})*(?:\.\d{1,2})?",
    "code": r"\d{4,8}",
    "count": r"\d{1,6}",
    "pickup": r"[A-Za-z0-9\-]{3,16}",
    "date": r"[\d/\-.年月日: ]{4,20}",
    "time": r"[\d:apmAPM ]{1,10}",
    "name": r"[^\n\d:;!?<>\[\]{}]{1,24}?",
    "courier": r"[^\n\d,.:;!?]{1,16}?",
    "item": r"[^\n]{1,60}?",
}


# Placeholders whose values are free text: only there can a scam phrase hide.
FREE_TEXT = frozenset({"item", "name", "courier"})


@dataclass(frozen=True, slots=True)
class TemplateMatch:
    template_id: str
    free_fills: tuple[tuple[int, int], ...]  # spans of free-text placeholder values


@dataclass(frozen=True, slots=True)
class Template:
    template_id: str
    lang: str
    pattern: re.Pattern[str]
    text: str
    placeholders: tuple[str, ...]


class TemplateSet:
    """Compiled genuine templates; :meth:`match` finds the one a text is an instance of."""

    def __init__(self, templates: list[Template], official_domains: tuple[str, ...]) -> None:
        self.templates = templates
        self.official_domains = official_domains

    @classmethod
    def load(cls, path: Path | None = None) -> TemplateSet:
        """Load ``path``, or the example file shipped with the package when None."""
        try:
            if path is None:
                raw = (
                    resources.files("shieldwall.contact.scam")
                    .joinpath("data/templates.yaml")
                    .read_text(encoding="utf-8")
                )
                source = "the packaged templates"
            else:
                raw = path.read_text(encoding="utf-8")
                source = str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise ScamConfigError(f"templates file cannot be read: {exc}") from None
        try:
            doc = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise ScamConfigError(f"{source} is not valid YAML") from None
        return cls.from_document(doc, source)

    @classmethod
    def from_document(cls, doc: Any, source: str = "templates") -> TemplateSet:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ScamConfigError(f"{source} is not a templates file ({FORMAT})")
        domains = doc.get("official_domains") or []
        if not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains):
            raise ScamConfigError("official_domains must be a list of domains", field="templates")
        entries = doc.get("templates")
        if not isinstance(entries, list):
            raise ScamConfigError("templates must be a list", field="templates")
        official = tuple(d.lower().strip(".") for d in domains)
        url = _url_shape(official)
        templates = []
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            where = f"templates[{i}]"
            if not isinstance(entry, dict) or not all(
                isinstance(entry.get(k), str) and entry.get(k) for k in ("id", "lang", "text")
            ):
                raise ScamConfigError("needs id, lang and text", field=where)
            if entry["id"] in seen:
                raise ScamConfigError(f"duplicate template id {entry['id']}", field=where)
            seen.add(entry["id"])
            pattern, names = _compile(entry["text"], url, where)
            templates.append(Template(entry["id"], entry["lang"], pattern, entry["text"], names))
        return cls(templates, official)

    def match(self, normalized_text: str) -> TemplateMatch | None:
        for template in self.templates:
            m = template.pattern.fullmatch(normalized_text)
            if m is not None:
                fills = tuple(
                    m.span(g)
                    for g, name in enumerate(template.placeholders, start=1)
                    if name in FREE_TEXT
                )
                return TemplateMatch(template.template_id, fills)
        return None


def _url_shape(official: tuple[str, ...]) -> str | None:
    if not official:
        return None
    hosts = "|".join(re.escape(d) for d in official)
    return rf"https?://(?:[a-z0-9\-]+\.)*(?:{hosts})(?::\d{{1,5}})?(?:/[^\s]*)?"


def _compile(
    text: str, url_shape: str | None, where: str
) -> tuple[re.Pattern[str], tuple[str, ...]]:
    normalized = normalize(text)
    parts: list[str] = []
    names: list[str] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(normalized):
        parts.append(re.escape(normalized[pos : m.start()]))
        name = m.group(1)
        shape = url_shape if name == "url" else _SHAPES.get(name)
        if shape is None:
            reason = (
                "uses {url} but the file has no official_domains"
                if name == "url"
                else f"unknown placeholder {{{name}}}"
            )
            raise ScamConfigError(reason, field=where)
        parts.append(f"({shape})")
        names.append(name)
        pos = m.end()
    parts.append(re.escape(normalized[pos:]))
    return re.compile("".join(parts), re.IGNORECASE), tuple(names)
