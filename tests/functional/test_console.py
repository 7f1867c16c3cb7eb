"""The console through its real HTTP routes (no browser): sign-in by role, session cookie flags,
CSRF on every POST, idle and absolute timeouts on an injected clock, working an alert, suspending
its principal, tracing uploaded victims, audit proofs, and no clear PII on any page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import Settings
from shieldwall.core.clock import ManualClock
from shieldwall.wiring import Services, build, initialize
from tests.functional.console_world import (
    HARVESTED,
    World,
    auth,
    csrf_of,
    populate,
    sign_in,
    victims_csv,
)


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as c:
        yield c


@pytest.fixture
def world(services: Services, clock: ManualClock, client: TestClient) -> World:
    return populate(services, clock, client)


def first_alert(client: TestClient, world: World) -> str:
    r = client.get("/v1/alerts?kind=break_glass", headers=auth(world.keys["sec-admin"]))
    assert r.status_code == 200
    return str(r.json()["items"][0]["alert_id"])


def test_an_admin_signs_in_and_the_cookie_is_httponly_and_strict(
    client: TestClient, world: World
) -> None:
    """Sign-in sets an HttpOnly, SameSite=Strict session cookie and the overview leads with harm."""
    page = client.get("/console/sign-in")
    r = client.post(
        "/console/sign-in",
        data={"api_key": world.keys["sec-admin"], "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/overview"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("sw_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # console.secure_cookie is off by default
    overview = client.get("/console/overview")
    # the 8 customers the agent broke the glass on are behind the break-glass alerts
    assert re.search(r'id="records-exposed">8<', overview.text)
    assert overview.text.index("records-exposed") < overview.text.index("open-alerts")


@pytest.mark.parametrize("who", ["agent-li", "courier-wang", "partner-sf", "app"])
def test_agents_couriers_partners_and_services_cannot_open_the_console(
    client: TestClient, world: World, who: str
) -> None:
    """A valid key of any role but admin or analyst gets 403 and no session."""
    page = client.get("/console/sign-in")
    r = client.post(
        "/console/sign-in",
        data={"api_key": world.keys[who], "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "admins and analysts" in r.text
    assert "sw_console" not in r.headers.get("set-cookie", "")
    assert client.get("/console/alerts", follow_redirects=False).status_code == 303


def test_a_wrong_key_is_401_and_no_page_opens_without_a_session(
    client: TestClient, world: World
) -> None:
    """A wrong key is refused naming the field; every page redirects to sign-in without one."""
    page = client.get("/console/sign-in")
    r = client.post(
        "/console/sign-in",
        data={"api_key": "swk_0000000000000000_" + "A" * 43, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 401 and "api_key" in r.text
    for path in ("/console/overview", "/console/alerts", "/console/audit", "/console/trace"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"


def test_the_api_keeps_problem_json_beside_the_console(client: TestClient, world: World) -> None:
    """Mounting the console changes nothing for /v1: a missing key is still problem+json 401."""
    r = client.get("/v1/alerts")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_every_post_needs_the_session_csrf_token(client: TestClient, world: World) -> None:
    """POSTs without the token, or with another session's, are 403 and change nothing."""
    page = client.get("/console/sign-in")
    r = client.post("/console/sign-in", data={"api_key": world.keys["sec-admin"]})
    assert r.status_code == 403  # the sign-in form's double-submit token is missing
    r = client.post(
        "/console/sign-in",
        data={"api_key": world.keys["sec-admin"], "csrf_token": csrf_of(page.text) + "x"},
    )
    assert r.status_code == 403
    csrf = sign_in(client, world.keys["sec-admin"])
    alert_id = first_alert(client, world)
    assert client.post(f"/console/alerts/{alert_id}/assign").status_code == 403
    r = client.post(
        f"/console/alerts/{alert_id}/close",
        data={"reason": "confirmed", "note": "checked", "csrf_token": "forged"},
    )
    assert r.status_code == 403
    assert client.post("/console/sign-out", data={}).status_code == 403
    r = client.post(
        "/console/principals/agent-li/suspend", data={"alert_id": alert_id, "csrf_token": ""}
    )
    assert r.status_code == 403
    alert = client.get(f"/v1/alerts/{alert_id}", headers=auth(world.keys["sec-admin"])).json()
    assert alert["status"] == "open"
    assert client.get("/console/overview").status_code == 200  # still signed in
    assert csrf  # the real token works (below)
    r = client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/console/overview", follow_redirects=False).status_code == 303


def test_a_session_idle_too_long_or_too_old_ends(
    client: TestClient, world: World, clock: ManualClock, services: Services
) -> None:
    """Idle 15 min (the default) signs out; so does the 8 h lifetime however busy the session."""
    idle = timedelta(seconds=services.settings.console.idle_timeout_seconds)
    sign_in(client, world.keys["sec-admin"])
    clock.advance(idle - timedelta(seconds=1))
    assert client.get("/console/overview", follow_redirects=False).status_code == 200
    clock.advance(idle)
    r = client.get("/console/overview", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"

    sign_in(client, world.keys["sec-admin"])
    lifetime = timedelta(seconds=services.settings.console.lifetime_seconds)
    used = timedelta(0)
    while used + idle / 2 < lifetime:  # busy: never idle, but the lifetime still runs out
        clock.advance(idle / 2)
        used += idle / 2
        assert client.get("/console/cases", follow_redirects=False).status_code == 200
    clock.advance(idle / 2)
    assert client.get("/console/cases", follow_redirects=False).status_code == 303


def test_analysts_see_overview_cases_and_their_own_audit_entries_only(
    client: TestClient, world: World
) -> None:
    """Pages whose API routes are for admins are 403 for an analyst."""
    sign_in(client, world.keys["analyst-he"])
    for path in ("/console/overview", "/console/cases", "/console/audit"):
        assert client.get(path).status_code == 200, path
    admin_pages = ("alerts", "trace", "releases", "contact", "logins")
    for path in (f"/console/{p}" for p in admin_pages):
        assert client.get(path).status_code == 403, path
    assert client.get("/console/principals/agent-li").status_code == 403
    audit = client.get("/console/audit").text
    assert "agent-li" not in audit  # the agent's entries are not the analyst's own
    overview = client.get("/console/overview").text
    assert 'id="records-exposed">8<' in overview  # counts, yes
    assert "agent-li" not in overview and "alr_" not in overview  # who and which: admins only


def test_an_alert_is_worked_from_queue_to_closed_with_its_proofs(
    client: TestClient, world: World, services: Services
) -> None:
    """Assign, read the proofs (verified), refuse a note with a phone number, close with a note;
    the view and each step are audit entries."""
    csrf = sign_in(client, world.keys["sec-admin"])
    queue = client.get("/console/alerts?status=open&kind=break_glass")
    alert_id = first_alert(client, world)
    assert alert_id in queue.text
    before = services.audit.size()
    page = client.get(f"/console/alerts/{alert_id}")
    assert page.status_code == 200
    assert "verified in this page" in page.text and "FAILED" not in page.text
    views = [r.event for r in services.audit.read(before - 1) if r.event.reason == "console_view"]
    assert views and views[-1].actor == "sec-admin" and views[-1].channel == "console"
    alert = services.alerts.get(alert_id)
    assert alert is not None and set(views[-1].customer_ids) == set(alert.customer_ids)

    r = client.post(f"/console/alerts/{alert_id}/assign", data={"csrf_token": csrf})
    assert r.status_code == 200 and 'id="alert-assignee">sec-admin<' in r.text
    r = client.post(
        f"/console/alerts/{alert_id}/close",
        data={"csrf_token": csrf, "reason": "confirmed", "note": "called back on 138 0013 8000"},
    )
    assert r.status_code == 400 and "note" in r.text
    r = client.post(
        f"/console/alerts/{alert_id}/close",
        data={"csrf_token": csrf, "reason": "nonsense", "note": "ok"},
    )
    assert r.status_code == 400 and "reason" in r.text
    r = client.post(
        f"/console/alerts/{alert_id}/close",
        data={"csrf_token": csrf, "reason": "confirmed", "note": "agent admitted; see case"},
    )
    assert r.status_code == 200 and 'id="alert-status">closed<' in r.text
    steps = [r.event.reason for r in services.audit.read(before - 1)]
    assert "alert_assigned" in steps and "alert_closed" in steps
    assert client.get("/console/alerts/alr_nope").status_code == 404


def test_suspend_and_reinstate_a_principal_with_the_alert_as_reason(
    client: TestClient, world: World, services: Services
) -> None:
    """Suspending from the principal page stops its key; the audit entry names the alert."""
    csrf = sign_in(client, world.keys["sec-admin"])
    alert_id = first_alert(client, world)
    r = client.post(
        "/console/principals/agent-li/suspend", data={"csrf_token": csrf, "alert_id": alert_id}
    )
    assert r.status_code == 200 and 'id="principal-status">suspended<' in r.text
    r = client.get("/v1/me", headers=auth(world.keys["agent-li"]))
    assert r.status_code == 401
    entry = services.audit.read(services.audit.size() - 2)[-1].event
    assert entry.reason == "principal_suspended" and entry.extra["alert"] == alert_id
    r = client.post(
        "/console/principals/agent-li/reinstate", data={"csrf_token": csrf, "alert_id": alert_id}
    )
    assert 'id="principal-status">active<' in r.text
    r = client.post("/console/principals/agent-li/delete", data={"csrf_token": csrf})
    assert r.status_code == 400


def test_a_suspended_admin_is_signed_out(
    client: TestClient, world: World, services: Services
) -> None:
    """The principal is read on every request: suspending a signed-in admin ends its session."""
    sign_in(client, world.keys["sec-admin-2"])
    services.custody.principals.set_active("sec-admin-2", False)
    r = client.get("/console/overview", follow_redirects=False)
    assert r.status_code == 303


def test_uploading_a_victims_list_ranks_the_agent_first(client: TestClient, world: World) -> None:
    """The trace page's upload runs the same tracer as the API; bad files name the field."""
    csrf = sign_in(client, world.keys["sec-admin"])
    r = client.post(
        "/console/trace/victims",
        data={"csrf_token": csrf},
        files={"victims": ("victims.csv", victims_csv(), "text/csv")},
    )
    assert r.status_code == 200, r.text
    ranking = r.text[r.text.index('id="ranking"') :]
    body = ranking[ranking.index("<tbody>") :]
    first_row = body[: body.index("</tr>")]
    assert "agent-li" in first_row
    r = client.post(
        "/console/trace/victims",
        data={"csrf_token": csrf},
        files={"victims": ("victims.csv", b"name\nx\n", "text/csv")},
    )
    assert r.status_code == 422 and "file" in r.text  # as the API answers it
    r = client.post("/console/trace/victims", data={"csrf_token": csrf})
    assert r.status_code == 400 and "victims" in r.text


def test_the_audit_page_checks_a_consistency_proof(
    client: TestClient, world: World, services: Services
) -> None:
    """A consistency proof between two sizes is verified on the server; bad sizes are 400."""
    services.audit.checkpoint()
    sign_in(client, world.keys["sec-admin"])
    size = services.audit.size()
    r = client.get(f"/console/audit?first=3&second={size}")
    assert r.status_code == 200
    assert re.search(r'id="consistency-result">3 → \d+: <span class="ok">', r.text)
    assert str(services.settings.resolved_witness_file) in r.text
    assert client.get("/console/audit?first=0").status_code == 400
    assert client.get("/console/audit?first=abc").status_code == 400


def test_language_switch_renders_chinese(client: TestClient, world: World) -> None:
    """The switch keeps the page and changes the text; an outside 'next' is ignored."""
    csrf = sign_in(client, world.keys["sec-admin"])
    r = client.post(
        "/console/language",
        data={"csrf_token": csrf, "lang": "zh", "next": "/console/alerts"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/console/alerts"
    assert "告警" in client.get("/console/alerts").text
    r = client.post(
        "/console/language",
        data={"csrf_token": csrf, "lang": "en", "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/console/overview"


def test_no_page_shows_a_customers_clear_values(
    client: TestClient, world: World, services: Services
) -> None:
    """Every page, the trace result and an alert included, is scanned for every customer's name,
    phone, e-mail, address and ID number."""
    services.audit.checkpoint()
    csrf = sign_in(client, world.keys["sec-admin"])
    alert_id = first_alert(client, world)
    pages = [
        client.get(p).text
        for p in (
            "/console/overview",
            "/console/alerts",
            f"/console/alerts/{alert_id}",
            "/console/principals/agent-li",
            "/console/trace",
            "/console/releases",
            "/console/logins",
            "/console/contact",
            "/console/cases",
            "/console/audit",
            "/console/audit?first=2",
        )
    ]
    pages.append(
        client.post(
            "/console/trace/victims",
            data={"csrf_token": csrf},
            files={"victims": ("v.csv", victims_csv(), "text/csv")},
        ).text
    )
    seen = "\n".join(pages)
    for c in world.customers:
        for value in (c.name, c.phone, c.email, c.address, c.national_id):
            if value:
                assert value not in seen, "a clear customer value is on a page"
        assert c.phone[-8:] not in seen  # not even the local part of the number
    assert any(c.customer_id in seen for c in HARVESTED)  # ids shown (pseudonymous), values not


def test_sign_in_is_rate_limited_per_address(clock: ManualClock, sqlite_settings: Settings) -> None:
    """The 4th attempt within a minute under console.sign_in_rate = 3/minute is 429."""
    settings = sqlite_settings.model_copy(
        update={"console": sqlite_settings.console.model_copy(update={"sign_in_rate": "3/minute"})}
    )
    initialize(settings, clock)
    svc = build(settings, clock)
    try:
        with TestClient(create_app(svc)) as client:
            page = client.get("/console/sign-in")
            token = csrf_of(page.text)
            codes = [
                client.post(
                    "/console/sign-in", data={"api_key": "wrong", "csrf_token": token}
                ).status_code
                for _ in range(4)
            ]
            assert codes == [401, 401, 401, 429]
    finally:
        svc.close()


def test_uploading_a_leaked_file_traces_it_and_refuses_an_empty_one(
    client: TestClient, world: World
) -> None:
    """The leaked-file form runs the API's file tracer: rows read and matched are counted (no
    release was made here, so nobody is accused); an empty file names the field."""
    csrf = sign_in(client, world.keys["sec-admin"])
    rows = ["name,phone"] + [f"{c.name},{c.phone}" for c in world.customers[:5]]
    r = client.post(
        "/console/trace/file",
        data={"csrf_token": csrf},
        files={"leak": ("leak.csv", ("\n".join(rows) + "\n").encode(), "text/csv")},
    )
    assert r.status_code == 200, r.text
    assert "5 rows read · 5 matched" in r.text
    assert world.customers[0].phone not in r.text and world.customers[0].name not in r.text
    r = client.post(
        "/console/trace/file",
        data={"csrf_token": csrf},
        files={"leak": ("leak.csv", b"", "text/csv")},
    )
    assert r.status_code == 400 and "leak" in r.text
    r = client.post("/console/trace/file", files={"leak": ("leak.csv", b"x\n", "text/csv")})
    assert r.status_code == 403


def test_the_login_risk_page_counts_attempts_and_failures_per_hour(
    client: TestClient, world: World, clock: ManualClock
) -> None:
    """Three logins through the API (one success, two failures on an unknown account) show
    in this hour's row: 3 attempts, 2 failures, 2 on unknown accounts, 67%."""
    headers = auth(world.keys["sec-admin"])
    for account, ok in [("alice", True), ("nobody-1", False), ("nobody-2", False)]:
        r = client.post(
            "/v1/logins/assess",
            json={"account": account, "ip": "203.0.113.7"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        r = client.post(
            "/v1/logins/outcome",
            json={
                "assessment_id": r.json()["assessment_id"],
                "success": ok,
                "account_known": ok,
            },
            headers=headers,
        )
        assert r.status_code in (200, 204), r.text
    sign_in(client, world.keys["sec-admin"])
    page = client.get("/console/logins")
    assert page.status_code == 200
    body = page.text[page.text.index('id="login-hours"') :]
    row = body[body.index("<tbody>") :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells[1:] == ["3", "2", "2", "67%"]
