"""The respond capability, assembled: incident cases, evidence, bundles and breach notices;
the victims register and compensation desk.
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
from shieldwall.respond.notices.content import StoreContact
from shieldwall.respond.notices.service import NoticeConfig, Notices
from shieldwall.respond.notices.sources import CustodyNames, ServiceExposures
from shieldwall.respond.references import ServiceReferences
from shieldwall.respond.register import VictimRegister
from shieldwall.storage.alerts_repo import SqlAlertStore
from shieldwall.storage.audit_repo import SqlAuditStore
from shieldwall.storage.custody_repo import SqlCustodyStore
from shieldwall.storage.respond_cases_repo import SqlCaseStore, SqlCheckpointHistory
from shieldwall.storage.respond_money_repo import SqlMoneyStore
from shieldwall.storage.respond_notices_repo import SqlNoticeStore
from shieldwall.trace.releases.service import Releases
from shieldwall.wiring.custody import Custody


@dataclass
class RespondCases:
    """Incident cases, their evidence, bundles and breach notices, assembled (respond)."""

    cases: Cases
    evidence: EvidenceLocker
    bundles: BundleWriter
    notices: Notices


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
    return RespondCases(
        cases,
        locker,
        bundles,
        build_notices(settings, clock, engine, cases, audit, alerts, custody, releases),
    )


def build_notices(
    settings: Settings,
    clock: Clock,
    engine: Engine,
    cases: Cases,
    audit: MerkleAuditLog,
    alerts: SqlAlertStore,
    custody: Custody,
    releases: Releases,
) -> Notices:
    n = settings.respond.notices
    store = StoreContact(
        name=settings.store_name,
        email=n.contact_email,
        phone=n.contact_phone,
        dpo=n.dpo,
        authority_zh=n.pipl_authority_zh,
        authority_en=n.pipl_authority_en,
        gdpr_authority=n.gdpr_authority,
    )
    return Notices(
        cases,
        SqlNoticeStore(engine),
        ServiceExposures(release=releases.get, alert=alerts.get, entry=audit.entry),
        CustodyNames(SqlCustodyStore(engine), custody.sealer, audit, clock),
        audit,
        clock,
        NoticeConfig(store, n.pipl_target_hours),
    )
