"""Release errors (below :class:`~shieldwall.trace.errors.TraceError`)."""

from __future__ import annotations

from shieldwall.trace.errors import TraceError


class ReleaseError(TraceError):
    code = "release_error"


class ReleaseInvalid(ReleaseError):
    """A release request names a bad recipient, field, record or format."""

    code = "invalid_input"


class ReleaseNotFound(ReleaseError):
    code = "not_found"
