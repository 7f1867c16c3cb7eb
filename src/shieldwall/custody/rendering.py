"""Rendering a view: the one place that turns a field's plaintext and the view the policy gives
into what a principal is shown. Custody's reads and releases both render through it.

- ``clear``      the value itself
- ``masked``     :func:`.masking.mask` (enough to recognise, not enough to misuse)
- ``pseudonym``  a stable keyed token (:class:`.blind_index.Pseudonymizer`)
- ``relay``      the reader's relay number (a courier's binding for the order), never the phone;
                 a reader with no relay number gets the phone hidden. The narrowest view wins: a
                 relay view never falls back to the phone, and the phone is not even decrypted.
- ``hidden``     nothing

A value that is absent in custody renders as ``None`` in any view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shieldwall.core.model import View
from shieldwall.custody import masking
from shieldwall.custody.blind_index import Pseudonymizer

# The views whose rendering reads the plaintext; relay and hidden never do.
PLAINTEXT_VIEWS = frozenset({View.CLEAR, View.MASKED, View.PSEUDONYM})


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One field as a principal sees it: the view actually applied, and the rendered value."""

    view: View
    value: Any


def applied_view(view: View, relay_number: str | None = None) -> View:
    """The view a field is shown in: ``relay`` without a relay number is ``hidden``."""
    if view is View.RELAY and relay_number is None:
        return View.HIDDEN
    return view


def needs_plaintext(views: Mapping[str, View]) -> list[str]:
    """The fields whose plaintext rendering ``views`` needs (the rest are never decrypted)."""
    return [name for name, view in views.items() if view in PLAINTEXT_VIEWS]


class ViewRenderer:
    """Renders fields in their views; pseudonyms are keyed by the tenant's pseudonym secret."""

    def __init__(self, pseudonyms: Pseudonymizer) -> None:
        self.pseudonyms = pseudonyms

    def field(
        self, name: str, view: View, plain: str | None, relay_number: str | None = None
    ) -> FieldValue:
        """``name`` in ``view``: its applied view and its value (see the module docstring)."""
        shown = applied_view(view, relay_number)
        if shown is View.HIDDEN:
            return FieldValue(shown, None)
        if shown is View.RELAY:
            return FieldValue(shown, relay_number)
        if plain is None:
            return FieldValue(shown, None)
        if shown is View.CLEAR:
            return FieldValue(shown, plain)
        if shown is View.MASKED:
            return FieldValue(shown, masking.mask(name, plain))
        return FieldValue(shown, self.pseudonyms.token(name, plain))

    def record(
        self,
        views: Mapping[str, View],
        plain: Mapping[str, str | None],
        relay_number: str | None = None,
    ) -> dict[str, FieldValue]:
        """Every field of ``views`` rendered from ``plain`` (missing fields are absent values)."""
        return {
            name: self.field(name, view, plain.get(name), relay_number)
            for name, view in views.items()
        }
