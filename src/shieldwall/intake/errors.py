"""Errors of the event intake::

ShieldwallError
└── IntakeError
    ├── BadEvent          an event that does not parse or validate (dead-lettered)
    └── TooManyEvents     a batch over the limit
"""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class IntakeError(ShieldwallError):
    code = "intake_error"


class BadEvent(IntakeError):
    """An event that is not JSON, or not the kind's schema: ``field`` and ``reason`` say where
    and why, never with the value."""

    code = "invalid_event"
