"""Cursor pagination on the short lists held whole in memory (principals, official numbers):
the same ``items``/``next_cursor`` contract as alerts, releases and campaigns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.functional.conftest import ROLES, Store
from tests.functional.test_contact_ledger_api import NUMBERS, numbers  # noqa: F401 - a fixture
from tests.functional.test_contact_scam_api import report
from tests.functional.test_custody_api import assert_problem


def _page_through(client: TestClient, store: Store, path: str, limit: int) -> list[list[Any]]:
    pages: list[list[Any]] = []
    params: dict[str, Any] = {"limit": limit}
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


@pytest.mark.parametrize("path", ["/v1/principals", "/v1/numbers"])
def test_a_bad_cursor_or_limit_is_a_422_naming_the_field(
    store: Store, client: TestClient, path: str
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
    assert_problem(client.get(path, headers=store.auth("agent-li")), 403, "access_denied")


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
