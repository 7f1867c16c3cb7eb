"""Alert triage on SQL: who took an alert, and its closing with reason and note."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from shieldwall.core.alerts import Alert
from shieldwall.core.clock import utc
from shieldwall.storage.alerts_repo import SqlAlertStore
from shieldwall.storage.db import read_transaction, write_transaction
from shieldwall.storage.tables.alerts import alert_triage, alerts
from shieldwall.trace.watch.triage import Triage


class SqlTriageStore:
    """Implements :class:`~shieldwall.trace.watch.triage.TriageStore`."""

    def __init__(self, engine: Engine, alert_store: SqlAlertStore) -> None:
        self.engine = engine
        self.alert_store = alert_store

    def get_alert(self, alert_id: str) -> Alert | None:
        return self.alert_store.get(alert_id)

    def triage(self, alert_id: str) -> Triage:
        with read_transaction(self.engine) as conn:
            row = conn.execute(
                select(alert_triage).where(alert_triage.c.alert_id == alert_id)
            ).first()
        if row is None:
            return Triage(alert_id)
        return Triage(
            alert_id,
            row.assignee,
            None if row.assigned_at is None else utc(row.assigned_at),
            row.closed_by,
            None if row.closed_at is None else utc(row.closed_at),
            row.close_reason,
            row.note,
        )

    def triages(self, alert_ids: list[str]) -> dict[str, Triage]:
        return {a: self.triage(a) for a in alert_ids}

    def assign(self, alert_id: str, assignee: str, at: datetime) -> None:
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                update(alert_triage)
                .where(alert_triage.c.alert_id == alert_id)
                .values(assignee=assignee, assigned_at=at)
            ).rowcount
            if not done:
                conn.execute(
                    insert(alert_triage).values(
                        alert_id=alert_id, assignee=assignee, assigned_at=at
                    )
                )

    def close(self, alert_id: str, by: str, at: datetime, reason: str, note: str) -> None:
        values = {"closed_by": by, "closed_at": at, "close_reason": reason, "note": note}
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(alerts).where(alerts.c.alert_id == alert_id).values(status="closed")
            )
            done = conn.execute(
                update(alert_triage).where(alert_triage.c.alert_id == alert_id).values(**values)
            ).rowcount
            if not done:
                conn.execute(insert(alert_triage).values(alert_id=alert_id, **values))
