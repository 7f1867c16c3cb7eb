"""The contact capability, assembled: the contact ledger and warnings, scam reports, the
script scorer and the lookalike-domain scanner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from shieldwall.audit.log import MerkleAuditLog
from shieldwall.config import Settings
from shieldwall.contact.domains.brands import load_brands_file
from shieldwall.contact.domains.scanner import LookalikeScanner
from shieldwall.contact.judges import BookNumberJudge, ScannerJudge
from shieldwall.contact.ledger.codes import CodeBook
from shieldwall.contact.ledger.directory import CustodyDirectory
from shieldwall.contact.ledger.ledger import Ledger, NumberRegistry
from shieldwall.contact.ledger.messages import MessageAuthenticator
from shieldwall.contact.ledger.numbers import NumberBook
from shieldwall.contact.scam.cipher import TextCipher
from shieldwall.contact.scam.indicators import IndicatorExtractor
from shieldwall.contact.scam.ports import DomainJudge, NumberJudge
from shieldwall.contact.scam.reports import ScamReports
from shieldwall.contact.scam.scoring import ScoringModel, ScriptScorer
from shieldwall.contact.scam.templates import TemplateSet
from shieldwall.contact.scam.tokens import Tokenizer
from shieldwall.contact.warnings.dispatch import Dispatcher
from shieldwall.contact.warnings.facts import CustodyOrderFacts
from shieldwall.contact.warnings.planner import WarningPlanner
from shieldwall.contact.warnings.ports import Sender
from shieldwall.contact.warnings.senders import Recipients, SmtpSender, WebhookSender
from shieldwall.core.clock import Clock
from shieldwall.core.errors import ConfigError
from shieldwall.custody.directory import PhoneDirectory
from shieldwall.custody.keys import Keyring
from shieldwall.custody.sealing import Sealer
from shieldwall.storage.contact_ledger_repo import SqlLedgerStore
from shieldwall.storage.contact_scam_repo import SqlScamStore
from shieldwall.storage.contact_warnings_repo import SqlOutboxStore
from shieldwall.storage.custody_repo import SqlCustodyStore


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


def build_contact_ledger(
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


def scam_scorer(
    settings: Settings, numbers: NumberJudge | None = None, domains: DomainJudge | None = None
) -> ScriptScorer:
    """The scam-script scorer alone (no database or keys needed); with ``numbers``, asking to
    call one of the store's official numbers is not a ``callback_request``; with ``domains``,
    links to official domains are not a ``link`` and lookalikes add ``lookalike_link``."""
    ss = settings.contact.scam
    return ScriptScorer(
        ScoringModel.load(ss.model_file),
        TemplateSet.load(ss.templates_file),
        judge=domains,
        numbers=numbers,
        region=ss.region,
        max_chars=ss.max_text_chars,
    )


def domain_scanner(settings: Settings) -> LookalikeScanner | None:
    """The lookalike scanner for the configured brands file, or None when none is configured."""
    path = settings.contact.domains.brands_file
    if path is None:
        return None
    book = load_brands_file(path)
    return LookalikeScanner(book, settings.contact.domains) if book.brands else None


def build_scam(
    settings: Settings,
    clock: Clock,
    engine: Engine,
    keyring: Keyring,
    store: SqlCustodyStore,
    sealer: Sealer,
    audit: MerkleAuditLog,
    numbers: NumberRegistry,
) -> ScamReports:
    """Scam reports, judging domains with the lookalike scanner, numbers with the contact
    ledger's book and phones with custody's blind index."""
    domains = ScannerJudge(lambda: domain_scanner(settings))
    official_numbers = BookNumberJudge(numbers.book)
    return ScamReports(
        SqlScamStore(engine, max_band_candidates=settings.contact.scam.max_band_candidates),
        IndicatorExtractor(Tokenizer.from_secrets(keyring), region=settings.contact.scam.region),
        scam_scorer(settings, official_numbers, domains),
        TextCipher(keyring, settings.tenant),
        clock,
        settings.contact.scam,
        domains=domains,
        numbers=official_numbers,
        customers=PhoneDirectory(
            store, sealer.index, audit, clock, region=settings.custody.default_region
        ),
    )
