"""Cursor pagination on the short lists held whole in memory (principals, official numbers)
and on the lists paged in the database (cases, victims, claims, ledger postings, the warnings
outbox): the same ``items``/``next_cursor`` contract as alerts, releases and campaigns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shieldwall.core.clock import ManualClock
from shieldwall.core.model import Customer
from tests.functional.conftest import ROLES, Store
from tests.functional.test_contact_ledger_api import NUMBERS, numbers  # noqa: F401 - a fixture
from tests.functional.test_contact_scam_api import report
from tests.functional.test_custody_api import assert_problem


def _page_through(
    client: TestClient, store: Store, path: str, limit: int, **filters: str
) -> list[list[Any]]:
    pages: list[list[Any]] = []
    params: dict[str, Any] = {"limit": limit, **filters}
    while True:
        resp = client.get(path, params=params, headers=store.auth("sec-admin"))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append(body["items"])
        if body["next_cursor"] is None:
            return pages
        params["cursor"] = body["next_cursor"]


def test_principals_page_by_id_and_a_new_principal_does_not_shift_the_pages(
    store: Store, client: TestClient
) -> None:
    """Pages of 3 hold every principal once, by id descending; one added between two requests
    (its id sorts before those served) does not reappear or push another off a page."""
    pages = _page_through(client, store, "/v1/principals", 3)
    ids = [p["principal_id"] for page in pages for p in page]
    assert ids == sorted(ROLES, reverse=True)  # the fixture's eight, none twice
    assert [len(page) for page in pages] == [3, 3, 2]
    first = client.get(
        "/v1/principals", params={"limit": 3}, headers=store.auth("sec-admin")
    ).json()
    added = client.post(
        "/v1/principals",
        json={"principal_id": "zz-new-agent", "role": "agent", "unit": "cs-team-1"},
        headers=store.auth("sec-admin"),
    )
    assert added.status_code == 201, added.text
    rest = client.get(
        "/v1/principals",
        params={"limit": 500, "cursor": first["next_cursor"]},
        headers=store.auth("sec-admin"),
    ).json()
    assert [p["principal_id"] for p in rest["items"]] == ids[3:]


@pytest.mark.usefixtures("numbers")
def test_numbers_page_newest_first(store: Store, client: TestClient) -> None:
    """Official numbers in pages of 1: all four, once each, newest registration first (the
    same instant: by number, descending)."""
    pages = _page_through(client, store, "/v1/numbers", 1)
    assert [len(p) for p in pages] == [1, 1, 1, 1]
    listed = [p[0] for p in pages]
    assert sorted(n["kind"] for n in listed) == sorted(b["kind"] for b in NUMBERS)
    order = [(datetime.fromisoformat(n["created_at"]), n["number"]) for n in listed]
    assert order == sorted(order, reverse=True)


def test_campaign_victims_and_case_evidence_page(store: Store, client: TestClient) -> None:
    """A campaign's victims and a case's evidence in pages of 1: each once, and a cursor of
    one campaign's victims is refused by another list."""
    admin = store.auth("sec-admin")
    ids = [c.customer_id for c in store.customers[:3]]
    for cid in ids:
        assert report(client, store, "app", customer_id=cid).status_code == 201
    (campaign,) = client.get("/v1/scam/campaigns", headers=admin).json()["items"]
    path = f"/v1/scam/campaigns/{campaign['campaign_id']}/victims"
    pages = _page_through(client, store, path, 1)
    assert sorted(v["customer_id"] for p in pages for v in p) == sorted(ids)
    assert [len(p) for p in pages] == [1, 1, 1]

    case_id = client.post("/v1/cases", json={"source": "manual"}, headers=admin).json()["case_id"]
    for n in range(3):
        resp = client.post(
            f"/v1/cases/{case_id}/evidence",
            params={"kind": "other"},
            content=f"item {n}".encode(),
            headers=admin,
        )
        assert resp.status_code == 201, resp.text
    pages = _page_through(client, store, f"/v1/cases/{case_id}/evidence", 2)
    assert [len(p) for p in pages] == [2, 1]
    assert len({e["evidence_id"] for p in pages for e in p}) == 3
    first = client.get(path, params={"limit": 1}, headers=admin).json()["next_cursor"]
    assert_problem(
        client.get(f"/v1/cases/{case_id}/evidence", params={"cursor": first}, headers=admin),
        422,
        "invalid_input",
        "cursor",
    )


def _add_case(client: TestClient, store: Store, n: int) -> str:
    resp = client.post("/v1/cases", json={"source": "manual"}, headers=store.auth("sec-admin"))
    assert resp.status_code == 201, resp.text
    return str(resp.json()["case_id"])


def _add_victim(client: TestClient, store: Store, n: int) -> str:
    row = {"customer_id": store.customers[n].customer_id}
    body = {"case_id": "case-paged", "source": "police", "rows": [row]}
    resp = client.post("/v1/victims:import", json=body, headers=store.auth("sec-admin"))
    assert resp.status_code == 200 and resp.json()["registered"] == 1, resp.text
    return str(resp.json()["victims"][0]["victim_id"])


def _submit_claim(client: TestClient, store: Store, n: int) -> dict[str, Any]:
    body = {
        "case_id": "case-paged",
        "customer_id": store.customers[n].customer_id,
        "amount_fen": 1_000 + n,
    }
    resp = client.post("/v1/claims", json=body, headers=store.auth("agent-li"))
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _add_claim(client: TestClient, store: Store, n: int) -> str:
    return str(_submit_claim(client, store, n)["claim_id"])


def _add_posting(client: TestClient, store: Store, n: int) -> str:
    """A claim reviewed and approved: one ``approval`` posting."""
    admin = store.auth("sec-admin")
    cid = _submit_claim(client, store, n)["claim_id"]
    assert client.post(f"/v1/claims/{cid}/review", headers=admin).status_code == 200
    key = {"Idempotency-Key": f"paged-{n:08d}"}
    resp = client.post(f"/v1/claims/{cid}/approve", json={}, headers=admin | key)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["posting"]["posting_id"])


# path, the id field of an item, how to add one row
RESPOND_LISTS: list[tuple[str, str, Callable[[TestClient, Store, int], str]]] = [
    ("/v1/cases", "case_id", _add_case),
    ("/v1/victims", "victim_id", _add_victim),
    ("/v1/claims", "claim_id", _add_claim),
    ("/v1/ledger/postings", "posting_id", _add_posting),
]


@pytest.mark.parametrize(("path", "key", "add"), RESPOND_LISTS)
def test_respond_lists_page_newest_first_and_a_new_row_does_not_shift_the_pages(
    store: Store,
    client: TestClient,
    clock: ManualClock,
    path: str,
    key: str,
    add: Callable[[TestClient, Store, int], str],
) -> None:
    """Five rows added a second apart come back in pages of 2 (2, 2, 1), each once, in the
    reverse of the order they were added; a row added after the first page was served lands
    before it, so the second page onwards is exactly what it would have been."""
    added = []
    for n in range(5):
        clock.advance(1)
        added.append(add(client, store, n))
    pages = _page_through(client, store, path, 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    served = [item[key] for page in pages for item in page]
    assert served == added[::-1]

    admin = store.auth("sec-admin")
    first = client.get(path, params={"limit": 2}, headers=admin).json()
    assert [item[key] for item in first["items"]] == served[:2]
    clock.advance(1)
    newest = add(client, store, 5)
    rest = client.get(path, params={"limit": 500, "cursor": first["next_cursor"]}, headers=admin)
    assert rest.status_code == 200, rest.text
    assert [item[key] for item in rest.json()["items"]] == served[2:]
    assert rest.json()["next_cursor"] is None
    again = client.get(path, params={"limit": 1}, headers=admin).json()
    assert [item[key] for item in again["items"]] == [newest]


@pytest.mark.parametrize(
    ("path", "outsider"),
    [
        ("/v1/principals", "agent-li"),
        ("/v1/numbers", "agent-li"),
        ("/v1/cases", "agent-li"),
        ("/v1/victims", "analyst-he"),
        ("/v1/claims", "analyst-he"),
        ("/v1/ledger/postings", "agent-li"),
        ("/v1/warnings", "agent-li"),
    ],
)
def test_a_bad_cursor_or_limit_is_a_422_naming_the_field(
    store: Store, client: TestClient, path: str, outsider: str
) -> None:
    """Garbage, a cursor of another list, a limit out of 1..500: 422 problem+json."""
    admin = store.auth("sec-admin")
    for cursor in (
        "not-a-cursor",
        "x" * 600,
        "WyJhbGVydHMiLCAiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsICJhIl0",
    ):
        assert_problem(
            client.get(path, params={"cursor": cursor}, headers=admin),
            422,
            "invalid_input",
            "cursor",
        )
    for limit in (0, 501):
        assert_problem(
            client.get(path, params={"limit": limit}, headers=admin), 422, "invalid_input", "limit"
        )
    assert_problem(client.get(path, headers=store.auth(outsider)), 403, "access_denied")


def test_a_bad_cursor_on_campaign_victims_is_a_422(store: Store, client: TestClient) -> None:
    """The victims list checks its cursor once the campaign exists."""
    admin = store.auth("sec-admin")
    assert (
        report(client, store, "app", customer_id=store.customers[0].customer_id).status_code == 201
    )
    (campaign,) = client.get("/v1/scam/campaigns", headers=admin).json()["items"]
    path = f"/v1/scam/campaigns/{campaign['campaign_id']}/victims"
    assert_problem(
        client.get(path, params={"cursor": "garbage"}, headers=admin),
        422,
        "invalid_input",
        "cursor",
    )


def _queue(store: Store, leak: str, customers: list[Customer]) -> None:
    """Plan and queue warnings for ``customers`` as in a leak (``shieldwall warn plan``)."""
    planner = store.services.contact_ledger.planner
    report = planner.enqueue(planner.plan_leak(leak, [c.customer_id for c in customers]))
    assert report.queued == len(customers)


# What a warning in the list carries, written out: ids, trigger, channel, state and times.
WARNING_KEYS = {
    "notification_id",
    "customer_id",
    "trigger",
    "channel",
    "status",
    "score",
    "attempts",
    "created_at",
    "next_attempt_at",
    "sent_at",
    "last_error",
}


def test_warnings_page_newest_queued_first_and_a_new_warning_does_not_shift_the_pages(
    store: Store, client: TestClient, clock: ManualClock
) -> None:
    """Three warnings for leak-a, then two for leak-b a second later: pages of 2 hold the five
    once each (2, 2, 1), leak-b's first, ties in time by id descending; a warning queued after
    the first page lands before it; the filters hold on every page; no page shows a phone,
    e-mail, name or address."""
    first_leak, second_leak = store.customers[:3], store.customers[3:5]
    clock.advance(1)
    _queue(store, "leak-a", first_leak)
    clock.advance(1)
    _queue(store, "leak-b", second_leak)

    pages = _page_through(client, store, "/v1/warnings", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    served = [w for page in pages for w in page]
    assert all(set(w) == WARNING_KEYS for w in served)
    assert len({w["notification_id"] for w in served}) == 5
    assert [w["trigger"] for w in served] == ["leak:leak-b"] * 2 + ["leak:leak-a"] * 3
    assert {w["customer_id"] for w in served[:2]} == {c.customer_id for c in second_leak}
    assert {w["customer_id"] for w in served[2:]} == {c.customer_id for c in first_leak}
    for group in (served[:2], served[2:]):
        ids = [w["notification_id"] for w in group]
        assert ids == sorted(ids, reverse=True)
        assert len({w["created_at"] for w in group}) == 1
    assert {w["status"] for w in served} == {"pending"}
    text = str(pages)
    for c in store.customers[:5]:
        assert not [v for v in (c.name, c.phone, c.email, c.address) if v and v in text]

    admin = store.auth("sec-admin")
    first = client.get("/v1/warnings", params={"limit": 2}, headers=admin).json()
    clock.advance(1)
    _queue(store, "leak-c", store.customers[5:6])
    rest = client.get(
        "/v1/warnings", params={"limit": 500, "cursor": first["next_cursor"]}, headers=admin
    )
    assert rest.status_code == 200, rest.text
    assert rest.json()["items"] == served[2:] and rest.json()["next_cursor"] is None
    newest = client.get("/v1/warnings", params={"limit": 1}, headers=admin).json()["items"]
    assert [w["customer_id"] for w in newest] == [store.customers[5].customer_id]

    only_a = _page_through(client, store, "/v1/warnings", 2, leak="leak-a")
    assert [[w["notification_id"] for w in p] for p in only_a] == [
        [w["notification_id"] for w in served[2:4]],
        [served[4]["notification_id"]],
    ]
    sent = client.get("/v1/warnings", params={"status": "sent"}, headers=admin)
    assert sent.json() == {"items": [], "next_cursor": None}


def test_warnings_filters_refuse_what_they_cannot_read(store: Store, client: TestClient) -> None:
    """Both triggers, a trigger id the planner would refuse, an unknown status: 422 naming it."""
    admin = store.auth("sec-admin")
    for params, where in (
        ({"leak": "a", "campaign": "b"}, "campaign"),
        ({"leak": "bad id"}, "leak"),
        ({"status": "lost"}, "status"),
    ):
        assert_problem(
            client.get("/v1/warnings", params=params, headers=admin), 422, "invalid_input", where
        )
