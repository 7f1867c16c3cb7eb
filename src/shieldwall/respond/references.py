"""The records a case may name, looked up in the capabilities that keep them.

Implements :class:`~shieldwall.respond.case_ports.CaseReferences` over small interfaces, so
this package does not depend on how alerts, campaigns, releases, the audit log or custody
store them. A trace result is named by the audit entry that recorded it: the victims
attribution's ``victim_trace_query`` entry, the leaked-file attribution's ``leak_file_match``.
Nothing here reads personal data: only whether ids exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Protocol

from shieldwall.core.errors import ShieldwallError
from shieldwall.core.events import AuditRecord
from shieldwall.core.model import Principal
from shieldwall.respond.case_model import SourceKind

TRACE_REASONS = {
    SourceKind.VICTIMS_TRACE: "victim_trace_query",
    SourceKind.LEAK_TRACE: "leak_file_match",
}


class _Alerts(Protocol):
    def get(self, alert_id: str) -> object | None: ...


class _Log(Protocol):
    def entry(self, seq: int) -> AuditRecord: ...


class _Principals(Protocol):
    def get(self, principal_id: str) -> Principal: ...


class _CustomerTx(Protocol):
    def existing_customer_ids(self, ids: Iterable[str]) -> set[str]: ...


class _Customers(Protocol):
    def read(self) -> AbstractContextManager[_CustomerTx]: ...


class ServiceReferences:
    """``campaign`` and ``release`` raise a not-found error for an unknown id (the scam
    reports' and the release ledger's ``campaign``/``get``)."""

    def __init__(
        self,
        *,
        alerts: _Alerts,
        campaign: Callable[[str], object],
        release: Callable[[str], object],
        log: _Log,
        principals: _Principals,
        customers: _Customers,
    ) -> None:
        self.alerts = alerts
        self.campaign = campaign
        self.release = release
        self.log = log
        self.principals = principals
        self.customers = customers

    def source_exists(self, kind: SourceKind, ref: str) -> bool:
        if kind is SourceKind.ALERT:
            return self.alerts.get(ref) is not None
        if kind is SourceKind.SCAM_CAMPAIGN:
            return _found(self.campaign, ref)
        if kind is SourceKind.CANARY_HIT:
            return self.release_exists(ref)
        if kind in TRACE_REASONS:
            try:
                record = self.log.entry(int(ref))
            except ShieldwallError:
                return False
            return record.event.reason == TRACE_REASONS[kind]
        return kind is SourceKind.MANUAL

    def principal(self, principal_id: str) -> Principal | None:
        try:
            return self.principals.get(principal_id)
        except ShieldwallError as exc:
            if exc.code == "not_found":
                return None
            raise

    def release_exists(self, release_id: str) -> bool:
        return _found(self.release, release_id)

    def existing_customers(self, customer_ids: Iterable[str]) -> set[str]:
        with self.customers.read() as tx:
            return tx.existing_customer_ids(list(customer_ids))


def _found(lookup: Callable[[str], object], record_id: str) -> bool:
    try:
        lookup(record_id)
    except ShieldwallError as exc:
        if exc.code == "not_found":
            return False
        raise
    return True
