"""The guard capability, assembled: breached-password corpora and check, and login risk."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from shieldwall.audit.log import MerkleAuditLog
from shieldwall.config import Settings
from shieldwall.core.clock import Clock
from shieldwall.core.events import Action, Decision
from shieldwall.core.model import Principal, Role
from shieldwall.core.telemetry import NULL_TELEMETRY, Telemetry
from shieldwall.custody.audit_events import access_event
from shieldwall.custody.directory import PhoneDirectory
from shieldwall.custody.errors import AccessDenied
from shieldwall.custody.policy import REASON_MAX, REASON_MIN, reason_ok
from shieldwall.custody.sealing import Sealer
from shieldwall.guard.passwords.context import CustomerContext
from shieldwall.guard.passwords.corpus import PasswordCorpora
from shieldwall.guard.passwords.errors import ContextUnavailable
from shieldwall.guard.passwords.policy import PasswordChecker
from shieldwall.guard.risk.engine import RiskEngine
from shieldwall.guard.risk.history import DecisionHistory
from shieldwall.guard.risk.location import GeoIP2FastLocator, NetworkLocator, NoLocation
from shieldwall.guard.risk.network import AsnTable
from shieldwall.guard.risk.personal import facts_from_context, is_personal
from shieldwall.guard.risk.ports import RiskState, ScamContacts
from shieldwall.storage.contact_scam_repo import last_scam_contact
from shieldwall.storage.custody_repo import SqlCustodyStore
from shieldwall.wiring.state import risk_state


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


def network_locator(settings: Settings) -> NetworkLocator:
    """Country and AS name of each address: the shipped GeoLite2-derived database of the
    ``geoip2fast`` package when ``guard.risk.network_locator`` says so, else none."""
    if settings.guard.risk.network_locator == "geoip2fast":
        return GeoIP2FastLocator()
    return NoLocation()


# The login risk engine reads customers as this system component (the personal-password check).
RISK_DESK = Principal("guard.risk", Role.SERVICE, "guard", "login risk")


class CustodyPersonalCheck:
    """The engine's ``personal`` callable: is the password tried built from the customer's own
    birth date, phone or name? The login account is taken as the customer's phone and resolved
    through the blind index (audited lookup); the details are decrypted in the server only to
    derive the candidates (audited read, view ``derived``), compared by SHA-1 and dropped. An
    account that is not one customer's phone is never personal."""

    def __init__(self, phones: PhoneDirectory, customers: CustodyCustomerContext) -> None:
        self.phones = phones
        self.customers = customers

    def __call__(self, account: str, password_sha1: bytes) -> bool:
        ids = self.phones.by_phone(account)
        if len(ids) != 1:
            return False
        try:
            context = self.customers.context_for(ids[0], RISK_DESK, "system")
        except ContextUnavailable:
            return False
        return is_personal(password_sha1, facts_from_context(context))


def _risk_desk_phones(
    settings: Settings, store: SqlCustodyStore, sealer: Sealer, audit: MerkleAuditLog, clock: Clock
) -> PhoneDirectory:
    """Customers by phone through the blind index, each lookup audited as the risk desk."""
    return PhoneDirectory(
        store,
        sealer.index,
        audit,
        clock,
        region=settings.custody.default_region,
        actor=RISK_DESK,
        reason="login_risk",
    )


def personal_check(
    settings: Settings, store: SqlCustodyStore, sealer: Sealer, audit: MerkleAuditLog, clock: Clock
) -> CustodyPersonalCheck | None:
    """The personal-password check when ``guard.risk.personal_passwords`` is on."""
    if not settings.guard.risk.personal_passwords:
        return None
    phones = _risk_desk_phones(settings, store, sealer, audit, clock)
    return CustodyPersonalCheck(phones, CustodyCustomerContext(store, sealer, audit, clock))


class CustodyScamContacts:
    """``ScamContacts`` over custody and the scam reports: the login account, read as a phone,
    is looked up in custody's blind index (audited as the risk desk, like the personal check;
    an account that is not a phone is not looked up), then the latest report that reached
    one of those customers is read."""

    def __init__(self, phones: PhoneDirectory, engine: Engine) -> None:
        self.phones = phones
        self.engine = engine

    def last_scam_contact(self, account: str) -> float | None:
        customers = self.phones.by_phone(account)
        at = last_scam_contact(self.engine, customers)
        return None if at is None else at.timestamp()


def scam_contacts(
    settings: Settings,
    engine: Engine,
    store: SqlCustodyStore,
    sealer: Sealer,
    audit: MerkleAuditLog,
    clock: Clock,
) -> CustodyScamContacts | None:
    """The scam-contact lookup when ``guard.risk.scam_contact_points`` is above 0."""
    if settings.guard.risk.scam_contact_points <= 0:
        return None
    phones = _risk_desk_phones(settings, store, sealer, audit, clock)
    return CustodyScamContacts(phones, engine)


def risk_engine(
    settings: Settings,
    clock: Clock,
    key: bytes,
    corpora: PasswordCorpora | None,
    state: RiskState | None = None,
    telemetry: Telemetry = NULL_TELEMETRY,
    personal: Callable[[str, bytes], bool] | None = None,
    history: DecisionHistory | None = None,
    scam_contacts: ScamContacts | None = None,
) -> RiskEngine:
    """The login risk engine; ``corpora`` (when given) answers "is this password breached",
    ``personal`` (when given) "is it built from the customer's own data", ``scam_contacts``
    (when given) "when was this account's holder last contacted by a reported scam" (none by
    default: no adapter over the contact capability's reports is wired yet)."""
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
        personal=personal,
        locator=network_locator(settings),
        scam_contacts=scam_contacts,
        telemetry=telemetry,
        history=history,
    )
