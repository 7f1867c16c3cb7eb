"""The respond capability, assembled: incident cases, evidence and bundles; the victims
register and compensation desk.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from shieldwall.audit.log import MerkleAuditLog
from shieldwall.config import Settings
from shieldwall.contact.scam.reports import ScamReports
from shieldwall.core.clock import Clock
from shieldwall.custody.importer import Importer
from shieldwall.custody.keys import Keyring
from shieldwall.custody.sealing import Sealer
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
from shieldwall.storage.custody_repo import SqlCustodyStore
from shieldwall.storage.respond_cases_repo import SqlCaseStore, SqlCheckpointHistory
from shieldwall.storage.respond_money_repo import SqlMoneyStore
from shieldwall.trace.releases.service import Releases
from shieldwall.wiring.custody import Custody


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


def build_money(
    settings: Settings,
    engine: Engine,
    keyring: Keyring,
    store: SqlCustodyStore,
    sealer: Sealer,
    audit: MerkleAuditLog,
    clock: Clock,
    importer: Importer | None = None,
) -> RespondMoney:
    money = SqlMoneyStore(engine)
    lookups = CustodyLookups(store, sealer.index, keyring.secret(VICTIMS_PURPOSE))
    register = VictimRegister(money, lookups, audit, clock, region=settings.custody.default_region)
    if importer is not None:  # a customer import may be the customer a victim named
        importer.after_customers.append(register.rematch)
    return RespondMoney(register, ClaimsDesk(money, CustomerCheck(lookups.existing), audit, clock))


def build_cases(
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
