"""Attribution errors (below :class:`~shieldwall.trace.errors.TraceError`)::

    TraceError
    └── AttributionError
        └── InvalidVictims      the victims file or body is unusable: a field and a reason

Messages name columns, rows and fields, never a submitted value (a victims file holds phones).
"""

from __future__ import annotations

from shieldwall.trace.errors import TraceError


class AttributionError(TraceError):
    code = "attribution_error"


class InvalidVictims(AttributionError):
    """The victims input cannot be read; ``field`` says where (``file``, ``victims[3].knew``)."""

    code = "invalid_input"
