"""Guard errors: one root, :class:`GuardError`."""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class GuardError(ShieldwallError):
    code = "guard_error"
