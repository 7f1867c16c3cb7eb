"""``shieldwall init``: the home directory, the key file or KEK, the schema and every secret."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, inspect

from shieldwall.config import Settings
from shieldwall.contact.scam.cipher import INDEX_PURPOSE, TEXT_PURPOSE, TextCipher
from shieldwall.contact.scam.sealing import IndicatorSealer
from shieldwall.contact.scam.tokens import TOKEN_PURPOSE
from shieldwall.core.clock import Clock, SystemClock
from shieldwall.custody.keys import KeyProvider, Keyring
from shieldwall.respond.matching import KEY_PURPOSE as VICTIMS_PURPOSE
from shieldwall.storage.custody_repo import SqlDataKeyStore
from shieldwall.storage.db import make_engine, translate_errors
from shieldwall.storage.migrate import SCAM_SEALER, upgrade
from shieldwall.trace.releases.service import SECRET_PURPOSE as RELEASES_PURPOSE
from shieldwall.wiring.custody import key_provider
from shieldwall.wiring.guard import RISK_TAG_PURPOSE


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
