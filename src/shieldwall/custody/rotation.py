"""Key rotation without downtime.

``start`` creates a new field-key version that encrypts from then on; older versions keep
decrypting. ``run`` re-encrypts rows still under an older version, a batch per transaction, and
can be interrupted and run again: rows already done carry the new version and are not touched,
so the next run resumes where the last stopped. When no row is left, older versions are retired.
"""

from __future__ import annotations

from dataclasses import dataclass

from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.keys import Keyring
from shieldwall.custody.ports import AuditSink, CustodyStore, ProgressCallback, no_progress
from shieldwall.custody.sealing import Sealer


@dataclass(frozen=True, slots=True)
class RotationReport:
    version: int
    customers: int
    orders: int
    finished: bool


class Rotation:
    def __init__(
        self, keyring: Keyring, store: CustodyStore, sealer: Sealer, audit: AuditSink, clock: Clock
    ) -> None:
        self.keyring = keyring
        self.store = store
        self.sealer = sealer
        self.audit = audit
        self.clock = clock

    def in_progress(self) -> bool:
        return "retiring" in self.keyring.store.key_versions().values()

    def start(self, *, actor: Principal = OPERATOR, channel: str = "cli") -> int:
        version = self.keyring.start_field_rotation()
        self._audit(actor, channel, "rotation_started", version)
        return version

    def pending(self) -> int:
        version = self.keyring.active_field_version()
        with self.store.read() as tx:
            return tx.count_below_version(version)

    def run(
        self,
        *,
        batch: int = 500,
        progress: ProgressCallback = no_progress,
        limit: int | None = None,
        actor: Principal = OPERATOR,
        channel: str = "cli",
    ) -> RotationReport:
        """Re-encrypt up to ``limit`` rows (all when None) under the active version."""
        version = self.keyring.active_field_version()
        done = {"customers": 0, "orders": 0}
        budget = limit
        for kind in ("customers", "orders"):
            while budget is None or budget > 0:
                size = batch if budget is None else min(batch, budget)
                with self.store.write() as tx:
                    if kind == "customers":
                        rows = tx.customers_below_version(version, size)
                        tx.update_customer_ciphertexts(
                            [self.sealer.reseal_customer(r, version) for r in rows], version
                        )
                    else:
                        orders = tx.orders_below_version(version, size)
                        tx.update_order_ciphertexts(
                            [self.sealer.reseal_order(o, version) for o in orders], version
                        )
                        rows = orders  # type: ignore[assignment]
                if not rows:
                    break
                done[kind] += len(rows)
                progress(len(rows))
                if budget is not None:
                    budget -= len(rows)
        finished = self.pending() == 0
        if finished:
            self.keyring.finish_field_rotation()
            self._audit(actor, channel, "rotation_finished", version)
        return RotationReport(version, done["customers"], done["orders"], finished)

    def _audit(self, actor: Principal, channel: str, reason: str, version: int) -> None:
        self.audit.append(
            [
                access_event(
                    self.clock.now(),
                    actor,
                    Action.KEY_ROTATE,
                    Decision.ALLOW,
                    reason,
                    channel=channel,
                    extra={"version": str(version)},
                )
            ]
        )
