"""Prometheus metrics: names, labels and values, read back with prometheus-client's own parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from shieldwall.core.errors import StorageError
from shieldwall.core.telemetry import NULL_TELEMETRY, Telemetry
from shieldwall.observe.metrics import AuditLogCollector, Exposition, PrometheusMetrics

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def samples(text: bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(text: bytes, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


def test_both_telemetries_satisfy_the_protocol() -> None:
    """What capabilities are handed: the null one and the Prometheus one."""
    telemetries: list[Telemetry] = [NULL_TELEMETRY, PrometheusMetrics()]
    for t in telemetries:
        t.decision("login", "allow")
        t.alert("break_glass")
        t.queue_lag("logins", 1.5)
        t.queue_pending("logins", 3)


def test_decisions_alerts_and_lag_are_counted_by_name() -> None:
    """Two challenges, one deny, one alert, a lag, a pending count: each under its own
    labels."""
    m = PrometheusMetrics()
    m.decision("login", "challenge")
    m.decision("login", "challenge")
    m.decision("login", "deny")
    m.alert("harvesting")
    m.queue_lag("shieldwall.logins", 2.5)
    m.queue_lag("shieldwall.logins", -1.0)  # a clock skewed producer: never negative
    m.queue_lag("access", 7.25)
    m.queue_pending("access", 1200)
    text = generate_latest(m.registry)
    assert value(text, "shieldwall_decisions_total", kind="login", outcome="challenge") == 2
    assert value(text, "shieldwall_decisions_total", kind="login", outcome="deny") == 1
    assert value(text, "shieldwall_alerts_total", detector="harvesting") == 1
    assert value(text, "shieldwall_queue_lag_seconds", queue="shieldwall.logins") == 0
    assert value(text, "shieldwall_queue_lag_seconds", queue="access") == 7.25
    assert value(text, "shieldwall_queue_pending_messages", queue="access") == 1200


def test_repeated_decisions_count_under_their_own_kind_and_outcome() -> None:
    """The cached counter of each (kind, outcome) is its own: the same outcome of two deciders,
    and past the cache's size, every call still counts once where it belongs."""
    m = PrometheusMetrics()
    for _ in range(3):
        m.decision("login", "allow")
        m.decision("access.read", "allow")
        m.decision("login", "deny")
        m.alert("harvesting")
        m.alert("break_glass")
    for i in range(300):  # more combinations than the cache keeps
        m.decision("login", f"o{i}")
        m.decision("login", f"o{i}")
    text = generate_latest(m.registry)
    assert value(text, "shieldwall_decisions_total", kind="login", outcome="allow") == 3
    assert value(text, "shieldwall_decisions_total", kind="access.read", outcome="allow") == 3
    assert value(text, "shieldwall_decisions_total", kind="login", outcome="deny") == 3
    assert value(text, "shieldwall_alerts_total", detector="harvesting") == 3
    assert value(text, "shieldwall_alerts_total", detector="break_glass") == 3
    assert value(text, "shieldwall_decisions_total", kind="login", outcome="o0") == 2
    assert value(text, "shieldwall_decisions_total", kind="login", outcome="o299") == 2


def test_a_value_that_is_not_a_name_never_becomes_a_label() -> None:
    """A phone number or a name passed by mistake is counted under ``other``."""
    m = PrometheusMetrics()
    m.decision("login", "13812345678 张伟")
    m.decision("login", "13812345678 张伟")
    m.alert("Zhang Wei")
    text = generate_latest(m.registry)
    assert b"13812345678" not in text and "张伟".encode() not in text
    assert value(text, "shieldwall_decisions_total", kind="login", outcome="other") == 2
    assert value(text, "shieldwall_alerts_total", detector="other") == 1


def test_request_latency_lands_in_the_right_buckets() -> None:
    """3 ms is above the 2.5 ms bucket and within 5 ms; an odd method is ``OTHER``."""
    m = PrometheusMetrics()
    m.request("GET", "/v1/customers/{customer_id}", 200, 0.003)
    m.request("GET", "/v1/customers/{customer_id}", 200, 0.003)
    m.request("BREW", "unmatched", 404, 0.0001)
    text = generate_latest(m.registry)
    route = {"method": "GET", "route": "/v1/customers/{customer_id}", "status": "200"}
    assert value(text, "shieldwall_http_requests_total", **route) == 2
    bucket = "shieldwall_http_request_duration_seconds_bucket"
    assert value(text, bucket, le="0.0025", **route) == 0
    assert value(text, bucket, le="0.005", **route) == 2
    assert value(text, "shieldwall_http_request_duration_seconds_sum", **route) == 0.006
    other = {"method": "OTHER", "route": "unmatched", "status": "404"}
    assert value(text, "shieldwall_http_requests_total", **other) == 1


def test_audit_gauges_are_read_at_scrape_time() -> None:
    """Size, checkpoint size and age (90 s by the clock), and up=1."""
    now = [T0 + timedelta(seconds=90)]
    collector = AuditLogCollector(lambda: 42, lambda: (40, T0), lambda: now[0])
    exposition = Exposition(PrometheusMetrics(), [collector])
    text = exposition.render()
    assert value(text, "shieldwall_audit_up") == 1
    assert value(text, "shieldwall_audit_log_entries") == 42
    assert value(text, "shieldwall_audit_checkpoint_entries") == 40
    assert value(text, "shieldwall_audit_checkpoint_age_seconds") == 90
    now[0] = T0 + timedelta(seconds=150)
    assert value(exposition.render(), "shieldwall_audit_checkpoint_age_seconds") == 150


def test_no_checkpoint_yet_and_an_unreadable_log() -> None:
    """Without a checkpoint there is no age; a storage error gives up=0 and no guesses."""

    def down() -> int:
        raise StorageError("database unavailable")

    fresh = Exposition(PrometheusMetrics(), [AuditLogCollector(lambda: 0, lambda: None, T0.now)])
    text = fresh.render()
    assert value(text, "shieldwall_audit_log_entries") == 0
    assert value(text, "shieldwall_audit_checkpoint_age_seconds") is None
    broken = Exposition(PrometheusMetrics(), [AuditLogCollector(down, lambda: None, T0.now)])
    text = broken.render()
    assert value(text, "shieldwall_audit_up") == 0
    assert value(text, "shieldwall_audit_log_entries") is None


def test_single_process_exposition_includes_process_metrics() -> None:
    """CPU and memory of this process (left out in multi-process mode, where they would sum)."""
    text = Exposition(PrometheusMetrics(CollectorRegistry())).render()
    assert any(name == "process_cpu_seconds_total" for name, _ in samples(text))
