"""Respond errors: one root, :class:`RespondError`."""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class RespondError(ShieldwallError):
    code = "respond_error"
