"""Every operation of the OpenAPI document, fuzzed in process with schemathesis: no input reaches
a 5xx, and every error is the problem+json the document describes (issue #10, point 5).

The document is loaded when the module is collected (schemathesis makes one test per operation
from it), from the app's own authenticated ``/v1/openapi.json``, over services on a SQLite home
of its own; the same app then answers the generated requests.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.wiring import build, initialize

# Operations an admin may not call: the fuzzer calls them as the store app (role service).
SERVICE_ONLY = {
    ("GET", "/v1/me/contact-status"),
    ("POST", "/v1/messages/sign"),
    ("POST", "/v1/scam/reports"),
    ("POST", "/v1/contacts"),
    ("POST", "/v1/contacts/{contact_id}/verify"),
}

_HOME = tempfile.TemporaryDirectory(prefix="shieldwall-fuzz-")  # removed at interpreter exit
_CLOCK = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
_SETTINGS = load_settings({"SHIELDWALL_HOME": _HOME.name})
initialize(_SETTINGS, _CLOCK)
_SERVICES = build(_SETTINGS, _CLOCK)
APP = create_app(_SERVICES)
BEARER = {
    pid: {"Authorization": f"Bearer {_SERVICES.custody.principals.add(pid, role)[1]}"}
    for pid, role in (("sec-admin", "admin"), ("app", "service"))
}

CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            # Valid-by-schema data may still name a customer that does not exist (404) or break a
            # capability's own rule (422): the document bounds input, it does not promise success.
            "positive_data_acceptance": {"enabled": False},
            # A body over the size limit is refused before it is parsed, with 413 problem+json.
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422]
            },
        },
    }
)
schema = schemathesis.openapi.from_asgi(
    "/v1/openapi.json", APP, config=CONFIG, headers=BEARER["sec-admin"]
)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_reaches_a_5xx(case: Case) -> None:
    """Each operation answers generated input without a 5xx, errors as documented problem+json."""
    who = "app" if (case.method, case.operation.path) in SERVICE_ONLY else "sec-admin"
    case.call_and_validate(headers=BEARER[who])
