"""Finding customers by a contact point for other capabilities, through the blind index only.

Scam reports arrive with the phone the scam reached; linking it to a customer lets trace build
the victims list. Nothing is decrypted, and every lookup is audited like an agent's lookup.
"""

from __future__ import annotations

from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.custody import normalize
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.blind_index import BlindIndex
from shieldwall.custody.errors import ValidationError
from shieldwall.custody.ports import AuditSink, CustodyStore

SCAM_DESK = Principal("system:scam-reports", Role.SERVICE, None, "scam report intake")


class PhoneDirectory:
    """``by_phone(e164) -> customer ids``, audited as the system component that asked."""

    def __init__(
        self,
        store: CustodyStore,
        index: BlindIndex,
        audit: AuditSink,
        clock: Clock,
        *,
        region: str = "CN",
        actor: Principal = SCAM_DESK,
        reason: str = "scam_report_link",
    ) -> None:
        self.store = store
        self.index = index
        self.audit = audit
        self.clock = clock
        self.region = region
        self.actor = actor
        self.reason = reason

    def by_phone(self, e164: str) -> list[str]:
        try:
            phone = normalize.phone(e164, self.region)
        except ValidationError:
            return []
        with self.store.read() as tx:
            found = tx.find_customers("phone", self.index.digest("phone", phone))
        self.audit.append(
            [
                access_event(
                    self.clock.now(),
                    self.actor,
                    Action.LOOKUP,
                    Decision.ALLOW,
                    self.reason,
                    channel="system",
                    customer_ids=found,
                    extra={"by": "phone", "matches": str(len(found))},
                )
            ]
        )
        return found
