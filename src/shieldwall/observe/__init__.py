"""Observability at the edge: Prometheus metrics, structured logs, readiness checks.

- :mod:`.metrics`  :class:`~.metrics.PrometheusMetrics` (HTTP traffic, and the
  :class:`~shieldwall.core.telemetry.Telemetry` capabilities report to), the audit-log collector,
  the exposition (multi-process aware)
- :mod:`.logs`     one structlog configuration for structlog and stdlib ``logging``; request ids
- :mod:`.health`   readiness checks with bounded time: database, Redis, NATS, keys

Capabilities never import this package: they report through ``core.telemetry`` and log through
stdlib ``logging``; the composition root and the API wire them here.
"""
