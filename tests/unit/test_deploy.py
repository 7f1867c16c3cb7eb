"""The deployment example of ``deploy/`` loads as the settings it documents: the env file and
the TOML file it names, and alerts pushed to ``<prefix>.alerts`` on the NATS server the
workers use (without a sink the example raised alerts that never left the database)."""

from __future__ import annotations

from pathlib import Path

from shieldwall.config import NatsSinkSettings, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def example_env(tmp_path: Path) -> dict[str, str]:
    """``deploy/env.example`` as a process would get it, with the host's paths moved to
    ``tmp_path`` and SHIELDWALL_CONFIG pointing at ``deploy/shieldwall.toml``."""
    env: dict[str, str] = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    assert env["SHIELDWALL_CONFIG"] == "/etc/shieldwall/shieldwall.toml"
    (tmp_path / "prom").mkdir()
    return env | {
        "SHIELDWALL_CONFIG": str(DEPLOY / "shieldwall.toml"),
        "SHIELDWALL_HOME": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
    }


def test_the_example_pushes_alerts_to_the_prefix_alerts_subject_on_the_workers_server(
    tmp_path: Path,
) -> None:
    """One NATS alert sink, on the server of SHIELDWALL_NATS_URL, subject ``<prefix>.alerts``
    (``shieldwall.alerts``: inside the stream's ``shieldwall.>``)."""
    settings = load_settings(example_env(tmp_path))
    sinks = [s for s in settings.trace.alerts.sinks if isinstance(s, NatsSinkSettings)]
    assert len(sinks) == 1
    assert sinks[0].url == settings.nats.url == "nats://nats.internal:4222"
    assert sinks[0].subject == f"{settings.nats.prefix}.alerts" == "shieldwall.alerts"
    assert settings.state_backend == "redis" and settings.trace.watch.enabled
