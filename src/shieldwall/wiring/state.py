"""Where the counters live: in this process by default, in Redis (shared by every worker) when
``state_backend`` is ``redis``. The Redis modules, and the ``redis`` library, are imported
only when chosen.
"""

from __future__ import annotations

import math

from sqlalchemy import Engine

from shieldwall.config import Settings
from shieldwall.console.sessions import MemorySessionStore, SessionStore
from shieldwall.core.extras import REDIS_FEATURE, require_extra
from shieldwall.custody.ports import SlidingLog
from shieldwall.guard.risk.history import DecisionHistory, HistoryBounds
from shieldwall.guard.risk.ports import RiskState
from shieldwall.storage.lookup_log_memory import MemorySlidingLog
from shieldwall.storage.risk_history_memory import MemoryDecisionHistory
from shieldwall.storage.risk_history_sql import SqlDecisionHistory
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.watch_state_memory import MemoryWatchState
from shieldwall.trace.watch.ports import WatchState


def risk_state(settings: Settings) -> RiskState:
    """In process by default; Redis (shared by every worker) when ``state_backend`` says so."""
    rs = settings.guard.risk
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.risk_state_redis import RedisRiskState  # noqa: PLC0415 - extra

        return RedisRiskState.from_url(settings.redis_url, tenant=settings.tenant, settings=rs)
    return MemoryRiskState.from_settings(rs)


HISTORY_BUFFER = 256  # events a process holds back before writing them (database or Redis)


def risk_history(settings: Settings, engine: Engine) -> DecisionHistory:
    """The login decisions' history (console): where the risk state lives, or the database
    (``guard.risk.history_backend``), bounded by the ``guard.risk.history_*`` settings."""
    rs = settings.guard.risk
    bounds = HistoryBounds(
        rs.history_days, rs.history_window_hours, rs.history_accounts, rs.history_sources_cap
    )
    if rs.history_backend == "database":
        return SqlDecisionHistory(engine, bounds, buffer=HISTORY_BUFFER)
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.risk_history_redis import (  # noqa: PLC0415 - extra
            RedisDecisionHistory,
        )

        # buffered as the database's: an assess then costs the state's one round trip
        return RedisDecisionHistory.from_url(
            settings.redis_url, tenant=settings.tenant, bounds=bounds, buffer=HISTORY_BUFFER
        )
    return MemoryDecisionHistory(bounds)


def lookup_log(settings: Settings) -> SlidingLog:
    """Each worker counts its own lookups by default; Redis makes the limit one for all."""
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.lookup_log_redis import RedisSlidingLog  # noqa: PLC0415 - extra

        return RedisSlidingLog.from_url(settings.redis_url, tenant=settings.tenant, name="lookups")
    return MemorySlidingLog()


def watch_state(settings: Settings, *, partition: str | None = None) -> WatchState:
    """In process by default; Redis when the service runs several workers (keys under the
    partition's name when the watch is partitioned)."""
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.watch_state_redis import RedisWatchState  # noqa: PLC0415 - extra

        tenant = settings.tenant if partition is None else f"{settings.tenant}:{partition}"
        return RedisWatchState.from_url(settings.redis_url, tenant=tenant)
    return MemoryWatchState()


def console_sessions(settings: Settings) -> SessionStore:
    """The console's sessions: in this process by default; in Redis when ``state_backend`` is
    ``redis`` (several workers must all know a session)."""
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.console_sessions_redis import (  # noqa: PLC0415 - extra
            RedisSessionStore,
        )

        return RedisSessionStore.from_url(
            settings.redis_url,
            tenant=settings.tenant,
            ttl_seconds=math.ceil(settings.console.lifetime_seconds),
        )
    return MemorySessionStore()
