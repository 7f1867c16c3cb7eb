"""Discover errors: one root, :class:`DiscoverError`::

    DiscoverError
    ├── UnreadableInput      a file is missing, not in the declared encoding, or corrupt
    └── RoutesError          a routes file (declared personal data per route) is invalid

Messages name files, lines and fields, never the text that was scanned.
"""

from __future__ import annotations

from shieldwall.core.errors import ShieldwallError


class DiscoverError(ShieldwallError):
    code = "discover_error"


class UnreadableInput(DiscoverError):
    code = "unreadable_input"


class RoutesError(DiscoverError):
    code = "invalid_routes"
