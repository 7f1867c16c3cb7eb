"""Optional extras: features whose library is installed only on demand.

The default install (SQLite, in-process state) needs none of them. A feature that is configured
without its extra fails with one line naming it (``pip install 'shieldwall[redis]'``) instead
of a traceback from deep inside an import.
"""

from __future__ import annotations

import importlib

from shieldwall.core.errors import MissingExtra

REDIS_FEATURE = "the Redis state backend (SHIELDWALL_STATE_BACKEND=redis)"


def require_extra(module: str, *, extra: str, feature: str) -> None:
    """Import ``module`` or raise :class:`MissingExtra` saying which extra ``feature`` needs."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{feature} needs the '{module}' package: pip install 'shieldwall[{extra}]'",
            extra=extra,
        ) from None
