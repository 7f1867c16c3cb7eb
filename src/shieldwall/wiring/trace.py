"""The trace capability, assembled: insider watch, releases and file attribution, victim
attribution.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from shieldwall.audit.log import MerkleAuditLog
from shieldwall.config import Settings
from shieldwall.contact.warnings.senders import WARNINGS_SENDER
from shieldwall.core.clock import Clock
from shieldwall.custody import normalize
from shieldwall.custody.blind_index import Pseudonymizer
from shieldwall.custody.directory import PhoneDirectory
from shieldwall.custody.errors import ValidationError
from shieldwall.custody.keys import Keyring
from shieldwall.custody.sealing import Sealer
from shieldwall.storage.audit_repo import SqlAuditStore
from shieldwall.storage.custody_repo import SqlCustodyStore
from shieldwall.storage.trace_releases_repo import SqlCustomerIndex, SqlReleaseStore
from shieldwall.storage.trace_watch_repo import SqlCursorStore
from shieldwall.trace.attribution.exposure import AuditExposure
from shieldwall.trace.attribution.file import FileAttribution
from shieldwall.trace.attribution.victims.service import VICTIM_DESK, VictimTracer
from shieldwall.trace.releases.service import SECRET_PURPOSE as RELEASES_PURPOSE
from shieldwall.trace.releases.service import Releases
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.ports import AlertStore
from shieldwall.trace.watch.runner import WatchRunner
from shieldwall.wiring.custody import Custody
from shieldwall.wiring.state import watch_state


class CustodyVictimDirectory:
    """Trace's view of custody for victim attribution: phones resolve through the blind index
    (each lookup audited as ``system:trace-victims``), never by decrypting the table."""

    def __init__(self, store: SqlCustodyStore, phones: PhoneDirectory, region: str) -> None:
        self.store = store
        self.phones = phones
        self.region = region

    def valid_phone(self, phone: str) -> bool:
        try:
            normalize.phone(phone, self.region)
        except ValidationError:
            return False
        return True

    def by_phone(self, phone: str) -> list[str]:
        return self.phones.by_phone(phone)

    def existing(self, customer_ids: Sequence[str]) -> set[str]:
        with self.store.read() as tx:
            return tx.existing_customer_ids(list(customer_ids))

    def population(self) -> int:
        with self.store.read() as tx:
            return tx.count_customers()


def build_victims(
    settings: Settings,
    store: SqlCustodyStore,
    sealer: Sealer,
    audit: MerkleAuditLog,
    audit_store: SqlAuditStore,
    clock: Clock,
) -> VictimTracer:
    vs = settings.trace.victims
    region = settings.custody.default_region
    phones = PhoneDirectory(
        store, sealer.index, audit, clock, region=region, actor=VICTIM_DESK, reason="victim_trace"
    )
    return VictimTracer(
        # The warnings sender reads phones to warn victims: never a suspect of their leak.
        AuditExposure(audit_store, exempt_actors=frozenset({WARNINGS_SENDER.principal_id})),
        CustodyVictimDirectory(store, phones, region),
        audit,
        alpha=vs.alpha,
        max_rounds=vs.max_rounds,
        top=vs.top,
        examples=vs.examples,
        max_victims=vs.max_victims,
        audit=audit,
        clock=clock,
    )


def build_releases(
    settings: Settings,
    clock: Clock,
    engine: Engine,
    keyring: Keyring,
    store: SqlCustodyStore,
    custody: Custody,
    audit: MerkleAuditLog,
) -> tuple[Releases, FileAttribution]:
    """The release ledger and file attribution, sharing one store and one code key."""
    rs = settings.trace.releases
    ledger = SqlReleaseStore(engine)
    releases = Releases(
        ledger,
        store,
        custody.sealer,
        Pseudonymizer(keyring),
        custody.policy,
        custody.relations,
        audit,
        clock,
        keyring.secret(RELEASES_PURPOSE),
        rs,
        region=settings.custody.default_region,
    )
    trace = FileAttribution(
        ledger,
        SqlCustomerIndex(engine),
        custody.sealer.index,
        releases.code,
        releases.canaries,
        audit,
        clock,
        rs,
        region=settings.custody.default_region,
    )
    return releases, trace


def build_watch(
    settings: Settings, engine: Engine, audit: MerkleAuditLog, alerts: AlertStore, clock: Clock
) -> WatchRunner:
    state = watch_state(settings)
    watch = Watch(settings.trace.watch, state, alerts, clock=clock)
    return WatchRunner(watch, audit, SqlCursorStore(engine, clock), state)
