"""The console's cases actions, login risk history, 404 pages and the overview's harm figures,
through the real HTTP routes (no browser): an admin opens a case from an alert, moves it,
assigns it, links customers and uploads evidence (CSRF, audit entries, bad input named);
analysts read cases without customer ids and change nothing; accounts under attack show by
tag only."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.core.clock import ManualClock
from shieldwall.guard.risk.history import DecisionEvent, Kind
from shieldwall.respond.victims import Source, VictimRow, VictimStatus
from shieldwall.wiring import Services
from tests.functional.console_world import HARVESTED, World, auth, populate, sign_in


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as c:
        yield c


@pytest.fixture
def world(services: Services, clock: ManualClock, client: TestClient) -> World:
    return populate(services, clock, client)


def an_alert(client: TestClient, world: World) -> str:
    r = client.get("/v1/alerts?kind=break_glass", headers=auth(world.keys["sec-admin"]))
    return str(r.json()["items"][0]["alert_id"])


def open_from_alert(client: TestClient, csrf: str, alert_id: str) -> str:
    r = client.post(
        "/console/cases",
        data={"csrf_token": csrf, "source": "alert", "source_ref": alert_id},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"]).rsplit("/", 1)[-1]


def test_an_admin_works_a_case_from_an_alert(
    client: TestClient, world: World, services: Services
) -> None:
    """Open from the alert's page, move open → investigating → contained, assign, link two
    customers, upload evidence: each step is in the case's timeline and an audit entry on
    channel console; the evidence's SHA-256 is the one of the bytes sent."""
    csrf = sign_in(client, world.keys["sec-admin"])
    alert_id = an_alert(client, world)
    assert 'id="open-case"' in client.get(f"/console/alerts/{alert_id}").text
    before = services.audit.size()
    case_id = open_from_alert(client, csrf, alert_id)
    page = client.get(f"/console/cases/{case_id}")
    assert 'id="case-state">open<' in page.text and alert_id in page.text
    for to in ("investigating", "contained"):
        r = client.post(f"/console/cases/{case_id}/transition", data={"csrf_token": csrf, "to": to})
        assert r.status_code == 200 and f'id="case-state">{to}<' in r.text
    r = client.post(
        f"/console/cases/{case_id}/assign", data={"csrf_token": csrf, "owner_id": "sec-admin-2"}
    )
    assert 'id="case-owner">sec-admin-2<' in r.text
    linked = [c.customer_id for c in HARVESTED[:2]]
    r = client.post(
        f"/console/cases/{case_id}/links",
        data={"csrf_token": csrf, "customer_ids": f"{linked[0]},\n{linked[1]}"},
    )
    assert r.status_code == 200 and 'id="case-customers">2<' in r.text
    assert all(c in r.text for c in linked)  # an admin sees the ids
    content = b"screenshot bytes of a scam page"
    r = client.post(
        f"/console/cases/{case_id}/evidence",
        data={"csrf_token": csrf, "kind": "screenshot"},
        files={"evidence": ("Zhang San.png", content, "image/png")},
    )
    assert r.status_code == 200, r.text
    assert hashlib.sha256(content).hexdigest() in r.text
    assert "Zhang San" not in r.text  # the file name is kept for its suffix only
    steps = [
        (e.event.reason, e.event.channel)
        for e in services.audit.read(before - 1)
        if e.event.actor == "sec-admin"
    ]
    for reason in (
        "case_opened",
        "case_transition",
        "case_assigned",
        "case_linked",
        "evidence_received",
    ):
        assert (reason, "console") in steps, reason
    views = [e.event for e in services.audit.read(before - 1) if e.event.reason == "console_view"]
    assert any(set(v.customer_ids) == set(linked) for v in views)  # the case page's read
    file = services.cases.cases.get(case_id)
    assert [t.action for t in file.timeline][:4] == [
        "opened",
        "transition",
        "transition",
        "assigned",
    ]


def test_bad_case_input_is_named_and_changes_nothing(
    client: TestClient, world: World, services: Services
) -> None:
    """A forbidden move is 409 naming the state; an unknown source, a missing alert, an unknown
    customer, an unknown case, a missing file and a missing CSRF token are refused."""
    csrf = sign_in(client, world.keys["sec-admin"])
    case_id = open_from_alert(client, csrf, an_alert(client, world))
    r = client.post(
        f"/console/cases/{case_id}/transition", data={"csrf_token": csrf, "to": "notified"}
    )
    assert r.status_code == 409 and "state" in r.text and "text/html" in r.headers["content-type"]
    r = client.post("/console/cases", data={"csrf_token": csrf, "source": "rumour"})
    assert r.status_code == 422 and "source" in r.text
    r = client.post(
        "/console/cases", data={"csrf_token": csrf, "source": "alert", "source_ref": "alr_nope"}
    )
    assert r.status_code == 404 and "source_ref" in r.text
    r = client.post(
        f"/console/cases/{case_id}/links", data={"csrf_token": csrf, "customer_ids": "cus_nope"}
    )
    assert r.status_code == 404 and "customer_ids" in r.text
    r = client.post(f"/console/cases/{case_id}/links", data={"csrf_token": csrf})
    assert r.status_code == 422 and "links" in r.text
    r = client.post(
        f"/console/cases/{case_id}/evidence", data={"csrf_token": csrf, "kind": "other"}
    )
    assert r.status_code == 400 and "evidence" in r.text
    assert client.get("/console/cases/case_nope").status_code == 404
    r = client.post(f"/console/cases/{case_id}/transition", data={"to": "closed"})
    assert r.status_code == 403
    r = client.post("/console/cases", data={"source": "manual"})
    assert r.status_code == 403
    assert services.cases.cases.get(case_id).case.state.value == "open"
    assert len(services.cases.cases.recent()) == 1


def test_analysts_read_cases_without_customer_ids_and_change_nothing(
    client: TestClient, world: World, services: Services
) -> None:
    """As the API: an analyst opens the list and a case (customers counted, not named) and
    every action is 403; no form for them on the page."""
    admin_csrf = sign_in(client, world.keys["sec-admin"])
    case_id = open_from_alert(client, admin_csrf, an_alert(client, world))
    linked = HARVESTED[0].customer_id
    client.post(
        f"/console/cases/{case_id}/links", data={"csrf_token": admin_csrf, "customer_ids": linked}
    )
    csrf = sign_in(client, world.keys["analyst-he"])
    assert case_id in client.get("/console/cases").text
    page = client.get(f"/console/cases/{case_id}")
    assert page.status_code == 200 and 'id="case-customers">1<' in page.text
    assert linked not in page.text and 'id="link-form"' not in page.text
    assert 'id="open-case"' not in client.get("/console/cases").text
    for path, data in [
        ("/console/cases", {"source": "manual"}),
        (f"/console/cases/{case_id}/transition", {"to": "closed"}),
        (f"/console/cases/{case_id}/assign", {"owner_id": "analyst-he"}),
        (f"/console/cases/{case_id}/links", {"customer_ids": linked}),
    ]:
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    assert services.cases.cases.get(case_id).case.state.value == "open"


def test_unknown_console_paths_are_an_html_404(client: TestClient, world: World) -> None:
    """Signed in or not, /console/<nothing> is an HTML 404 page; /v1 keeps problem+json."""
    r = client.get("/console/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no such page" in r.text
    sign_in(client, world.keys["sec-admin"])
    r = client.get("/console/alerts/x/y/z")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    r = client.get("/console/sign-out")  # POST only
    assert r.status_code == 405 and r.headers["content-type"].startswith("text/html")
    r = client.get("/v1/no-such-route")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_accounts_under_attack_show_by_tag_with_their_addresses(
    client: TestClient, world: World, services: Services
) -> None:
    """Twelve failed logins on one account from twelve addresses through the API: the page
    lists the account's engine tag with 12 addresses and 12 failures, never its name or an
    address; the decisions table counts this hour's 12 decisions."""
    headers = auth(world.keys["sec-admin"])
    for i in range(12):
        r = client.post(
            "/v1/logins/assess",
            json={"account": "target@example.com", "ip": f"198.51.100.{i + 1}"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        r = client.post(
            "/v1/logins/outcome",
            json={
                "assessment_id": r.json()["assessment_id"],
                "success": False,
                "account_known": True,
            },
            headers=headers,
        )
        assert r.status_code in (200, 204), r.text
    sign_in(client, world.keys["sec-admin"])
    page = client.get("/console/logins").text
    table = page[page.index('id="under-attack"') :]
    body = table[table.index("<tbody>") :]
    row = body[: body.index("</tr>")]
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[0] == f"<code>{services.risk.account_key('target@example.com')}</code>"
    assert cells[1] == "12" and cells[4] == "12" and cells[5] == "yes"
    assert "target@example.com" not in page and "198.51.100" not in page
    hours = page[page.index('id="decision-hours"') :]
    hours = hours[hours.index("<tbody>") :]
    hour_row = re.findall(r"<td>(.*?)</td>", hours[: hours.index("</tr>")])
    assert sum(int(x) for x in hour_row[1:4]) == 12 and hour_row[4] == "12"


def test_decisions_of_a_world_on_another_clock_are_shown_where_they_are(
    client: TestClient, world: World, services: Services, clock: ManualClock
) -> None:
    """Decisions kept ten days ago and none since (a simulated world served later): the page
    says so and shows the three days up to them, the account included, not an empty window."""
    history = services.risk.history
    assert history is not None
    at = clock.now().timestamp() - 10 * 86_400
    history.record(
        [
            DecisionEvent(at, Kind.DENY, "a:replayed", "i:1"),
            DecisionEvent(at + 60, Kind.FAILURE, "a:replayed", "i:2", True),
        ]
    )
    sign_in(client, world.keys["sec-admin"])
    page = client.get("/console/logins").text
    hour = datetime.fromtimestamp((int(at // 3600) + 1) * 3600, UTC).strftime("%Y-%m-%d %H:%M")
    assert 'id="replayed">' in page and f"({hour} UTC)" in page
    table = page[page.index('id="under-attack"') :]
    assert "<code>a:replayed</code>" in table[: table.index("</table>")]


def test_the_overview_separates_reports_from_confirmed_losses(
    client: TestClient, world: World, services: Services
) -> None:
    """Three victims registered in a case, two confirmed with losses of 1,500.00 and 25.50
    yuan: the overview shows 2 confirmed victims and ¥1,525.50, apart from scam reports."""
    csrf = sign_in(client, world.keys["sec-admin"])
    case_id = open_from_alert(client, csrf, an_alert(client, world))
    admin = services.custody.principals.get("sec-admin")
    assert admin is not None
    losses = [150_000, 2_550, 99_900]
    rows = [
        VictimRow(n, customer_id=c.customer_id, loss=fen)
        for n, (c, fen) in enumerate(zip(HARVESTED, losses, strict=False), 1)
    ]
    report = services.money.register.register(admin, case_id, rows, source=Source.POLICE)
    assert report.committed
    victims = services.money.register.find(case_id)
    for v in victims:
        if v.loss in losses[:2]:
            services.money.register.set_status(admin, v.victim_id, VictimStatus.CONFIRMED)
    page = client.get("/console/overview").text
    assert re.search(r'id="confirmed-victims">2<', page)
    assert "¥1,525.50" in page
    assert "not confirmed" in page and 'id="harm-note"' in page
