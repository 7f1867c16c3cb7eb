"""From findings to alerts: one open alert per principal and kind, growing with the evidence.

A detector fires on every access that keeps its score over the threshold; a person wants one
alert per insider and pattern, whose severity rises as the evidence grows. The book keeps the
open alert of each (principal, kind), merges new evidence into it (customers, audit entries,
first and last access), raises its severity with the score and with the number of customers
exposed, and writes it back when it escalates or grew a lot, else at most every few minutes of
log time. When a person closes an alert and the pattern goes on, a new alert opens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shieldwall.config import WatchSettings
from shieldwall.core.alerts import Alert, Severity
from shieldwall.core.ids import new_id
from shieldwall.trace.watch.model import Finding
from shieldwall.trace.watch.ports import AlertStore

SEVERITY_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
SAVE_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Evidence:
    """The accesses behind a finding in the window: customers, audit entries, first and last."""

    customers: tuple[str, ...]
    seqs: tuple[int, ...]
    first_at: datetime | None
    last_at: datetime | None


@dataclass(slots=True)
class _Saved:
    severity: Severity
    score: float
    customers: int
    at: datetime


class AlertBook:
    def __init__(self, store: AlertStore, settings: WatchSettings) -> None:
        self.store = store
        self.settings = settings
        self._open: dict[tuple[str, str], Alert | None] = {}
        self._saved: dict[tuple[str, str], _Saved] = {}
        self._pending: set[tuple[str, str]] = set()
        self.raised = 0
        self.updated = 0

    def severity(self, finding: Finding) -> Severity:
        ratio = finding.score / self.settings.score_for(finding.kind)
        if ratio >= 4 or finding.exposed >= self.settings.critical_customers:
            return Severity.CRITICAL
        if ratio >= 2:
            return Severity.HIGH
        return Severity.MEDIUM

    def offer(self, finding: Finding, evidence: Evidence) -> Alert:
        """Open an alert for this finding, or fold it into the open one; return the alert."""
        key = (finding.principal_id, finding.kind)
        if key not in self._open:
            self._open[key] = self.store.open_alert(*key)
        current = self._open[key]
        if current is None:
            return self._raise(key, finding, evidence)
        s = self.settings
        severity = max(current.severity, self.severity(finding), key=SEVERITY_ORDER.index)
        customers = _union(current.customer_ids, evidence.customers, s.max_evidence_customers)
        details = dict(current.details)
        details["customers_total"] = str(
            max(int(details.get("customers_total", "0")), finding.exposed)
        )
        updated = replace(
            current,
            severity=severity,
            score=max(current.score, finding.score),
            reasons=finding.reasons,
            first_at=_earliest(current.first_at, evidence.first_at),
            last_at=_latest(current.last_at, evidence.last_at),
            customer_ids=customers,
            audit_seqs=_merge_seqs(current.audit_seqs, evidence.seqs, s.max_evidence_seqs),
            details=details,
        )
        self._open[key] = updated
        saved = self._saved.get(key)
        if saved is None or (
            severity != saved.severity
            or updated.score >= saved.score + s.score_for(finding.kind) / 2
            or len(customers) >= 1.25 * max(saved.customers, 1)
            or finding.at - saved.at >= SAVE_EVERY
        ):
            if not self._save(key, updated, finding.at):
                return self._raise(key, finding, evidence)
        else:
            self._pending.add(key)
        return updated

    def flush(self) -> None:
        """Write back every open alert that grew since it was last saved."""
        for key in list(self._pending):
            alert = self._open.get(key)
            if alert is not None:
                self._save(key, alert, alert.last_at or alert.raised_at)
        self._pending.clear()

    def open_alerts(self) -> list[Alert]:
        """The open alerts this book holds (raised or loaded since it started)."""
        return [a for a in self._open.values() if a is not None]

    def _raise(self, key: tuple[str, str], finding: Finding, evidence: Evidence) -> Alert:
        s = self.settings
        alert = Alert(
            alert_id=new_id("alr"),
            kind=finding.kind,
            principal_id=finding.principal_id,
            severity=self.severity(finding),
            score=finding.score,
            reasons=finding.reasons,
            raised_at=finding.at,
            first_at=evidence.first_at,
            last_at=evidence.last_at,
            customer_ids=evidence.customers[: s.max_evidence_customers],
            audit_seqs=_merge_seqs((), evidence.seqs, s.max_evidence_seqs),
            details={
                "detector": finding.kind,
                "window_days": str(s.window_days),
                "threshold": f"{s.score_for(finding.kind):g}",
                "customers_total": str(finding.exposed),
                **finding.details,
            },
        )
        self.store.raise_alert(alert)
        self.raised += 1
        self._open[key] = alert
        self._saved[key] = _Saved(alert.severity, alert.score, len(alert.customer_ids), finding.at)
        return alert

    def _save(self, key: tuple[str, str], alert: Alert, at: datetime) -> bool:
        """Write the grown alert back; False if a person closed (or deleted) it meanwhile, in
        which case the pattern going on opens a new alert with the window's evidence."""
        self._pending.discard(key)
        if self.store.update_alert(alert):
            self.updated += 1
            self._saved[key] = _Saved(alert.severity, alert.score, len(alert.customer_ids), at)
            return True
        self._open[key] = None
        self._saved.pop(key, None)
        return False


def _union(old: tuple[str, ...], new: tuple[str, ...], cap: int) -> tuple[str, ...]:
    if len(old) >= cap:
        return old
    have = set(old)
    out = list(old)
    for c in new:
        if c not in have:
            have.add(c)
            out.append(c)
            if len(out) >= cap:
                break
    return tuple(out)


def _merge_seqs(old: tuple[int, ...], new: tuple[int, ...], cap: int) -> tuple[int, ...]:
    """The first audit entries (where it started) and the latest ones, at most ``cap``."""
    merged = sorted(set(old) | set(new))
    if len(merged) <= cap:
        return tuple(merged)
    tail = min(50, cap // 4)
    return tuple(merged[: cap - tail] + merged[-tail:])


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
