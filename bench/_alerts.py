"""The alert the alert benchmarks raise (delivery and outbox): one insider-watch finding."""

from __future__ import annotations

from datetime import UTC, datetime

from shieldwall.core.alerts import Alert, Reason, Severity


def bench_alert(customers: int, *, evidence: bool = False) -> Alert:
    """A high ``harvesting`` alert listing ``customers`` customer ids; with ``evidence`` as
    many audit sequence numbers and the detector's details too (a larger payload to push)."""
    return Alert(
        alert_id="alr_bench",
        kind="harvesting",
        principal_id="agent-0001",
        severity=Severity.HIGH,
        score=12.0,
        reasons=(Reason("self_made_relationship", "41 of 60 customers in 3 days were reached"),),
        raised_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        customer_ids=tuple(f"C{i:06d}" for i in range(customers)),
        audit_seqs=tuple(range(customers)) if evidence else (),
        details={"detector": "harvesting", "window_days": "3"} if evidence else {},
    )
