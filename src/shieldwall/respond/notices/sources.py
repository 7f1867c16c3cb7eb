"""Adapters behind :mod:`.ports`: exposures from releases, alerts and the audit log; masked
names through custody's sealer, each decryption an audit entry (``notify``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from shieldwall.core.alerts import Alert
from shieldwall.core.clock import Clock
from shieldwall.core.errors import ShieldwallError
from shieldwall.core.events import AccessEvent, Action, AuditRecord, Decision
from shieldwall.core.model import Principal
from shieldwall.custody import masking
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.ports import AuditSink, CustodyStore
from shieldwall.custody.sealing import Sealer
from shieldwall.trace.releases.model import Release


class ServiceExposures:
    """``release`` raises a not-found error for an unknown id (the release ledger's ``get``)."""

    def __init__(
        self,
        *,
        release: Callable[[str], Release],
        alert: Callable[[str], Alert | None],
        entry: Callable[[int], AuditRecord],
    ) -> None:
        self._release = release
        self._alert = alert
        self._entry = entry

    def release_columns(self, release_id: str) -> Mapping[str, str] | None:
        try:
            return dict(self._release(release_id).columns)
        except ShieldwallError as exc:
            if exc.code == "not_found":
                return None
            raise

    def alert(self, alert_id: str) -> tuple[datetime, tuple[int, ...]] | None:
        found = self._alert(alert_id)
        if found is None:
            return None
        return (found.first_at or found.raised_at, tuple(found.audit_seqs))

    def entry(self, seq: int) -> AccessEvent | None:
        try:
            return self._entry(seq).event
        except ShieldwallError:
            return None


class CustodyNames:
    """Decrypts a customer's name only to mask it; the clear name never leaves this method."""

    def __init__(self, store: CustodyStore, sealer: Sealer, audit: AuditSink, clock: Clock) -> None:
        self.store = store
        self.sealer = sealer
        self.audit = audit
        self.clock = clock

    def masked(
        self, customer_ids: Sequence[str], *, actor: Principal, channel: str, case_id: str
    ) -> dict[str, str | None]:
        if not customer_ids:
            return {}
        self.audit.append(
            [
                access_event(
                    self.clock.now(),
                    actor,
                    Action.NOTIFY,
                    Decision.ALLOW,
                    "breach_notice",
                    channel=channel,
                    purpose="investigation",
                    customer_ids=sorted(customer_ids),
                    fields={"name": "masked"},
                    extra={"case": case_id},
                )
            ]
        )
        out: dict[str, str | None] = {}
        with self.store.read() as tx:
            for cid in customer_ids:
                sealed = tx.get_customer(cid)
                clear = None if sealed is None else self.sealer.open_customer(sealed, ["name"])
                name = clear.get("name") if clear else None
                out[cid] = masking.name(name) if name else None
        return out
