"""Insider-watch errors (below :class:`~shieldwall.trace.errors.TraceError`)."""

from __future__ import annotations

from shieldwall.trace.errors import TraceError


class WatchError(TraceError):
    code = "watch_error"


class UnknownDetector(WatchError):
    """The configuration names a detector that is not registered."""

    code = "invalid_config"
