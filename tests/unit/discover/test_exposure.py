"""Routes files, what a response carries, and the route's alert growing (fake store)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from shieldwall.core.alerts import Alert, Severity
from shieldwall.core.clock import ManualClock
from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.errors import RoutesError
from shieldwall.discover.exposure import ExposureAlerts, RouteTable, found_types, undeclared
from shieldwall.discover.model import DataType

ROUTES = """
default: [name]
routes:
  - method: GET
    path: /orders/{order_id}
    returns: [name, phone, address]
  - method: "*"
    path: /health
"""


class FakeAlerts:
    """The alerts store's three calls, in memory."""

    def __init__(self) -> None:
        self.alerts: dict[str, Alert] = {}

    def raise_alert(self, alert: Alert) -> None:
        self.alerts[alert.alert_id] = alert

    def update_alert(self, alert: Alert) -> bool:
        if self.alerts.get(alert.alert_id, alert).status != "open":
            return False
        self.alerts[alert.alert_id] = alert
        return True

    def open_alert(self, principal_id: str, kind: str) -> Alert | None:
        return next(
            (a for a in self.alerts.values()
             if a.principal_id == principal_id and a.kind == kind and a.status == "open"),
            None,
        )  # fmt: skip


def test_route_matching() -> None:
    """Templates match one segment per parameter; methods match; unlisted routes get default."""
    table = RouteTable.from_yaml(ROUTES)
    assert table.declared("GET", "/orders/O1") == (
        "GET /orders/{order_id}",
        frozenset({DataType.NAME, DataType.PHONE, DataType.ADDRESS}),
    )
    assert table.declared("get", "/orders/O1/items")[0] == "GET (undeclared route)"
    assert table.declared("POST", "/orders/O1")[1] == frozenset({DataType.NAME})
    assert table.declared("DELETE", "/health") == ("* /health", frozenset())


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("routes: [1", None),
        ("- a", None),
        ("routes: {}", "routes"),
        ("routes: [{path: orders}]", "routes[0].path"),
        ("routes: [{path: /a, method: FETCH}]", "routes[0].method"),
        ("routes: [{path: /a, returns: [dna]}]", "routes[0].returns"),
        ("default: phone", "default"),
    ],
)
def test_bad_routes_files_name_the_field(text: str, field: str | None) -> None:
    with pytest.raises(RoutesError) as caught:
        RouteTable.from_yaml(text)
    assert caught.value.field == field


def test_json_body_counts_with_keys_as_context() -> None:
    """Keys are context (a 'name' key makes its value a name); integers are scanned too."""
    body = '{"name": "收件人：王芳", "phone": 13800138000, "id": "11010519491231002X"}'
    found = found_types(body, "application/json", Analyzer())
    assert found == Counter({DataType.NAME: 1, DataType.PHONE: 1, DataType.NATIONAL_ID: 1})
    declared = frozenset({DataType.NAME, DataType.PHONE})
    assert undeclared(found, declared) == Counter({DataType.NATIONAL_ID: 1})


def test_alert_raised_then_grown_then_reopened_after_close() -> None:
    """First response raises, the next grows the same alert, a closed one makes a new one."""
    store = FakeAlerts()
    clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    alerts = ExposureAlerts(store, clock)
    declared = frozenset({DataType.NAME})
    first = alerts.report("GET /orders/{order_id}", declared, Counter({DataType.PHONE: 2}), 200)
    assert first.severity is Severity.MEDIUM and first.details["found_phone"] == "2"
    second = alerts.report(
        "GET /orders/{order_id}", declared, Counter({DataType.NATIONAL_ID: 1}), 200
    )
    assert second.alert_id == first.alert_id and second.severity is Severity.HIGH
    assert second.details["responses"] == "2" and second.score == 3.0
    assert [r.code for r in second.reasons] == ["undeclared_national_id", "undeclared_phone"]
    from dataclasses import replace

    store.alerts[first.alert_id] = replace(second, status="closed")
    third = alerts.report("GET /orders/{order_id}", declared, Counter({DataType.PHONE: 1}), 200)
    assert third.alert_id != first.alert_id and third.details["responses"] == "1"
