"""The composition root: :class:`Services` and :func:`build`, which assembles every capability
from :class:`Settings` for the API and the CLI (one builder module per capability beside it).

Nothing else constructs storage objects; capabilities receive them through their interfaces.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from shieldwall.audit.log import MerkleAuditLog
from shieldwall.audit.telemetry import DecisionCounter
from shieldwall.config import Settings
from shieldwall.contact.scam.reports import ScamReports
from shieldwall.core.clock import Clock, SystemClock
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal
from shieldwall.core.telemetry import NULL_TELEMETRY, Telemetry
from shieldwall.custody.audit_events import access_event
from shieldwall.guard.risk.breach import Combo
from shieldwall.guard.risk.engine import BreachImport, RiskEngine
from shieldwall.observe.metrics import process_metrics
from shieldwall.storage.alerts_repo import SqlAlertStore
from shieldwall.storage.audit_repo import SqlAuditStore
from shieldwall.storage.custody_repo import SqlCustodyStore
from shieldwall.storage.db import make_engine
from shieldwall.storage.migrate import check_current
from shieldwall.trace.attribution.file import FileAttribution
from shieldwall.trace.attribution.victims.service import VictimTracer
from shieldwall.trace.delivery.build import build_dispatcher, build_sinks
from shieldwall.trace.delivery.dispatch import AlertDispatcher, NotifyingAlertStore
from shieldwall.trace.delivery.ports import sink_ids
from shieldwall.trace.releases.service import Releases
from shieldwall.trace.watch.ports import AlertStore
from shieldwall.trace.watch.runner import WatchRunner
from shieldwall.wiring.audit import build_audit_log
from shieldwall.wiring.contact import ContactLedger, build_contact_ledger, build_scam
from shieldwall.wiring.custody import Custody, build_custody, build_keyring
from shieldwall.wiring.guard import (
    RISK_TAG_PURPOSE,
    CustodyCustomerContext,
    GuardPasswords,
    build_passwords,
    personal_check,
    risk_engine,
    scam_contacts,
)
from shieldwall.wiring.respond import RespondCases, RespondMoney, build_cases, build_money
from shieldwall.wiring.state import risk_history
from shieldwall.wiring.trace import build_releases, build_victims, build_watch

log = logging.getLogger(__name__)


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

    def import_breach(
        self, combos: Sequence[Combo], *, actor: Principal, channel: str
    ) -> BreachImport:
        """Import a breach's combo list for login risk, audited: the entry (who, how many
        lines, never a login or password) lands before the tags are stored, so no import
        happens unrecorded."""
        self.audit.append(
            [
                access_event(
                    self.clock.now(),
                    actor,
                    Action.IMPORT,
                    Decision.ALLOW,
                    "breach_import",
                    channel=channel,
                    extra={"lines": str(len(combos))},
                )
            ]
        )
        return self.risk.import_breach(combos)

    @property
    def raising_alerts(self) -> AlertStore:
        """The alerts store for code that raises alerts itself (discover's exposure checks):
        new alerts are stored, then pushed to the configured sinks like the watch's."""
        if self.alert_delivery is None:
            return self.alerts
        return NotifyingAlertStore(self.alerts, self.alert_delivery)

    def close(self) -> None:
        self.watch.stop()
        if self.risk.history is not None:
            try:
                self.risk.history.flush()
            except Exception as exc:  # a display history: closing goes on
                log.warning("login decision history not written at close: %s", type(exc).__name__)
        if self.alert_delivery is not None:
            self.alert_delivery.close(self.settings.trace.alerts.close_timeout_seconds)
        self.passwords.corpora.close()
        self.custody.keyring.provider.close()
        self.engine.dispose()

    _watching: bool = field(default=False, init=False)


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
    keyring = build_keyring(settings, clock, engine)
    audit_store = SqlAuditStore(engine)
    audit = build_audit_log(settings, clock, audit_store, keyring.secret("audit.signing"))
    audit.subscribe(DecisionCounter(telemetry))
    sinks = build_sinks(settings.trace.alerts, clock)
    # Each new alert (and escalation) is written with a pending row per sink, in its own
    # transaction; the dispatcher pushes it, marks it, and re-sends what a crash left pending.
    alerts = SqlAlertStore(
        engine,
        telemetry,
        deliver_to=sink_ids([s.name for s in sinks]),
        lease=timedelta(seconds=settings.trace.alerts.redeliver_after_seconds),
        clock=clock,
    )
    delivery = build_dispatcher(settings.trace.alerts, clock, alerts, sinks)
    # New alerts are stored, then pushed; reads (list, get, close) go to the store itself.
    raised: AlertStore = alerts if delivery is None else NotifyingAlertStore(alerts, delivery)
    store = SqlCustodyStore(engine)
    custody = build_custody(settings, clock, store, keyring, audit, raised)
    sealer = custody.sealer
    corpora, checker = build_passwords(settings)
    passwords = GuardPasswords(
        corpora, checker, CustodyCustomerContext(store, sealer, audit, clock)
    )
    contact_ledger = build_contact_ledger(settings, clock, engine, keyring, store, sealer, audit)
    scam = build_scam(
        settings, clock, engine, keyring, store, sealer, audit, contact_ledger.numbers
    )
    releases, leak_trace = build_releases(settings, clock, engine, keyring, store, custody, audit)
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
        build_watch(settings, engine, audit, raised, clock),
        risk_engine(
            settings,
            clock,
            keyring.secret(RISK_TAG_PURPOSE),
            corpora,
            telemetry=telemetry,
            personal=personal_check(settings, store, sealer, audit, clock),
            history=risk_history(settings, engine),
            scam_contacts=scam_contacts(settings, engine, store, sealer, audit, clock),
        ),
        releases,
        leak_trace,
        build_victims(settings, store, sealer, audit, audit_store, clock),
        delivery,
        build_cases(
            settings, clock, engine, keyring, audit, audit_store, alerts, custody, scam, releases
        ),
        build_money(settings, engine, keyring, store, sealer, audit, clock, custody.importer),
        telemetry=telemetry,
    )
