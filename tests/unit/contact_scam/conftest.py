"""Fakes for the scam package's interfaces and a service assembled over the memory store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from shieldwall.config import ScamSettings, load_settings
from shieldwall.contact.scam.cipher import TextCipher
from shieldwall.contact.scam.indicators import IndicatorExtractor
from shieldwall.contact.scam.memory import MemoryScamStore
from shieldwall.contact.scam.ports import DomainVerdict, ScamStore
from shieldwall.contact.scam.reports import ScamReports
from shieldwall.contact.scam.scoring import ScoringModel, ScriptScorer
from shieldwall.contact.scam.templates import TemplateSet
from shieldwall.contact.scam.tokens import Tokenizer
from shieldwall.core.clock import ManualClock


class FixedSecrets:
    """Stable per-purpose secrets, like custody's Keyring.secret."""

    def secret(self, purpose: str) -> bytes:
        return hashlib.sha256(b"test-secret|" + purpose.encode()).digest()


@dataclass
class FakeJudge:
    official: set[str] = field(default_factory=set)
    lookalike: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    def check(self, domain: str) -> DomainVerdict:
        self.asked.append(domain)
        host = domain.lower()
        if any(host == d or host.endswith("." + d) for d in self.official):
            return DomainVerdict("official", brand=host)
        if host in self.lookalike:
            return DomainVerdict("lookalike", brand="shieldmart.com", score=0.9)
        return DomainVerdict("clean")


@dataclass
class FakeNumbers:
    official: set[str] = field(default_factory=set)

    def is_official(self, number: str) -> bool:
        return number in self.official


@dataclass
class FakeCustomers:
    by: dict[str, list[str]] = field(default_factory=dict)

    def by_phone(self, e164: str) -> list[str]:
        return list(self.by.get(e164, []))


SECRETS = FixedSecrets()
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def scam_settings() -> ScamSettings:
    return load_settings({}).contact.scam


@pytest.fixture(scope="session")
def extractor() -> IndicatorExtractor:
    return IndicatorExtractor(Tokenizer.from_secrets(SECRETS))


@pytest.fixture(scope="session")
def scorer() -> ScriptScorer:
    return ScriptScorer(ScoringModel.load(), TemplateSet.load())


ServiceFactory = Callable[..., ScamReports]


@pytest.fixture
def make_service(
    extractor: IndicatorExtractor, scorer: ScriptScorer, scam_settings: ScamSettings
) -> ServiceFactory:
    def make(
        store: ScamStore | None = None,
        *,
        clock: ManualClock | None = None,
        settings: ScamSettings | None = None,
        **judges: object,
    ) -> ScamReports:
        return ScamReports(
            store if store is not None else MemoryScamStore(),
            extractor,
            scorer,
            TextCipher(SECRETS, "default"),
            clock or ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
            settings or scam_settings,
            **judges,  # type: ignore[arg-type]
        )

    return make
