"""Contact errors: one root, :class:`ContactError`."""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class ContactError(ShieldwallError):
    code = "contact_error"
