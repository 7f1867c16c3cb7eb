"""``trace.alerts`` settings: sinks from TOML, the webhook secret from the environment (never
shown), and bad values refused naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from shieldwall.config import WebhookSinkSettings, load_settings
from shieldwall.core.clock import SystemClock
from shieldwall.core.errors import ConfigError
from shieldwall.trace.delivery.build import build_dispatcher

SECRET = "s3cret-webhook-key-0123"
TOML = """
[trace.alerts]
backoff_seconds = 0.5

[[trace.alerts.sinks]]
type = "webhook"
url = "https://siem.example.com/hook/abc"

[[trace.alerts.sinks]]
type = "syslog"
host = "logs.example.com"
transport = "tcp"
format = "cef"

[[trace.alerts.sinks]]
type = "nats"
"""


def test_sinks_from_toml_and_the_secret_from_the_environment(tmp_path: Path) -> None:
    """Three sinks in the file; SHIELDWALL_ALERT_WEBHOOK_SECRET keys the webhook; no leak."""
    path = tmp_path / "shieldwall.toml"
    path.write_text(TOML, encoding="utf-8")
    s = load_settings(
        {"SHIELDWALL_CONFIG": str(path), "SHIELDWALL_ALERT_WEBHOOK_SECRET": SECRET}
    ).trace.alerts
    assert [k.type for k in s.sinks] == ["webhook", "syslog", "nats"]
    hook = s.sinks[0]
    assert isinstance(hook, WebhookSinkSettings)
    assert s.webhook_key(hook) == SECRET.encode()
    assert SECRET not in repr(s) and SECRET not in str(s) and SECRET not in s.model_dump_json()
    dispatcher = build_dispatcher(s, SystemClock())
    assert dispatcher is not None
    assert dispatcher.sinks == [
        "webhook:siem.example.com",
        "syslog:tcp:logs.example.com:514",
        "nats:127.0.0.1:4222/shieldwall.alerts",
    ]
    dispatcher.close(0)
    assert build_dispatcher(load_settings({}).trace.alerts, SystemClock()) is None


def test_a_sinks_own_secret_wins() -> None:
    """A webhook may carry its own secret instead of the section's."""
    s = load_settings(
        {"SHIELDWALL_ALERT_WEBHOOK_SECRET": SECRET},
        overrides={
            "trace": {
                "alerts": {
                    "webhook_secret": SECRET,
                    "sinks": [{"type": "webhook", "url": "http://x", "secret": "x" * 20}],
                }
            }
        },
    ).trace.alerts
    assert isinstance(s.sinks[0], WebhookSinkSettings)
    assert s.webhook_key(s.sinks[0]) == b"x" * 20


@pytest.mark.parametrize(
    ("alerts", "field", "words"),
    [
        ({"sinks": [{"type": "webhook", "url": "https://h"}]}, "trace.alerts", "no secret"),
        (
            {"sinks": [{"type": "webhook", "url": "https://h"}], "webhook_secret": "short"},
            "trace.alerts",
            "16 bytes",
        ),
        ({"sinks": [{"type": "webhook", "url": "ftp://h", "secret": SECRET}]}, None, "pattern"),
        ({"sinks": [{"type": "pager"}]}, None, "tag"),
        ({"sinks": [{"type": "syslog", "transport": "sctp"}]}, None, "udp"),
        ({"sinks": [{"type": "syslog", "sd_id": "a=b@1"}]}, None, "SD-ID"),
        ({"sinks": [{"type": "syslog", "facility": 24}]}, None, "23"),
        ({"sinks": [{"type": "nats", "subject": "a..b"}]}, None, "pattern"),
        ({"queue_size": 0}, "trace.alerts.queue_size", "greater"),
    ],
)
def test_bad_delivery_settings_are_refused(
    alerts: dict[str, object], field: str | None, words: str
) -> None:
    """A webhook without a (long enough) secret, unknown sink types, bad names and numbers."""
    with pytest.raises(ConfigError) as err:
        load_settings({}, overrides={"trace": {"alerts": alerts}})
    assert words in str(err.value)
    assert err.value.field is not None and err.value.field.startswith("trace.alerts")
    if field is not None:
        assert err.value.field == field
    assert "short" not in str(err.value)  # the secret's value is never in the message
