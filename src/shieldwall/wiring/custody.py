"""The custody capability, assembled: the KEK provider, the keyring and the vault's services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from shieldwall.audit.log import MerkleAuditLog
from shieldwall.config import Settings
from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.blind_index import BlindIndex, Pseudonymizer
from shieldwall.custody.importer import Importer
from shieldwall.custody.keys import KeyProvider, Keyring, LocalKeyFile
from shieldwall.custody.lookup_limit import LookupLimit
from shieldwall.custody.policy import Policy, load_policy
from shieldwall.custody.principals import Principals
from shieldwall.custody.relations import Relations
from shieldwall.custody.relay import RelayNumbers
from shieldwall.custody.rotation import Rotation
from shieldwall.custody.sealing import Sealer
from shieldwall.custody.vault import Vault
from shieldwall.storage.custody_repo import SqlCustodyStore, SqlDataKeyStore
from shieldwall.trace.watch.ports import AlertStore
from shieldwall.wiring.state import lookup_log


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


def key_provider(
    settings: Settings, clock: Clock, *, create: bool = False
) -> tuple[KeyProvider, bool]:
    """The KEK provider ``keys.provider`` names; with ``create``, its first KEK is made if it
    has none. Returns (provider, created). The PKCS#11 and Vault modules, and the optional
    libraries they need, are imported only when chosen."""
    keys = settings.keys
    if keys.provider == "pkcs11":
        from shieldwall.custody.keys_pkcs11 import Pkcs11KeyProvider  # noqa: PLC0415 (optional extra)

        p11 = keys.pkcs11
        token = Pkcs11KeyProvider(p11.module, p11.token_label, p11.resolved_pin())
        return token, token.ensure_key() if create else False
    if keys.provider == "vault":
        from shieldwall.custody.keys_transit import VaultTransitKeyProvider  # noqa: PLC0415 (optional extra)

        vs = keys.vault
        vault = VaultTransitKeyProvider(
            vs.url,
            vs.resolved_token(),
            mount_point=vs.mount_point,
            key_name=vs.key_name,
            namespace=vs.namespace,
            verify=str(vs.ca_file) if vs.ca_file else True,
            timeout=vs.timeout_seconds,
        )
        if create:
            return vault, vault.ensure_key()
        vault.check()  # reachable, token accepted, key present and derived: fail at start-up
        return vault, False
    path = settings.resolved_key_file
    if create and not path.exists():
        return LocalKeyFile.create(path, clock=clock), True
    return LocalKeyFile(path), False


def record_policy(
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
        staged = tx.stage_audit(
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
    audit.log_staged(staged)


def build_keyring(settings: Settings, clock: Clock, engine: Engine) -> Keyring:
    """The keyring over the configured KEK provider, its data keys loaded and an active field
    key version checked."""
    provider, _ = key_provider(settings, clock)
    keyring = Keyring(provider, SqlDataKeyStore(engine), clock)
    keyring.refresh()
    keyring.active_field_version()
    return keyring


def build_custody(
    settings: Settings,
    clock: Clock,
    store: SqlCustodyStore,
    keyring: Keyring,
    audit: MerkleAuditLog,
    raised: AlertStore,
) -> Custody:
    """The vault and its companions over one store; a policy not seen before is audited."""
    cs = settings.custody
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
            store,
            audit,
            clock,
            cache_seconds=settings.api.api_key_cache_seconds,
            check_seconds=settings.api.principals_check_seconds,
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
            raised,
            relay,
            clock,
            region=cs.default_region,
            courier_grace=timedelta(hours=cs.courier_grace_hours),
            lookup_limit=LookupLimit(
                lookup_log(settings),
                clock,
                limit=cs.lookup_limit,
                window_seconds=cs.lookup_window_seconds,
            ),
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
    record_policy(store, audit, policy, clock)
    return custody
