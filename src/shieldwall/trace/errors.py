"""Trace errors: one root, :class:`TraceError`."""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class TraceError(ShieldwallError):
    code = "trace_error"
