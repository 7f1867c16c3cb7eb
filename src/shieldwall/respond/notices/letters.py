"""Notices rendered to HTML from Jinja2 templates: one per regime, audience and language.

Autoescaping is on (a store name with ``<`` cannot inject markup) and an undefined variable is
an error, not an empty string: a template that names an item the content lacks fails loudly.
The HTML uses a small subset (``h1``, ``h2``, ``p``, ``ul``/``li``) that :mod:`.pdf` lays out
again, so the HTML and the PDF say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shieldwall.respond.notices.model import Audience, Language, Regime


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("shieldwall.respond.notices", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def template_name(regime: Regime, audience: Audience, language: Language) -> str:
    return f"{regime.value}_{audience.value}.{language.value}.html.j2"


def render_html(
    regime: Regime, audience: Audience, language: Language, content: Mapping[str, Any]
) -> str:
    """The notice as an HTML document (UTF-8 text)."""
    template = _environment().get_template(template_name(regime, audience, language))
    return template.render(n=content)
