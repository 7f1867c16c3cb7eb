"""Scam scoring, reports and campaigns through the real HTTP API (no mocks of our code)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.functional.conftest import Store
from tests.functional.test_custody_api import assert_problem

WHEN = "2026-03-02T08:30:00+00:00"  # the services' clock reads 09:00 UTC
SCRIPT = (
    "您好,我是商城售后,您的快递丢失了,给您三倍赔偿,"
    "请加QQ 12345678,下载向日葵共享屏幕,把验证码告诉我"
)


def report(client: TestClient, store: Store, who: str, **body: object):  # type: ignore[no-untyped-def]
    payload = {"channel": "call", "received_at": WHEN, "text": SCRIPT, **body}
    return client.post("/v1/scam/reports", json=payload, headers=store.auth(who))


def test_every_scam_route_needs_a_key(store: Store, client: TestClient) -> None:
    """Scoring, reporting and campaign routes all answer 401 without a key."""
    for method, path in (
        ("post", "/v1/scam/score"),
        ("post", "/v1/scam/reports"),
        ("get", "/v1/scam/campaigns"),
        ("get", "/v1/scam/campaigns/cmp_x"),
        ("get", "/v1/scam/campaigns/cmp_x/victims"),
    ):
        resp = client.request(method, path, json={"text": "x"})
        assert_problem(resp, 401, "unauthenticated")


def test_score_over_http(store: Store, client: TestClient) -> None:
    """POST /v1/scam/score returns score, label and every signal with matched text and span."""
    resp = client.post("/v1/scam/score", json={"text": SCRIPT}, headers=store.auth("agent-li"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["label"] == "likely_scam" and body["score"] > 0.9 and body["lang"] == "zh"
    signals = {s["signal"] for s in body["signals"]}
    assert {"channel_shift", "screen_share", "code_request", "multiple_compensation"} <= signals
    for s in body["signals"]:
        start, end = s["span"]
        assert body["normalized"][start:end] == s["matched_text"]


def test_genuine_template_scores_low_over_http(store: Store, client: TestClient) -> None:
    """A message the store really sends (a configured template) is low_risk."""
    text = "【盾墙商城】验证码482913,5分钟内有效。请勿泄露给他人,客服不会向您索要验证码。"
    resp = client.post("/v1/scam/score", json={"text": text}, headers=store.auth("app"))
    assert resp.json()["label"] == "low_risk" and resp.json()["template"] == "zh.otp"


def test_score_with_real_order_facts(store: Store, client: TestClient) -> None:
    """Passing the customer's real order lets the scorer report that the caller quoted it."""
    resp = client.post(
        "/v1/scam/score",
        json={"text": "您好,您的订单 O0001 有质量问题", "facts": {"order_ids": ["O0001XYZ"]}},
        headers=store.auth("app"),
    )
    assert resp.status_code == 200
    resp = client.post(
        "/v1/scam/score",
        json={
            "text": "您好,您的订单 2026030112 有质量问题",
            "facts": {"order_ids": ["2026030112"]},
        },
        headers=store.auth("app"),
    )
    assert "real_order_quoted" in {s["signal"] for s in resp.json()["signals"]}


def test_score_bad_input_is_a_problem_document(store: Store, client: TestClient) -> None:
    """Bad lang, long text, unknown fields: 422 with the field; a non-UTF-8 body: 400."""
    auth = store.auth("agent-li")
    assert_problem(
        client.post("/v1/scam/score", json={"text": "x", "lang": "fr"}, headers=auth),
        422,
        "invalid_input",
        "lang",
    )
    body = assert_problem(
        client.post("/v1/scam/score", json={"text": "退" * 20_001}, headers=auth),
        422,
        "text_too_long",
        "text",
    )
    assert "退退" not in body["detail"]
    assert_problem(
        client.post("/v1/scam/score", json={"text": "x", "extra": 1}, headers=auth),
        422,
        "invalid_input",
        "extra",
    )
    resp = client.post(
        "/v1/scam/score",
        content=b'{"text": "\xff\xfe"}',
        headers={**auth, "content-type": "application/json"},
    )
    assert_problem(resp, 400, "http_error")


def test_lone_surrogate_in_json_is_refused(store: Store, client: TestClient) -> None:
    """A JSON \\ud800 escape (not a character) is a 422 naming the field, not a crash."""
    resp = client.post(
        "/v1/scam/score",
        content=b'{"text": "\\ud800 \xe5\x8a\xa0QQ 12345678"}',
        headers={**store.auth("app"), "content-type": "application/json"},
    )
    assert_problem(resp, 422, "invalid_input", "text")


def test_reports_cluster_and_victims_over_http(store: Store, client: TestClient) -> None:
    """The app and an agent report the same scam; the admin sees one campaign with victims."""
    c1, c2 = store.customers[0].customer_id, store.customers[1].customer_id
    first = report(client, store, "app", customer_id=c1, sender="13912345678")
    assert first.status_code == 201, first.text
    second = report(
        client,
        store,
        "agent-li",
        text="回电 139 1234 5678 办理理赔",
        customer_id=c2,
        caller_knew=["order_number"],
    )
    assert second.status_code == 201
    assert second.json()["campaign_id"] == first.json()["campaign_id"]
    assert second.json()["campaign_size"] == 2

    admin = store.auth("sec-admin")
    listed = client.get("/v1/scam/campaigns", headers=admin).json()["items"]
    assert len(listed) == 1 and listed[0]["size"] == 2 and listed[0]["victims"] == 2
    cid = listed[0]["campaign_id"]
    assert client.get(f"/v1/scam/campaigns/{cid}", headers=admin).json()["campaign_id"] == cid
    victims = client.get(f"/v1/scam/campaigns/{cid}/victims", headers=admin).json()["items"]
    assert [v["customer_id"] for v in victims] == [c2, c1]  # latest first contact first
    assert "order_number" in victims[0]["knew"]


def test_scam_role_gates(store: Store, client: TestClient) -> None:
    """Reports come from the app (naming the customer) or agents; campaigns are admin-only."""
    assert_problem(report(client, store, "courier-wang"), 403, "access_denied")
    assert_problem(report(client, store, "analyst-he"), 403, "access_denied")
    assert_problem(report(client, store, "app"), 422, "invalid_input", "customer_id")
    for who in ("agent-li", "app", "analyst-he"):
        resp = client.get("/v1/scam/campaigns", headers=store.auth(who))
        assert_problem(resp, 403, "access_denied")
    resp = client.get("/v1/scam/campaigns/cmp_nope/victims", headers=store.auth("sec-admin"))
    assert_problem(resp, 404, "not_found", "campaign_id")


def test_report_bad_input_over_http(store: Store, client: TestClient) -> None:
    """Bad channel, future time, bad phone and too many links are 422 with the field."""
    cases = [
        ({"channel": "pigeon"}, "channel"),
        ({"received_at": "2027-01-01T00:00:00+00:00"}, "received_at"),
        ({"victim_phone": "12"}, "victim_phone"),
        ({"links": ["http://a.top/"] * 21}, "links"),
        ({"received_at": "yesterday"}, "received_at"),
    ]
    for body, field in cases:
        assert_problem(report(client, store, "agent-li", **body), 422, "invalid_input", field)
    assert client.get("/v1/scam/campaigns", headers=store.auth("sec-admin")).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_report_response_never_echoes_card_numbers(store: Store, client: TestClient) -> None:
    """A card number in a report comes back only as a token and its last four digits."""
    resp = report(client, store, "agent-li", text="请转到安全账户 6222021234567890128")
    assert resp.status_code == 201
    assert "6222021234567890128" not in resp.text
    card = next(i for i in resp.json()["indicators"] if i["kind"] == "bank_card")
    assert card["value"].startswith("tok_") and card["detail"] == "0128"
