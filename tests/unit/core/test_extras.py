"""Optional extras: an installed module passes, a missing one fails in one line naming the
extra to install."""

from __future__ import annotations

import pytest

from shieldwall.core.errors import ConfigError, MissingExtra
from shieldwall.core.extras import require_extra


def test_installed_module_passes() -> None:
    """A module that imports raises nothing."""
    require_extra("json", extra="none", feature="JSON")


def test_missing_module_names_the_extra() -> None:
    """A module that does not import gives MissingExtra (a ConfigError) naming the extra."""
    with pytest.raises(MissingExtra) as caught:
        require_extra("shieldwall_no_such_module", extra="redis", feature="the Redis backend")
    err = caught.value
    assert isinstance(err, ConfigError) and err.code == "missing_extra" and err.extra == "redis"
    assert str(err) == (
        "the Redis backend needs the 'shieldwall_no_such_module' package:"
        " pip install 'shieldwall[redis]'"
    )
