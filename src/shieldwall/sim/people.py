"""Synthetic customers for the simulator: :class:`~shieldwall.custody.synthetic.PeopleFactory`.

The generator lives in production code (``shieldwall.custody.synthetic``) because canary
customers need it; production never imports the simulator. This module keeps the simulator's,
the demo's and the tests' imports short.
"""

from __future__ import annotations

from shieldwall.custody.areas import Place, places
from shieldwall.custody.synthetic import (
    LAST_BIRTH_YEAR,
    MAIL_DOMAINS,
    MOBILE_PREFIXES,
    PeopleFactory,
)

__all__ = ["LAST_BIRTH_YEAR", "MAIL_DOMAINS", "MOBILE_PREFIXES", "PeopleFactory", "Place", "places"]
