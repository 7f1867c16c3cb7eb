"""Where the API's rate-limit counters live: in process, or in Redis shared by every worker.

The counters themselves are the ``limits`` library's (moving windows); this module only picks
its storage from the settings. Keys are ``<key_prefix>:<tenant>:...`` and hold keyed tags, never
an address or a principal's name (see :mod:`shieldwall.api.ratelimit`).
"""

from __future__ import annotations

from limits.storage import MemoryStorage, RedisStorage, Storage

from shieldwall.config import Settings
from shieldwall.core.extras import REDIS_FEATURE, require_extra


def rate_limit_storage(settings: Settings) -> Storage:
    """Redis when ``state_backend`` is ``redis`` (several workers must share one count),
    else process memory. Backend errors are wrapped in ``limits.errors.StorageError``."""
    prefix = f"{settings.api.rate_limits.key_prefix}:{settings.tenant}"
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        return RedisStorage(settings.redis_url, key_prefix=prefix, wrap_exceptions=True)
    return MemoryStorage(wrap_exceptions=True)
