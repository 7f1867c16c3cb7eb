"""SQL store of alerts (implements custody's ``AlertSink``; read by ``shieldwall alerts``) and
of their delivery outbox (implements trace.delivery's ``DeliveryOutbox`` and
``EscalatingAlertStore``): given the sinks to deliver to, a raise writes a pending row per sink
in the alert's own transaction, and an update that lifts an open alert above every severity it
had writes the ``alert.escalated`` rows in the update's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)

from shieldwall.core.alerts import Alert, Reason, Severity
from shieldwall.core.clock import Clock, SystemClock, utc
from shieldwall.core.paging import (
    DEFAULT_LIMIT,
    Page,
    Position,
    fetch_page,
)
from shieldwall.core.telemetry import NULL_TELEMETRY, Telemetry
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.paging import before
from shieldwall.storage.tables.alerts import alert_deliveries, alerts
from shieldwall.trace.delivery.ports import (
    ESCALATED,
    RAISED,
    AlertEvent,
    PendingDelivery,
    delivery_key,
)

ALERTS_LISTING = "alerts"
_RANK = {s: i for i, s in enumerate(Severity)}  # info < low < medium < high < critical


class SqlAlertStore:
    """Alerts; with ``deliver_to`` (the dispatcher's sink names) also their outbox, rows due
    ``lease`` after they are written (the writing process's own queue has that long)."""

    def __init__(
        self,
        engine: Engine,
        telemetry: Telemetry = NULL_TELEMETRY,
        *,
        deliver_to: Sequence[str] = (),
        lease: timedelta = timedelta(minutes=5),
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.telemetry = telemetry
        self.deliver_to = tuple(deliver_to)
        self.lease = lease
        self.clock = clock or SystemClock()

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
            self._enqueue(conn, RAISED, alert.alert_id, alert.severity)
        self.telemetry.alert(alert.kind)  # once committed: a rolled-back alert was never raised

    def update_alert(self, alert: Alert) -> bool:
        """Replace an open alert's severity, score, times and evidence (the insider watch grows
        its alerts this way); False when the alert is gone or no longer open."""
        return self.update_alert_escalating(alert)[0]

    def update_alert_escalating(self, alert: Alert) -> tuple[bool, Severity | None]:
        """:meth:`update_alert`, and the severity the update crossed to when it lifts the alert
        above every severity it had (its ``alert.escalated`` rows written in this transaction;
        only with sinks to deliver to)."""
        with write_transaction(self.engine) as conn:
            crossed = self._crossed(conn, alert) if self.deliver_to else None
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
            if not result.rowcount:
                return False, None
            if crossed is not None:
                self._enqueue(conn, ESCALATED, alert.alert_id, crossed)
        return True, crossed

    def _crossed(self, conn: Connection, alert: Alert) -> Severity | None:
        """``alert.severity`` if it is above the stored alert's and above every escalation
        already recorded for it, else None."""
        row = conn.execute(
            select(alerts.c.severity).where(
                alerts.c.alert_id == alert.alert_id, alerts.c.status == "open"
            )
        ).first()
        if row is None:
            return None
        reached = {Severity(row.severity)} | {
            Severity(s)
            for (s,) in conn.execute(
                select(alert_deliveries.c.severity)
                .where(
                    alert_deliveries.c.alert_id == alert.alert_id,
                    alert_deliveries.c.event == ESCALATED,
                )
                .distinct()
            )
        }
        top = max(_RANK[s] for s in reached)
        return alert.severity if _RANK[alert.severity] > top else None

    def _enqueue(self, conn: Connection, event: str, alert_id: str, severity: Severity) -> None:
        if not self.deliver_to:
            return
        now = self.clock.now()
        key = delivery_key(event, alert_id, severity)
        conn.execute(
            insert(alert_deliveries),
            [
                {
                    "key": key,
                    "sink": sink,
                    "alert_id": alert_id,
                    "event": event,
                    "severity": severity.value,
                    "created_at": now,
                    "due_at": now + self.lease,
                    "attempts": 0,
                    "delivered_at": None,
                }
                for sink in self.deliver_to
            ],
        )

    # -- the outbox (trace.delivery.ports.DeliveryOutbox) --------------------------------------

    def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[PendingDelivery]:
        d = alert_deliveries
        q = (
            select(d.c.key, d.c.sink, d.c.event, d.c.severity.label("step"), d.c.due_at, alerts)
            .join(alerts, alerts.c.alert_id == d.c.alert_id)
            .where(d.c.delivered_at.is_(None), d.c.due_at <= now)
            .order_by(d.c.due_at, d.c.key, d.c.sink)
            .limit(limit)
        )
        claimed: list[PendingDelivery] = []
        with write_transaction(self.engine) as conn:
            for row in conn.execute(q).all():
                # Claimed only if no other process moved it since it was read.
                moved = conn.execute(
                    update(d)
                    .where(
                        and_(d.c.key == row.key, d.c.sink == row.sink),
                        d.c.delivered_at.is_(None),
                        d.c.due_at == row.due_at,
                    )
                    .values(due_at=now + lease, attempts=d.c.attempts + 1)
                )
                if moved.rowcount:
                    event = AlertEvent(row.event, _alert(row), Severity(row.step))
                    claimed.append(PendingDelivery(row.sink, event))
        return claimed

    def mark_delivered(self, key: str, sink: str, at: datetime) -> None:
        d = alert_deliveries
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(d)
                .where(d.c.key == key, d.c.sink == sink, d.c.delivered_at.is_(None))
                .values(delivered_at=at)
            )

    def prune_delivered(self, before: datetime, limit: int) -> int:
        d = alert_deliveries
        still_open = exists().where(alerts.c.alert_id == d.c.alert_id, alerts.c.status == "open")
        batch = (
            select(d.c.key, d.c.sink)
            .where(
                d.c.delivered_at.is_not(None),
                d.c.delivered_at < before,
                # An open alert's escalation rows are the severities it has reached: kept, or
                # the alert would be pushed again on its way back up (see ``_crossed``).
                or_(d.c.event != ESCALATED, ~still_open),
            )
            .order_by(d.c.delivered_at)
            .limit(limit)
        )
        with write_transaction(self.engine) as conn:
            removed = conn.execute(delete(d).where(tuple_(d.c.key, d.c.sink).in_(batch)))
        return int(removed.rowcount)

    def pending_deliveries(self) -> int:
        """How many (event, sink) rows are not delivered yet."""
        d = alert_deliveries
        with read_transaction(self.engine) as conn:
            n = conn.execute(
                select(func.count()).select_from(d).where(d.c.delivered_at.is_(None))
            ).scalar_one()
        return int(n)

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
        return fetch_page(
            ALERTS_LISTING,
            limit,
            cursor,
            lambda n, after: self.list(
                principal_id=principal_id, kind=kind, status=status, limit=n, after=after
            ),
            lambda a: Position(a.raised_at, a.alert_id),
        )

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
