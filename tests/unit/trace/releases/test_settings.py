"""Release settings: safe defaults (trap range apart from relay numbers) and clear errors for a
bad trap range or mail domain."""

from __future__ import annotations

import pytest

from shieldwall.config import ReleaseSettings, load_settings
from shieldwall.core.errors import ConfigError


def test_defaults_are_safe() -> None:
    """Trap prefixes are valid digits outside the relay range; the bound is 1e-6 for c=5."""
    s = load_settings({})
    rs = s.trace.releases
    assert all(not p.startswith(s.custody.relay_prefix) for p in rs.canary_phone_prefixes)
    assert rs.false_accusation == 1e-6 and rs.collusion == 5
    assert ReleaseSettings(canary_mail_domain="trap.shop.cn").canary_mail_domain == "trap.shop.cn"


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"canary_phone_prefixes": ["17x3"]}, "canary_phone_prefixes"),
        ({"canary_phone_prefixes": []}, "canary_phone_prefixes"),
        ({"canary_mail_domain": "not a domain"}, "canary_mail_domain"),
        ({"canary_mail_domain": "UPPER.example.com"}, "canary_mail_domain"),
        ({"false_accusation": 0.5}, "false_accusation"),
        ({"collusion": 1}, "collusion"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_settings_name_the_field(section: dict[str, object], field: str) -> None:
    """Each bad value is refused with the setting's dotted name."""
    with pytest.raises(ConfigError) as err:
        load_settings({}, {"trace": {"releases": section}})
    assert err.value.field is not None and err.value.field.endswith(field)
