"""The one view renderer: each view's rule on values worked by hand, relay never the phone."""

from __future__ import annotations

import pytest

from shieldwall.core.model import View
from shieldwall.custody.blind_index import Pseudonymizer
from shieldwall.custody.rendering import FieldValue, ViewRenderer, applied_view, needs_plaintext


class _Secrets:
    def secret(self, purpose: str) -> bytes:
        return b"k" * 32


PHONE = "+8613812345678"
RENDER = ViewRenderer(Pseudonymizer(_Secrets()))


def test_clear_masked_hidden_by_hand() -> None:
    """Clear shows the value, masked keeps 3 + 4 digits of the national number, hidden nothing."""
    assert RENDER.field("phone", View.CLEAR, PHONE) == FieldValue(View.CLEAR, PHONE)
    assert RENDER.field("phone", View.MASKED, PHONE) == FieldValue(View.MASKED, "138****5678")
    assert RENDER.field("name", View.MASKED, "张三丰") == FieldValue(View.MASKED, "张**")
    assert RENDER.field("phone", View.HIDDEN, PHONE) == FieldValue(View.HIDDEN, None)


def test_pseudonym_is_the_keyed_token() -> None:
    """A pseudonym is the tenant's keyed token for (field, value), stable across calls."""
    token = Pseudonymizer(_Secrets()).token("phone", PHONE)
    assert RENDER.field("phone", View.PSEUDONYM, PHONE) == FieldValue(View.PSEUDONYM, token)
    assert token.startswith("ps_") and token != Pseudonymizer(_Secrets()).token("name", PHONE)


def test_relay_shows_the_number_or_nothing_never_the_phone() -> None:
    """Relay with a number shows the number; without one the phone is hidden, not shown."""
    assert RENDER.field("phone", View.RELAY, PHONE, "+8617001234567") == FieldValue(
        View.RELAY, "+8617001234567"
    )
    assert RENDER.field("phone", View.RELAY, PHONE) == FieldValue(View.HIDDEN, None)
    assert applied_view(View.RELAY) is View.HIDDEN
    assert applied_view(View.RELAY, "+8617001234567") is View.RELAY


@pytest.mark.parametrize("view", [View.CLEAR, View.MASKED, View.PSEUDONYM])
def test_absent_value_renders_none_in_its_view(view: View) -> None:
    """A field custody does not hold renders as None, in the view the policy gives."""
    assert RENDER.field("email", view, None) == FieldValue(view, None)


def test_only_plaintext_views_are_decrypted() -> None:
    """Relay and hidden fields are never decrypted."""
    views = {
        "name": View.MASKED,
        "phone": View.RELAY,
        "email": View.HIDDEN,
        "address": View.CLEAR,
        "national_id": View.PSEUDONYM,
    }
    assert needs_plaintext(views) == ["name", "address", "national_id"]
