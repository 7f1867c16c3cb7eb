"""Configuration: the only module that reads the environment or a config file.

Settings come from, in increasing precedence: built-in defaults, a TOML file
(``$SHIELDWALL_CONFIG``, else ``$SHIELDWALL_HOME/shieldwall.toml`` when it exists), and
``SHIELDWALL_*`` environment variables for the few settings that differ per deployment.
Library code never reads ``os.environ``: it takes the typed objects below.

Environment variables:

- ``SHIELDWALL_HOME``          state directory (default ``./.shieldwall``)
- ``SHIELDWALL_DATABASE_URL``  SQLAlchemy URL (default SQLite in the home directory)
- ``SHIELDWALL_KEY_FILE``      local key-encryption-key file (default ``$HOME/keys.json``)
- ``SHIELDWALL_POLICY_FILE``   access policy (default: the policy shipped with the package)
- ``SHIELDWALL_REDIS_URL``     Redis for shared state (default ``redis://127.0.0.1:6379/0``)
- ``SHIELDWALL_STATE_BACKEND`` ``memory`` (default) or ``redis``
- ``SHIELDWALL_CONFIG``        the TOML file
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shieldwall.core.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustodySettings(_Section):
    """Custody: relationships, grace periods, relay numbers, input limits."""

    default_region: str = Field("CN", description="region for parsing phone numbers")
    ticket_ttl_hours: float = Field(72.0, gt=0)
    courier_grace_hours: float = Field(24.0, ge=0)
    relay_grace_hours: float = Field(24.0, ge=0)
    relay_prefix: str = Field("1700", pattern=r"^\d{3,8}$", description="virtual number range")
    relay_digits: int = Field(11, ge=8, le=15)
    rotation_batch: int = Field(500, ge=1, le=100_000)
    strict_national_id_region: bool = True


class AuditSettings(_Section):
    checkpoint_every: int = Field(1000, ge=1, description="sign a checkpoint every N entries")


class ApiSettings(_Section):
    max_body_bytes: int = Field(1_048_576, ge=1024)
    max_import_body_bytes: int = Field(32 * 1_048_576, ge=1024)
    api_key_cache_seconds: float = Field(30.0, ge=0)


class PasswordSettings(_Section):
    """Guard: breached-password corpus and password policy (see guard/passwords)."""


class RiskSettings(_Section):
    """Guard: login risk engine (see guard/risk)."""


class GuardSettings(_Section):
    passwords: PasswordSettings = PasswordSettings()
    risk: RiskSettings = RiskSettings()


class DomainSettings(_Section):
    """Contact: lookalike domains (see contact/domains)."""


class ScamSettings(_Section):
    """Contact: scam reports and script scoring (see contact/scam)."""


class ContactSettings(_Section):
    domains: DomainSettings = DomainSettings()
    scam: ScamSettings = ScamSettings()


WATCH_DETECTORS = (
    "no_relationship",
    "harvesting",
    "enumeration",
    "search_sweep",
    "undelivered_preference",
    "reveal_rate",
    "off_hours",
    "volume",
    "bulk_export",
    "break_glass_misuse",
)


class WatchSettings(_Section):
    """Trace: insider-watch detectors and thresholds (see trace/watch and docs/trace-watch.md).

    Scores are -log10 of a tail bound (see trace/watch/stats.py): 6 means "one chance in a
    million under the peer rate times ``tolerance``". The defaults were tuned on simulator
    seeds 101-103 and are reported on held-out seeds (bench/bench_trace_watch_quality.py).
    """

    enabled: bool = Field(False, description="run the watch in the API process on every append")
    detectors: tuple[str, ...] = Field(WATCH_DETECTORS, description="detectors to run")
    timezone: str = Field("Asia/Shanghai", description="local time for days and off-hours")
    alert_score: float = Field(6.0, gt=0, description="score that opens an alert")
    scores: dict[str, float] = Field(
        default_factory=dict, description="per-detector alert score, overriding alert_score"
    )
    window_days: int = Field(3, ge=1, le=30, description="days of evidence a detector sums")
    baseline_days: int = Field(7, ge=1, le=60, description="days behind own and peer baselines")
    min_baseline_days: int = Field(3, ge=1, description="days of history before usual hours")
    daily_quantile: float = Field(0.9, gt=0, le=1, description="what counts as a busy day")
    tolerance: float = Field(3.0, ge=1, description="multiple of the peer rate that is normal")
    rate_floor: float = Field(0.002, gt=0, lt=1, description="least rate a test assumes")
    min_count: int = Field(5, ge=1, description="fewest customers a rate test scores")
    min_peers: int = Field(5, ge=2, description="a smaller unit is compared with its whole role")
    behavioural_peers: bool = Field(True, description="also compare with behavioural peers")
    newcomer_quantile: float = Field(
        0.95, gt=0, le=1, description="a principal with no history is held to this of its role"
    )
    peer_k: int = Field(10, ge=2, description="behavioural peers per principal (k nearest)")
    exempt_roles: tuple[str, ...] = Field(("service",), description="roles never scored")
    undelivered_roles: tuple[str, ...] = Field(
        ("agent",), description="roles tested for a preference for undelivered orders"
    )
    lookup_window_minutes: float = Field(30.0, gt=0, description="a lookup explains a ticket")
    history_days: float = Field(30.0, gt=0, description="a past ticket explains a call-back")
    ticket_days: float = Field(7.0, gt=0, description="how long ticket facts are kept")
    order_days: float = Field(30.0, gt=0, description="how long order outlets are kept")
    exact_lookup_keys: tuple[str, ...] = ("phone", "email", "national_id")
    broad_matches: int = Field(5, ge=1, description="a lookup with more matches is a search")
    sequential_radius: int = Field(3, ge=1, le=50, description="ids this close are a sequence")
    usual_hour_share: float = Field(0.01, gt=0, lt=1, description="share that makes an hour usual")
    volume_factor: float = Field(3.0, ge=1, description="multiple of the usual daily volume")
    bulk_export_rows: int = Field(200, ge=1, description="unreleased rows that make a bulk export")
    critical_customers: int = Field(500, ge=1, description="customers that make it critical")
    max_evidence_customers: int = Field(1000, ge=100)
    max_evidence_seqs: int = Field(500, ge=100)
    queue_size: int = Field(100_000, ge=100, description="appends buffered for the watch thread")
    drain_seconds: float = Field(0.2, gt=0, le=10, description="how often the thread takes them")
    batch_size: int = Field(1000, ge=1, le=100_000)
    lease_seconds: float = Field(30.0, gt=1)
    poll_seconds: float = Field(1.0, gt=0)
    state_ttl_days: float = Field(35.0, gt=0, description="Redis keys expire after this")

    @field_validator("detectors")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [d for d in value if d not in WATCH_DETECTORS]
        if unknown:
            raise ValueError(f"unknown detector(s): {', '.join(unknown)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value

    def score_for(self, detector: str) -> float:
        return self.scores.get(detector, self.alert_score)


class ReleaseSettings(_Section):
    """Trace: releases, canaries, marks, codewords (see trace/releases)."""


class TraceSettings(_Section):
    watch: WatchSettings = WatchSettings()
    releases: ReleaseSettings = ReleaseSettings()


class Settings(_Section):
    """Everything shieldwall is told about its environment."""

    home: Path = Path(".shieldwall")
    database_url: str | None = None
    key_file: Path | None = None
    policy_file: Path | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    state_backend: Literal["memory", "redis"] = "memory"
    store_name: str = "shieldwall demo store"
    tenant: str = Field(
        "default", pattern=r"^[a-z0-9_\-]{1,32}$", description="bound into every ciphertext"
    )
    custody: CustodySettings = CustodySettings()
    audit: AuditSettings = AuditSettings()
    api: ApiSettings = ApiSettings()
    guard: GuardSettings = GuardSettings()
    contact: ContactSettings = ContactSettings()
    trace: TraceSettings = TraceSettings()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'shieldwall.db').resolve()}"

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file or self.home / "keys.json"


_ENV = {
    "SHIELDWALL_HOME": "home",
    "SHIELDWALL_DATABASE_URL": "database_url",
    "SHIELDWALL_KEY_FILE": "key_file",
    "SHIELDWALL_POLICY_FILE": "policy_file",
    "SHIELDWALL_REDIS_URL": "redis_url",
    "SHIELDWALL_STATE_BACKEND": "state_backend",
}


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build :class:`Settings` from defaults, the TOML file, the environment and ``overrides``.

    Raises :class:`ConfigError` naming the first bad setting.
    """
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    home = Path(env.get("SHIELDWALL_HOME", ".shieldwall"))
    config_path = env.get("SHIELDWALL_CONFIG")
    candidate = Path(config_path) if config_path else home / "shieldwall.toml"
    if config_path and not candidate.is_file():
        raise ConfigError(f"config file {candidate} does not exist", field="SHIELDWALL_CONFIG")
    if candidate.is_file():
        try:
            data.update(tomllib.loads(candidate.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {candidate} is not valid TOML: {exc}") from exc
    for var, key in _ENV.items():
        if var in env and env[var] != "":
            data[key] = env[var]
    if overrides:
        data.update(overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(first["msg"], field=where) from exc
