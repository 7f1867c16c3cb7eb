"""Holes in an API: a response that carries more personal data than its route declares.

A store declares, per route, the kinds of personal data a response may carry (a routes file,
:meth:`RouteTable.from_yaml`)::

    default: []                      # a route not listed may carry none
    routes:
      - method: GET
        path: /orders/{order_id}     # {name} matches one path segment
        returns: [name, phone, address]

:func:`undeclared` analyzes a response body (JSON values with their keys as context, else the
text) and counts the findings whose type the route does not declare; :class:`ExposureAlerts`
turns a count into an alert through the same alerts store as the insider watch: one open alert
per route (``principal_id`` ``api-route:GET /orders/{order_id}``, kind ``api_overexposure``)
that grows with every further response. Alerts name types and counts, never values.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import Clock
from shieldwall.core.ids import new_id
from shieldwall.discover.analyzer import Analyzer
from shieldwall.discover.errors import RoutesError
from shieldwall.discover.model import DataType

KIND = "api_overexposure"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"})
SEVERE = frozenset({DataType.NATIONAL_ID, DataType.BANK_CARD, DataType.PASSPORT})
_PARAM = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


class AlertStore(Protocol):
    """Alerts as ``storage.alerts_repo.SqlAlertStore`` keeps them (the watch's store)."""

    def raise_alert(self, alert: Alert) -> None: ...

    def update_alert(self, alert: Alert) -> bool: ...

    def open_alert(self, principal_id: str, kind: str) -> Alert | None: ...


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    returns: frozenset[DataType]
    pattern: re.Pattern[str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _types(value: Any, where: str) -> frozenset[DataType]:
    if not isinstance(value, list):
        raise RoutesError("must be a list of data types", field=where)
    try:
        return frozenset(DataType(v) for v in value)
    except ValueError:
        known = ", ".join(t.value for t in DataType)
        raise RoutesError(f"names an unknown data type (known: {known})", field=where) from None


class RouteTable:
    """Routes in declaration order; the first whose method and path match wins."""

    def __init__(self, routes: list[Route], default: frozenset[DataType] = frozenset()) -> None:
        self.routes = routes
        self.default = default

    @classmethod
    def from_yaml(cls, text: str) -> RouteTable:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RoutesError(f"not valid YAML ({type(exc).__name__})") from None
        if not isinstance(data, Mapping):
            raise RoutesError("must be a mapping with 'routes'")
        default = _types(data.get("default", []), "default")
        entries = data.get("routes", [])
        if not isinstance(entries, list):
            raise RoutesError("must be a list", field="routes")
        routes = []
        for i, entry in enumerate(entries):
            where = f"routes[{i}]"
            if not isinstance(entry, Mapping):
                raise RoutesError("must be a mapping", field=where)
            method = str(entry.get("method", "GET")).upper()
            path = entry.get("path")
            if method not in METHODS:
                raise RoutesError("is not an HTTP method", field=f"{where}.method")
            if not isinstance(path, str) or not path.startswith("/"):
                raise RoutesError("must be a path starting with /", field=f"{where}.path")
            returns = _types(entry.get("returns", []), f"{where}.returns")
            routes.append(Route(method, path, returns, _compile(path)))
        return cls(routes, default)

    def match(self, method: str, path: str) -> Route | None:
        for route in self.routes:
            if route.method in ("*", method.upper()) and route.pattern.fullmatch(path):
                return route
        return None

    def declared(self, method: str, path: str) -> tuple[str, frozenset[DataType]]:
        """(route key, declared types) for a request; unlisted routes get the default."""
        route = self.match(method, path)
        if route is None:
            return f"{method.upper()} (undeclared route)", self.default
        return route.key, route.returns


def load_routes(path: Path) -> RouteTable:
    """:meth:`RouteTable.from_yaml` of a file; an unreadable file is a :class:`RoutesError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise RoutesError(f"{path}: cannot read the routes file") from None
    return RouteTable.from_yaml(text)


def _compile(path: str) -> re.Pattern[str]:
    parts = _PARAM.split(path)
    return re.compile("[^/]+".join(re.escape(p) for p in parts))


def _values(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) of every string and integer in a JSON document."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _values(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _values(v, key)
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        yield key, str(value)


def found_types(body: str, content_type: str, analyzer: Analyzer) -> Counter[DataType]:
    """How many values of each type a response body carries."""
    counts: Counter[DataType] = Counter()
    if "json" in content_type:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if document is not None:
            for key, text in _values(document):
                prefix = f"{key}：" if key else ""
                counts.update(
                    f.type for f in analyzer.analyze(prefix + text) if f.start >= len(prefix)
                )
            return counts
    counts.update(f.type for f in analyzer.analyze(body))
    return counts


def undeclared(found: Counter[DataType], declared: frozenset[DataType]) -> Counter[DataType]:
    return Counter({t: n for t, n in found.items() if t not in declared})


class ExposureAlerts:
    """One open alert per route, raised on the first over-exposing response and grown after."""

    def __init__(self, store: AlertStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def report(
        self, route: str, declared: frozenset[DataType], extra: Counter[DataType], status: int
    ) -> Alert:
        """Raise the route's alert, or grow its open one; return it."""
        principal = f"api-route:{route}"
        now = self.clock.now()
        current = self.store.open_alert(principal, KIND)
        if current is not None:
            severity, score, reasons, details = _content(current, route, declared, extra, status)
            updated = replace(
                current,
                severity=severity,
                score=score,
                reasons=reasons,
                last_at=now,
                details=details,
            )
            if self.store.update_alert(updated):
                return updated
        severity, score, reasons, details = _content(None, route, declared, extra, status)
        alert = Alert(
            alert_id=new_id("alr"),
            kind=KIND,
            principal_id=principal,
            severity=severity,
            score=score,
            reasons=reasons,
            raised_at=now,
            first_at=now,
            last_at=now,
            details=details,
        )
        self.store.raise_alert(alert)
        return alert


def _content(
    current: Alert | None,
    route: str,
    declared: frozenset[DataType],
    extra: Counter[DataType],
    status: int,
) -> tuple[Severity, float, tuple[Reason, ...], dict[str, str]]:
    """Severity, score (values exposed so far), reasons and details of the route's alert after
    one more over-exposing response."""
    totals: Counter[DataType] = Counter(extra)
    responses = 1
    if current is not None:
        responses += int(current.details.get("responses", "0"))
        for t in DataType:
            totals[t] += int(current.details.get(f"found_{t.value}", "0"))
    totals = +totals
    declared_text = ", ".join(sorted(d.value for d in declared)) or "no personal data"
    reasons = tuple(
        Reason(
            f"undeclared_{t.value}",
            f"{n} {t.value} value(s) in responses of a route that declares {declared_text}",
        )
        for t, n in sorted(totals.items())
    )
    details = {
        "route": route,
        "declared": ",".join(sorted(d.value for d in declared)),
        "responses": str(responses),
        "last_status": str(status),
        **{f"found_{t.value}": str(n) for t, n in totals.items()},
    }
    severity = Severity.HIGH if set(totals) & SEVERE else Severity.MEDIUM
    return severity, float(sum(totals.values())), reasons, details
