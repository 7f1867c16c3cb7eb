"""The one JSON form of an alert, and the notice that leaves the system without customer ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from shieldwall.core.alerts import Alert, Reason, Severity

ALERT = Alert(
    alert_id="alr_0001",
    kind="harvesting",
    principal_id="agent-li",
    severity=Severity.HIGH,
    score=12.5,
    reasons=(Reason("self_made_relationship", "9 of 10 customers"),),
    raised_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    first_at=datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
    customer_ids=("C1", "C2", "C3"),
    audit_seqs=(4, 7),
    details={"detector": "harvesting"},
)


def test_to_dict_is_the_documented_form() -> None:
    """Every field, times in ISO 8601, reasons as code and detail; JSON-serialisable."""
    assert ALERT.to_dict() == {
        "alert_id": "alr_0001",
        "kind": "harvesting",
        "principal_id": "agent-li",
        "severity": "high",
        "score": 12.5,
        "status": "open",
        "raised_at": "2026-03-02T09:00:00+00:00",
        "first_at": "2026-03-01T08:30:00+00:00",
        "last_at": None,
        "reasons": [{"code": "self_made_relationship", "detail": "9 of 10 customers"}],
        "customer_ids": ["C1", "C2", "C3"],
        "audit_seqs": [4, 7],
        "details": {"detector": "harvesting"},
    }
    json.dumps(ALERT.to_dict())


def test_notice_counts_customers_instead_of_naming_them() -> None:
    """What goes out to a webhook, syslog or NATS carries no customer id."""
    notice = ALERT.to_notice()
    assert "customer_ids" not in notice and notice["customers"] == 3
    text = json.dumps(notice)
    assert all(c not in text for c in ("C1", "C2", "C3"))
    assert {k: v for k, v in notice.items() if k != "customers"} == {
        k: v for k, v in ALERT.to_dict().items() if k != "customer_ids"
    }
