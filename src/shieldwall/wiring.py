"""The composition root: builds every service from :class:`Settings` for the API and the CLI.

Nothing else constructs storage objects; capabilities receive them through their interfaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from shieldwall.audit.log import CheckpointSigner, MerkleAuditLog
from shieldwall.config import Settings
from shieldwall.core.clock import Clock, SystemClock
from shieldwall.core.events import Action, Decision
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.blind_index import BlindIndex, Pseudonymizer
from shieldwall.custody.importer import Importer
from shieldwall.custody.keys import Keyring, LocalKeyFile
from shieldwall.custody.policy import Policy, load_policy
from shieldwall.custody.principals import Principals
from shieldwall.custody.relations import Relations
from shieldwall.custody.relay import RelayNumbers
from shieldwall.custody.rotation import Rotation
from shieldwall.custody.sealing import Sealer
from shieldwall.custody.vault import Vault
from shieldwall.storage.alerts_repo import SqlAlertStore
from shieldwall.storage.audit_repo import SqlAuditStore
from shieldwall.storage.custody_repo import SqlCustodyStore, SqlDataKeyStore
from shieldwall.storage.db import make_engine
from shieldwall.storage.migrate import check_current, upgrade
from shieldwall.storage.watch_repo import SqlCursorStore
from shieldwall.storage.watch_state_memory import MemoryWatchState
from shieldwall.storage.watch_state_redis import RedisWatchState
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.ports import WatchState
from shieldwall.trace.watch.runner import WatchRunner


@dataclass
class Custody:
    """The custody capability, assembled."""

    keyring: Keyring
    sealer: Sealer
    policy: Policy
    principals: Principals
    importer: Importer
    vault: Vault
    relations: Relations
    relay: RelayNumbers
    rotation: Rotation


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: Engine
    audit: MerkleAuditLog
    audit_store: SqlAuditStore
    alerts: SqlAlertStore
    custody: Custody
    watch: WatchRunner

    def start_watch(self) -> bool:
        """Run the insider watch in this process on every append, if the settings enable it.

        The audit log's listener only queues records; a worker thread runs the detectors, so a
        request never waits for them.
        """
        if not self.settings.trace.watch.enabled:
            return False
        if not self._watching:
            self.audit.subscribe(self.watch.on_append)
            self._watching = True
        self.watch.start()
        return True

    def close(self) -> None:
        self.watch.stop()
        self.engine.dispose()

    _watching: bool = field(default=False, init=False)


@dataclass(frozen=True)
class InitReport:
    home: str
    database_url: str
    key_file: str
    created_key_file: bool
    field_key_version: int


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def initialize(settings: Settings, clock: Clock | None = None) -> InitReport:
    """Create the home directory and key file if missing, migrate the schema, create keys.

    Idempotent: running it again on an initialized home changes nothing.
    """
    clock = clock or SystemClock()
    settings.home.mkdir(parents=True, exist_ok=True)
    key_path = settings.resolved_key_file
    created = not key_path.exists()
    provider = LocalKeyFile.create(key_path, clock=clock) if created else LocalKeyFile(key_path)
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)
        keyring = Keyring(provider, SqlDataKeyStore(engine), clock)
        version = keyring.bootstrap()
        for purpose in (
            "bidx.phone",
            "bidx.email",
            "bidx.national_id",
            "pseudonym",
            "audit.signing",
        ):
            keyring.secret(purpose)
        return InitReport(str(settings.home), _safe_url(engine), str(key_path), created, version)
    finally:
        engine.dispose()


def build(
    settings: Settings, clock: Clock | None = None, *, engine: Engine | None = None
) -> Services:
    """Assemble every service over an initialized database."""
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.resolved_database_url)
    check_current(engine)
    cs = settings.custody
    provider = LocalKeyFile(settings.resolved_key_file)
    keyring = Keyring(provider, SqlDataKeyStore(engine), clock)
    keyring.refresh()
    keyring.active_field_version()
    audit_store = SqlAuditStore(engine)
    audit = MerkleAuditLog(
        audit_store,
        CheckpointSigner(keyring.secret("audit.signing")),
        clock,
        checkpoint_every=settings.audit.checkpoint_every,
    )
    alerts = SqlAlertStore(engine)
    store = SqlCustodyStore(engine)
    sealer = Sealer(keyring, BlindIndex(keyring), settings.tenant)
    policy = load_policy(settings.policy_file)
    relay = RelayNumbers(
        store,
        sealer,
        audit,
        clock,
        prefix=cs.relay_prefix,
        digits=cs.relay_digits,
        grace=timedelta(hours=cs.relay_grace_hours),
    )
    custody = Custody(
        keyring=keyring,
        sealer=sealer,
        policy=policy,
        principals=Principals(
            store, audit, clock, cache_seconds=settings.api.api_key_cache_seconds
        ),
        importer=Importer(
            store,
            sealer,
            audit,
            clock,
            region=cs.default_region,
            strict_region=cs.strict_national_id_region,
        ),
        vault=Vault(
            store,
            sealer,
            Pseudonymizer(keyring),
            policy,
            audit,
            alerts,
            relay,
            clock,
            region=cs.default_region,
            courier_grace=timedelta(hours=cs.courier_grace_hours),
        ),
        relations=Relations(
            store,
            audit,
            clock,
            ticket_ttl=timedelta(hours=cs.ticket_ttl_hours),
            relay_grace=timedelta(hours=cs.relay_grace_hours),
        ),
        relay=relay,
        rotation=Rotation(keyring, store, sealer, audit, clock),
    )
    _record_policy(store, audit, policy, clock)
    return Services(
        settings,
        clock,
        engine,
        audit,
        audit_store,
        alerts,
        custody,
        _watch(settings, engine, audit, alerts, clock),
    )


def watch_state(settings: Settings) -> WatchState:
    """In process by default; Redis when the service runs several workers."""
    if settings.state_backend == "redis":
        return RedisWatchState.from_url(settings.redis_url, tenant=settings.tenant)
    return MemoryWatchState()


def _watch(
    settings: Settings, engine: Engine, audit: MerkleAuditLog, alerts: SqlAlertStore, clock: Clock
) -> WatchRunner:
    state = watch_state(settings)
    watch = Watch(settings.trace.watch, state, alerts)
    return WatchRunner(watch, audit, SqlCursorStore(engine, clock), state)


def _record_policy(
    store: SqlCustodyStore, audit: MerkleAuditLog, policy: Policy, clock: Clock
) -> None:
    """Audit a policy the service has not run with before (a policy change)."""
    with store.read() as tx:
        if tx.policy_known(policy.digest):
            return
    now = clock.now()
    with store.write() as tx:
        if tx.policy_known(policy.digest):
            return
        tx.record_policy(policy.digest, policy.source, now)
    audit.append(
        [
            access_event(
                now,
                OPERATOR,
                Action.POLICY_CHANGE,
                Decision.ALLOW,
                "policy_loaded",
                channel="system",
                extra={
                    "digest": policy.digest,
                    "source": policy.source,
                    "rules": str(len(policy.rules)),
                },
            )
        ]
    )
