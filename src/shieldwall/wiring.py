"""The composition root: builds every service from :class:`Settings` for the API and the CLI.

Nothing else constructs storage objects; capabilities receive them through their interfaces.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, inspect

from shieldwall.audit.log import CheckpointSigner, MerkleAuditLog
from shieldwall.audit.policy import CheckpointPolicy
from shieldwall.audit.telemetry import DecisionCounter
from shieldwall.audit.witness import CheckpointPublisher, WebhookPublisher, WitnessFile
from shieldwall.config import Settings
from shieldwall.contact.domains.brands import load_brands_file
from shieldwall.contact.domains.scanner import LookalikeScanner
from shieldwall.contact.judges import BookNumberJudge, ScannerJudge
from shieldwall.contact.ledger.codes import CodeBook
from shieldwall.contact.ledger.directory import CustodyDirectory
from shieldwall.contact.ledger.ledger import Ledger, NumberRegistry
from shieldwall.contact.ledger.messages import MessageAuthenticator
from shieldwall.contact.ledger.numbers import NumberBook
from shieldwall.contact.scam.cipher import INDEX_PURPOSE, TEXT_PURPOSE, TextCipher
from shieldwall.contact.scam.indicators import IndicatorExtractor
from shieldwall.contact.scam.reports import ScamReports
from shieldwall.contact.scam.scoring import ScoringModel, ScriptScorer
from shieldwall.contact.scam.sealing import IndicatorSealer
from shieldwall.contact.scam.templates import TemplateSet
from shieldwall.contact.scam.tokens import TOKEN_PURPOSE, Tokenizer
from shieldwall.contact.warnings.dispatch import Dispatcher
from shieldwall.contact.warnings.facts import CustodyOrderFacts
from shieldwall.contact.warnings.planner import WarningPlanner
from shieldwall.contact.warnings.ports import Sender
from shieldwall.contact.warnings.senders import (
    WARNINGS_SENDER,
    Recipients,
    SmtpSender,
    WebhookSender,
)
from shieldwall.core.alerts import Alert
from shieldwall.core.clock import Clock, SystemClock
from shieldwall.core.errors import ConfigError
from shieldwall.core.events import Action, Decision
from shieldwall.core.extras import REDIS_FEATURE, require_extra
from shieldwall.core.model import Principal, Role
from shieldwall.core.telemetry import NULL_TELEMETRY, Telemetry
from shieldwall.custody import normalize
from shieldwall.custody.audit_events import OPERATOR, access_event
from shieldwall.custody.blind_index import BlindIndex, Pseudonymizer
from shieldwall.custody.directory import PhoneDirectory
from shieldwall.custody.errors import AccessDenied, ValidationError
from shieldwall.custody.importer import Importer
from shieldwall.custody.keys import KeyProvider, Keyring, LocalKeyFile
from shieldwall.custody.lookup_limit import LookupLimit
from shieldwall.custody.policy import REASON_MAX, REASON_MIN, Policy, load_policy, reason_ok
from shieldwall.custody.ports import SlidingLog
from shieldwall.custody.principals import Principals
from shieldwall.custody.relations import Relations
from shieldwall.custody.relay import RelayNumbers
from shieldwall.custody.rotation import Rotation
from shieldwall.custody.sealing import Sealer
from shieldwall.custody.vault import Vault
from shieldwall.guard.passwords.context import CustomerContext
from shieldwall.guard.passwords.corpus import PasswordCorpora
from shieldwall.guard.passwords.errors import ContextUnavailable
from shieldwall.guard.passwords.policy import PasswordChecker
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.network import AsnTable
from shieldwall.guard.risk.ports import RiskState
from shieldwall.intake.service import Intake
from shieldwall.intake.watchfeed import AlertTap, PartitionSource
from shieldwall.observe.metrics import process_metrics
from shieldwall.respond.bundle import BundleWriter
from shieldwall.respond.cases import Cases
from shieldwall.respond.claims import ClaimsDesk, CustomerCheck
from shieldwall.respond.evidence import PURPOSE as EVIDENCE_PURPOSE
from shieldwall.respond.evidence import EvidenceCipher, EvidenceLocker
from shieldwall.respond.matching import KEY_PURPOSE as VICTIMS_PURPOSE
from shieldwall.respond.matching import CustodyLookups
from shieldwall.respond.references import ServiceReferences
from shieldwall.respond.register import VictimRegister
from shieldwall.storage.alerts_repo import SqlAlertStore
from shieldwall.storage.audit_repo import SqlAuditStore
from shieldwall.storage.contact_ledger_repo import SqlLedgerStore
from shieldwall.storage.contact_scam_repo import SqlScamStore
from shieldwall.storage.contact_warnings_repo import SqlOutboxStore
from shieldwall.storage.custody_repo import SqlCustodyStore, SqlDataKeyStore
from shieldwall.storage.db import make_engine, translate_errors
from shieldwall.storage.intake_repo import SqlProcessedEvents
from shieldwall.storage.lookup_log_memory import MemorySlidingLog
from shieldwall.storage.migrate import SCAM_SEALER, check_current, upgrade
from shieldwall.storage.respond_cases_repo import SqlCaseStore, SqlCheckpointHistory
from shieldwall.storage.respond_money_repo import SqlMoneyStore
from shieldwall.storage.risk_state_memory import MemoryRiskState
from shieldwall.storage.trace_releases_repo import SqlCustomerIndex, SqlReleaseStore
from shieldwall.storage.trace_watch_repo import SqlCursorStore
from shieldwall.storage.watch_state_memory import MemoryWatchState
from shieldwall.trace.attribution.exposure import AuditExposure
from shieldwall.trace.attribution.file import FileAttribution
from shieldwall.trace.attribution.victims.service import VICTIM_DESK, VictimTracer
from shieldwall.trace.delivery.build import build_dispatcher
from shieldwall.trace.delivery.dispatch import AlertDispatcher, NotifyingAlertStore
from shieldwall.trace.releases.service import SECRET_PURPOSE as RELEASES_PURPOSE
from shieldwall.trace.releases.service import Releases
from shieldwall.trace.watch.engine import Watch
from shieldwall.trace.watch.ports import AlertStore, WatchState
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


class CustodyCustomerContext:
    """Guard's password check reading a customer's details from custody, audited.

    The details are decrypted in the server only to derive context words; they are never
    returned. A check against a customer tells, one guess at a time, whether a password holds
    their birthday or ID digits, so over the API (``need_basis``) the read needs a basis: the
    customer's own session (a ``service`` principal acting for ``subject`` = the customer,
    purpose ``account_self``) or a stated ``reason`` of ``REASON_MIN``-``REASON_MAX``
    characters (purpose ``investigation``). Each use, and each refusal, appends an access
    event to the audit log (the reason's length, never its text).
    """

    FIELDS = ("name", "phone", "email", "national_id")

    def __init__(
        self, store: SqlCustodyStore, sealer: Sealer, audit: MerkleAuditLog, clock: Clock
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.audit = audit
        self.clock = clock

    def context_for(
        self,
        customer_id: str,
        actor: Principal,
        channel: str,
        *,
        subject: str | None = None,
        reason: str | None = None,
        need_basis: bool = False,
    ) -> CustomerContext:
        own = (
            actor.role is Role.SERVICE
            and subject is not None
            and hmac.compare_digest(subject.encode(), customer_id.encode())
        )
        purpose = "account_self" if own or not need_basis else "investigation"
        extra = {"reason_given": "yes" if reason else "no", "reason_length": str(len(reason or ""))}
        if need_basis and not own and not reason_ok(reason):
            self._append(
                actor, Decision.DENY, "reason_required", channel, purpose, customer_id, extra
            )
            denied = AccessDenied(
                f"checking against a customer's details needs the customer's own session"
                f" (subject) or a reason of {REASON_MIN}-{REASON_MAX} characters",
                ["reason_required"],
            )
            denied.field = "reason"
            raise denied
        with self.store.read() as tx:
            sealed = tx.get_customer(customer_id)
        if sealed is None:
            raise ContextUnavailable(
                f"no customer {customer_id}", field="customer_id", code="not_found"
            )
        plain = self.sealer.open_customer(sealed, self.FIELDS)
        self._append(
            actor, Decision.ALLOW, "password_check_context", channel, purpose, customer_id, extra
        )
        return CustomerContext(
            name=plain["name"],
            phone=plain["phone"],
            email=plain["email"],
            national_id=plain["national_id"],
        )

    def _append(
        self,
        actor: Principal,
        decision: Decision,
        reason: str,
        channel: str,
        purpose: str,
        customer_id: str,
        extra: dict[str, str],
    ) -> None:
        self.audit.append(
            [
                access_event(
                    self.clock.now(),
                    actor,
                    Action.READ,
                    decision,
                    reason,
                    channel=channel,
                    purpose=purpose,
                    customer_ids=[customer_id],
                    fields=dict.fromkeys(self.FIELDS, "derived"),
                    extra=extra,
                )
            ]
        )


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


@dataclass
class GuardPasswords:
    """Guard's breached-password corpora and password check, assembled."""

    corpora: PasswordCorpora
    checker: PasswordChecker
    customers: CustodyCustomerContext


def build_passwords(settings: Settings) -> tuple[PasswordCorpora, PasswordChecker]:
    """The corpora under ``$SHIELDWALL_HOME/passwords`` and a checker using the SHA-1 one
    (no database needed: the CLI's corpus commands use this alone)."""
    ps = settings.guard.passwords
    corpora = PasswordCorpora(settings.resolved_password_dir, verify=ps.verify_shards)
    return corpora, PasswordChecker(ps, corpora.sha1, store_name=settings.store_name)


@dataclass
class ContactLedger:
    """The contact ledger and warnings, assembled (contact/ledger, contact/warnings)."""

    settings: Settings
    clock: Clock
    keyring: Keyring
    numbers: NumberRegistry
    ledger: Ledger
    messages: MessageAuthenticator
    planner: WarningPlanner
    outbox: SqlOutboxStore
    recipients: Recipients

    def webhook_secret(self) -> bytes:
        return self.keyring.secret("contact.webhook")

    def senders(self) -> dict[str, Sender]:
        """The senders the settings configure: webhook for SMS, SMTP for e-mail."""
        ws = self.settings.contact.warnings
        out: dict[str, Sender] = {}
        if ws.webhook_url:
            out["sms"] = WebhookSender(
                ws.webhook_url,
                self.webhook_secret(),
                self.recipients,
                self.clock,
                timeout=ws.webhook_timeout_seconds,
            )
        if ws.smtp_host:
            password = None
            if ws.smtp_password_file is not None:
                try:
                    password = ws.smtp_password_file.read_text(encoding="utf-8").strip()
                except (OSError, UnicodeDecodeError):
                    raise ConfigError(
                        f"cannot read {ws.smtp_password_file}",
                        field="contact.warnings.smtp_password_file",
                    ) from None
            out["email"] = SmtpSender(
                ws.smtp_host,
                ws.smtp_port,
                ws.smtp_from,
                self.recipients,
                starttls=ws.smtp_starttls,
                implicit_tls=ws.smtp_implicit_tls,
                username=ws.smtp_username,
                password=password,
                allow_insecure_auth=ws.smtp_allow_insecure_auth,
                timeout=ws.smtp_timeout_seconds,
            )
        return out

    def dispatcher(self, senders: dict[str, Sender] | None = None) -> Dispatcher:
        return Dispatcher(
            self.outbox,
            self.senders() if senders is None else senders,
            self.messages,
            self.clock,
            self.settings.contact.warnings,
            self.settings.store_name,
        )


@dataclass
class RespondCases:
    """Incident cases, their evidence and bundles, assembled (respond)."""

    cases: Cases
    evidence: EvidenceLocker
    bundles: BundleWriter


@dataclass
class RespondMoney:
    """Respond's victims register and compensation desk, assembled."""

    register: VictimRegister
    claims: ClaimsDesk


def _money(
    settings: Settings,
    engine: Engine,
    keyring: Keyring,
    store: SqlCustodyStore,
    sealer: Sealer,
    audit: MerkleAuditLog,
    clock: Clock,
) -> RespondMoney:
    money = SqlMoneyStore(engine)
    lookups = CustodyLookups(store, sealer.index, keyring.secret(VICTIMS_PURPOSE))
    return RespondMoney(
        VictimRegister(money, lookups, audit, clock, region=settings.custody.default_region),
        ClaimsDesk(money, CustomerCheck(lookups.existing), audit, clock),
    )


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: Engine
    audit: MerkleAuditLog
    audit_store: SqlAuditStore
    alerts: SqlAlertStore
    custody: Custody
    passwords: GuardPasswords
    contact_ledger: ContactLedger
    scam: ScamReports
    watch: WatchRunner
    risk: RiskEngine
    releases: Releases
    leak_trace: FileAttribution
    victims: VictimTracer
    alert_delivery: AlertDispatcher | None  # None: no sink configured (trace.alerts.sinks)
    cases: RespondCases
    money: RespondMoney
    telemetry: Telemetry = NULL_TELEMETRY

    def start_watch(self) -> bool:
        """Run the insider watch in this process on every append, if the settings enable it.

        The audit log's listener only buffers records; a worker thread runs the detectors, so a
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
        if self.alert_delivery is not None:
            self.alert_delivery.close(self.settings.trace.alerts.close_timeout_seconds)
        self.passwords.corpora.close()
        self.custody.keyring.provider.close()
        self.engine.dispose()

    _watching: bool = field(default=False, init=False)


@dataclass(frozen=True)
class InitReport:
    home: str
    database_url: str
    key_file: str
    created_key_file: bool
    field_key_version: int
    key_provider: str = "file"


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def initialize(settings: Settings, clock: Clock | None = None) -> InitReport:
    """Create the home directory and key file if missing, migrate the schema, create keys.

    Idempotent: running it again on an initialized home changes nothing.
    """
    clock = clock or SystemClock()
    settings.home.mkdir(parents=True, exist_ok=True)
    provider, created = key_provider(settings, clock, create=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine, _migration_sealers(settings, engine, provider, clock))
        keyring = Keyring(provider, SqlDataKeyStore(engine), clock)
        version = keyring.bootstrap()
        for purpose in (
            "bidx.phone",
            "bidx.email",
            "bidx.national_id",
            "pseudonym",
            "audit.signing",
            "contact.codes",
            "contact.messages",
            "contact.webhook",
            TOKEN_PURPOSE,
            TEXT_PURPOSE,
            INDEX_PURPOSE,
            RISK_TAG_PURPOSE,
            RELEASES_PURPOSE,
            "api.ratelimit",  # shieldwall.api.ratelimit.TAG_PURPOSE (api sits above wiring)
            VICTIMS_PURPOSE,
        ):
            keyring.secret(purpose)
        return InitReport(
            str(settings.home),
            _safe_url(engine),
            str(settings.resolved_key_file) if provider.kind == "file" else provider.describe(),
            created,
            version,
            provider.kind,
        )
    finally:
        provider.close()
        engine.dispose()


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


def _migration_sealers(
    settings: Settings, engine: Engine, provider: KeyProvider, clock: Clock
) -> dict[str, object]:
    """What data migrations need to seal values already stored in clear (cs0002: scam
    indicators and senders). Only an existing database can hold such values; its keys are read
    (and missing secrets created) here, before the migration's transaction takes the lock."""
    with translate_errors():
        tables = set(inspect(engine).get_table_names())
    if not {"scam_reports", "data_keys"} <= tables:
        return {}
    keyring = Keyring(provider, SqlDataKeyStore(engine), clock)
    return {SCAM_SEALER: IndicatorSealer(TextCipher(keyring, settings.tenant))}


def _audit_log(
    settings: Settings, clock: Clock, store: SqlAuditStore, seed: bytes
) -> MerkleAuditLog:
    """The audit log, publishing its checkpoints to the witness file; events a crash left in
    the outbox are logged before anything else runs."""
    publishers: list[CheckpointPublisher] = [witness_file(settings)]
    if settings.audit.webhook_url:
        publishers.append(WebhookPublisher(settings.audit.webhook_url))
    audit = MerkleAuditLog(
        store,
        CheckpointSigner(seed, settings.audit.origin),
        clock,
        policy=CheckpointPolicy(settings.audit.checkpoint_every, settings.audit.checkpoint_seconds),
        publishers=publishers,
        linger=settings.audit.commit_linger_ms / 1000,
    )
    audit.flush_outbox()
    return audit


def witness_file(settings: Settings) -> WitnessFile:
    return WitnessFile(settings.resolved_witness_file, fsync=settings.audit.witness_fsync)


def build(
    settings: Settings,
    clock: Clock | None = None,
    *,
    engine: Engine | None = None,
    telemetry: Telemetry | None = None,
) -> Services:
    """Assemble every service over an initialized database; capabilities report decisions and
    alerts to ``telemetry`` (default: this process's Prometheus metrics)."""
    clock = clock or SystemClock()
    if telemetry is None:
        telemetry = process_metrics()
    engine = engine or make_engine(settings.resolved_database_url)
    check_current(engine)
    cs = settings.custody
    provider, _ = key_provider(settings, clock)
    keyring = Keyring(provider, SqlDataKeyStore(engine), clock)
    keyring.refresh()
    keyring.active_field_version()
    audit_store = SqlAuditStore(engine)
    audit = _audit_log(settings, clock, audit_store, keyring.secret("audit.signing"))
    audit.subscribe(DecisionCounter(telemetry))
    alerts = SqlAlertStore(engine, telemetry)
    delivery = build_dispatcher(settings.trace.alerts, clock)
    # New alerts are stored, then pushed; reads (list, get, close) go to the store itself.
    raised: AlertStore = alerts if delivery is None else NotifyingAlertStore(alerts, delivery)
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
    _record_policy(store, audit, policy, clock)
    corpora, checker = build_passwords(settings)
    passwords = GuardPasswords(
        corpora, checker, CustodyCustomerContext(store, sealer, audit, clock)
    )
    contact_ledger = _contact_ledger(settings, clock, engine, keyring, store, sealer, audit)
    scam = ScamReports(
        SqlScamStore(engine, max_band_candidates=settings.contact.scam.max_band_candidates),
        IndicatorExtractor(Tokenizer.from_secrets(keyring), region=settings.contact.scam.region),
        scam_scorer(settings),
        TextCipher(keyring, settings.tenant),
        clock,
        settings.contact.scam,
        domains=ScannerJudge(lambda: domain_scanner(settings)),
        numbers=BookNumberJudge(contact_ledger.numbers.book),
        customers=PhoneDirectory(store, sealer.index, audit, clock, region=cs.default_region),
    )
    releases, leak_trace = _releases(settings, clock, engine, keyring, store, custody, audit)
    return Services(
        settings,
        clock,
        engine,
        audit,
        audit_store,
        alerts,
        custody,
        passwords,
        contact_ledger,
        scam,
        _watch(settings, engine, audit, raised, clock),
        risk_engine(
            settings, clock, keyring.secret(RISK_TAG_PURPOSE), corpora, telemetry=telemetry
        ),
        releases,
        leak_trace,
        _victims(settings, store, sealer, audit, audit_store, clock),
        delivery,
        _cases(
            settings, clock, engine, keyring, audit, audit_store, alerts, custody, scam, releases
        ),
        _money(settings, engine, keyring, store, sealer, audit, clock),
        telemetry=telemetry,
    )


def _victims(
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


def _cases(
    settings: Settings,
    clock: Clock,
    engine: Engine,
    keyring: Keyring,
    audit: MerkleAuditLog,
    audit_store: SqlAuditStore,
    alerts: SqlAlertStore,
    custody: Custody,
    scam: ScamReports,
    releases: Releases,
) -> RespondCases:
    store = SqlCaseStore(engine)
    references = ServiceReferences(
        alerts=alerts,
        campaign=scam.campaign,
        release=releases.get,
        log=audit,
        principals=custody.principals,
        customers=SqlCustodyStore(engine),
    )
    cases = Cases(store, references, custody.principals, audit, clock)
    locker = EvidenceLocker(
        store,
        EvidenceCipher(keyring.secret(EVIDENCE_PURPOSE), settings.tenant),
        audit,
        clock,
        max_bytes=settings.respond.cases.max_evidence_bytes,
    )
    bundles = BundleWriter(
        cases,
        locker,
        audit,
        SqlCheckpointHistory(audit_store),
        audit.signer.verifier.key,
        clock,
    )
    return RespondCases(cases, locker, bundles)


RISK_TAG_PURPOSE = "guard.risk.tags"


def asn_table_path(settings: Settings) -> Path:
    """Where ``shieldwall logins asn-import`` puts the table (used when present)."""
    return settings.home / "risk" / "asn.csv"


def asn_table(settings: Settings) -> AsnTable:
    """The configured table, else an imported one under the home, else the packaged sample."""
    path = settings.guard.risk.asn_file
    if path is None and asn_table_path(settings).exists():
        path = asn_table_path(settings)
    return AsnTable.load(path)


def risk_state(settings: Settings) -> RiskState:
    """In process by default; Redis (shared by every worker) when ``state_backend`` says so."""
    rs = settings.guard.risk
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.risk_state_redis import RedisRiskState  # noqa: PLC0415 - extra

        return RedisRiskState.from_url(settings.redis_url, tenant=settings.tenant, settings=rs)
    return MemoryRiskState.from_settings(rs)


def risk_engine(
    settings: Settings,
    clock: Clock,
    key: bytes,
    corpora: PasswordCorpora | None,
    state: RiskState | None = None,
    telemetry: Telemetry = NULL_TELEMETRY,
) -> RiskEngine:
    """The login risk engine; ``corpora`` (when given) answers "is this password breached"."""
    breached = None
    if corpora is not None:
        sha1 = corpora.sha1
        threshold = settings.guard.passwords.breached_threshold

        def breached(digest: bytes) -> bool:
            return sha1.count_digest(digest) >= threshold

    return RiskEngine(
        settings.guard.risk,
        state if state is not None else risk_state(settings),
        key,
        clock,
        asn=asn_table(settings),
        breached=breached,
        telemetry=telemetry,
    )


def _releases(
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


def lookup_log(settings: Settings) -> SlidingLog:
    """Each worker counts its own lookups by default; Redis makes the limit one for all."""
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.lookup_log_redis import RedisSlidingLog  # noqa: PLC0415 - extra

        return RedisSlidingLog.from_url(settings.redis_url, tenant=settings.tenant, name="lookups")
    return MemorySlidingLog()


def watch_state(settings: Settings, *, partition: str | None = None) -> WatchState:
    """In process by default; Redis when the service runs several workers (keys under the
    partition's name when the watch is partitioned)."""
    if settings.state_backend == "redis":
        require_extra("redis", extra="redis", feature=REDIS_FEATURE)
        from shieldwall.storage.watch_state_redis import RedisWatchState  # noqa: PLC0415 - extra

        tenant = settings.tenant if partition is None else f"{settings.tenant}:{partition}"
        return RedisWatchState.from_url(settings.redis_url, tenant=tenant)
    return MemoryWatchState()


def _watch(
    settings: Settings, engine: Engine, audit: MerkleAuditLog, alerts: AlertStore, clock: Clock
) -> WatchRunner:
    state = watch_state(settings)
    watch = Watch(settings.trace.watch, state, alerts, clock=clock)
    return WatchRunner(watch, audit, SqlCursorStore(engine, clock), state)


def _contact_ledger(
    settings: Settings,
    clock: Clock,
    engine: Engine,
    keyring: Keyring,
    store: SqlCustodyStore,
    sealer: Sealer,
    audit: MerkleAuditLog,
) -> ContactLedger:
    ls = settings.contact.ledger
    ledger_store = SqlLedgerStore(engine)
    book = NumberBook(
        ledger_store,
        region=settings.custody.default_region,
        cache_seconds=ls.numbers_cache_seconds,
        max_wildcards=ls.max_range_wildcards,
    )
    messages = MessageAuthenticator(
        keyring.secret("contact.messages"),
        clock,
        window=timedelta(hours=ls.tag_window_hours),
        valid_windows=ls.tag_valid_windows,
    )
    outbox = SqlOutboxStore(engine)
    return ContactLedger(
        settings=settings,
        clock=clock,
        keyring=keyring,
        numbers=NumberRegistry(ledger_store, book, clock),
        ledger=Ledger(
            ledger_store,
            book,
            CustodyDirectory(store),
            CodeBook(keyring.secret("contact.codes"), ls.code_digits),
            clock,
            ls,
            audit,
        ),
        messages=messages,
        planner=WarningPlanner(CustodyOrderFacts(store), outbox, clock, settings.contact.warnings),
        outbox=outbox,
        recipients=Recipients(store, sealer, audit, clock),
    )


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


def scam_scorer(settings: Settings) -> ScriptScorer:
    """The scam-script scorer alone (no database or keys needed)."""
    ss = settings.contact.scam
    return ScriptScorer(
        ScoringModel.load(ss.model_file),
        TemplateSet.load(ss.templates_file),
        max_chars=ss.max_text_chars,
    )


def domain_scanner(settings: Settings) -> LookalikeScanner | None:
    """The lookalike scanner for the configured brands file, or None when none is configured."""
    path = settings.contact.domains.brands_file
    if path is None:
        return None
    book = load_brands_file(path)
    return LookalikeScanner(book, settings.contact.domains) if book.brands else None


def build_intake(svc: Services) -> Intake:
    """The event intake over assembled services (the worker and the batch HTTP routes)."""
    return Intake(
        svc.risk,
        svc.audit,
        svc.custody.principals.get,
        svc.scam,
        SqlProcessedEvents(svc.engine),
        svc.clock,
    )


def partition_watch(
    svc: Services, partition: int, partitions: int, on_raise: Callable[[Alert], None]
) -> WatchRunner:
    """Insider-watch partition ``partition`` of ``partitions``: its own state (Redis keys under
    the partition's name when ``state_backend`` is ``redis``), cursor and lease, reading the
    audit log through the partition's filter when it warms up."""
    settings = svc.settings
    name = f"p{partition}of{partitions}"
    state = watch_state(settings, partition=name)
    alerts = AlertTap(svc.alerts, on_raise)
    watch = Watch(settings.trace.watch, state, alerts, clock=svc.clock)
    return WatchRunner(
        watch,
        PartitionSource(svc.audit, partition, partitions),
        SqlCursorStore(svc.engine, svc.clock),
        state,
        name=f"insider-watch.{name}",
    )
