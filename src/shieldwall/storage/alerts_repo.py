"""SQL store of alerts (implements custody's ``AlertSink``; read by ``shieldwall alerts``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import utc
from shieldwall.core.paging import (
    DEFAULT_LIMIT,
    Page,
    Position,
    check_limit,
    decode_cursor,
    page_of,
)
from shieldwall.core.telemetry import NULL_TELEMETRY, Telemetry
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.paging import before
from shieldwall.storage.tables.alerts import alerts

ALERTS_LISTING = "alerts"


class SqlAlertStore:
    def __init__(self, engine: Engine, telemetry: Telemetry = NULL_TELEMETRY) -> None:
        self.engine = engine
        self.telemetry = telemetry

    def raise_alert(self, alert: Alert) -> None:
        body = _body(alert)
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(alerts).values(
                    alert_id=alert.alert_id,
                    kind=alert.kind,
                    principal_id=alert.principal_id,
                    severity=alert.severity.value,
                    score=alert.score,
                    status=alert.status,
                    raised_at=alert.raised_at,
                    first_at=alert.first_at,
                    last_at=alert.last_at,
                    body=body,
                )
            )
        self.telemetry.alert(alert.kind)  # once committed: a rolled-back alert was never raised

    def update_alert(self, alert: Alert) -> bool:
        """Replace an open alert's severity, score, times and evidence (the insider watch grows
        its alerts this way); False when the alert is gone or no longer open."""
        with write_transaction(self.engine) as conn:
            result = conn.execute(
                update(alerts)
                .where(alerts.c.alert_id == alert.alert_id, alerts.c.status == "open")
                .values(
                    severity=alert.severity.value,
                    score=alert.score,
                    first_at=alert.first_at,
                    last_at=alert.last_at,
                    body=_body(alert),
                )
            )
        return bool(result.rowcount)

    def open_alert(self, principal_id: str, kind: str) -> Alert | None:
        """The newest open alert of this kind for this principal."""
        found = self.list(principal_id=principal_id, kind=kind, status="open", limit=1)
        return found[0] if found else None

    def get(self, alert_id: str) -> Alert | None:
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(alerts).where(alerts.c.alert_id == alert_id)).first()
        return None if row is None else _alert(row)

    def list(
        self,
        *,
        since: datetime | None = None,
        principal_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 100,
        after: Position | None = None,
    ) -> list[Alert]:
        """Alerts newest first (``raised_at``, then ``alert_id``), from after ``after``."""
        q = (
            select(alerts)
            .order_by(alerts.c.raised_at.desc(), alerts.c.alert_id.desc())
            .limit(limit)
        )
        if after is not None:
            q = q.where(before(alerts.c.raised_at, alerts.c.alert_id, after))
        if since is not None:
            q = q.where(alerts.c.raised_at >= since)
        if principal_id is not None:
            q = q.where(alerts.c.principal_id == principal_id)
        if kind is not None:
            q = q.where(alerts.c.kind == kind)
        if status is not None:
            q = q.where(alerts.c.status == status)
        with read_transaction(self.engine) as conn:
            rows = conn.execute(q).all()
        return [_alert(r) for r in rows]

    def page(
        self,
        *,
        principal_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[Alert]:
        """One page of alerts, newest first; ``cursor`` is the previous page's ``next_cursor``
        (:class:`~shieldwall.core.paging.InvalidCursor` for one this list did not issue)."""
        after = decode_cursor(ALERTS_LISTING, cursor)
        rows = self.list(
            principal_id=principal_id,
            kind=kind,
            status=status,
            limit=check_limit(limit) + 1,
            after=after,
        )
        return page_of(ALERTS_LISTING, rows, limit, lambda a: Position(a.raised_at, a.alert_id))

    def set_status(self, alert_id: str, status: str) -> bool:
        with write_transaction(self.engine) as conn:
            result = conn.execute(
                update(alerts).where(alerts.c.alert_id == alert_id).values(status=status)
            )
        return bool(result.rowcount)


def _body(alert: Alert) -> str:
    return json.dumps(
        {
            "reasons": [{"code": r.code, "detail": r.detail} for r in alert.reasons],
            "customer_ids": list(alert.customer_ids),
            "audit_seqs": list(alert.audit_seqs),
            "details": dict(alert.details),
        },
        sort_keys=True,
    )


def _alert(r: Any) -> Alert:
    body = json.loads(r.body)
    return Alert(
        alert_id=r.alert_id,
        kind=r.kind,
        principal_id=r.principal_id,
        severity=Severity(r.severity),
        score=r.score,
        reasons=tuple(Reason(x["code"], x["detail"]) for x in body["reasons"]),
        raised_at=utc(r.raised_at),
        first_at=None if r.first_at is None else utc(r.first_at),
        last_at=None if r.last_at is None else utc(r.last_at),
        customer_ids=tuple(body["customer_ids"]),
        audit_seqs=tuple(body["audit_seqs"]),
        status=r.status,
        details=body.get("details", {}),
    )
