"""``POST /v1/discover/scan`` through the real HTTP API: masked findings, roles, bounds."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.functional.conftest import Store

ID = "11010519491231002X"  # GB 11643-1999's own example
TEXT = f"收件人：张伟，电话13800138000，身份证{ID}"


def test_scan_returns_spans_types_and_masks_only(client: TestClient, store: Store) -> None:
    """Each finding's span, type and masked value; the plaintext values are not in the body."""
    r = client.post("/v1/discover/scan", json={"text": TEXT}, headers=store.auth("analyst-he"))
    assert r.status_code == 200, r.text
    body = r.json()
    got = [(TEXT[f["start"] : f["end"]], f["type"], f["masked"]) for f in body["findings"]]
    assert got == [
        ("张伟", "name", "张*"),
        ("13800138000", "phone", "138****8000"),
        (ID, "national_id", "110105********002X"),
    ]
    assert body["redacted"] is None
    for value in ("13800138000", ID, "张伟"):
        assert value not in r.text


def test_redact_and_filters(client: TestClient, store: Store) -> None:
    """``redact`` returns the text with values replaced; ``types`` limits what is reported."""
    r = client.post(
        "/v1/discover/scan",
        json={"text": TEXT, "redact": True, "types": ["phone"]},
        headers=store.auth("app"),
    )
    assert r.status_code == 200
    assert r.json()["redacted"] == f"收件人：张伟，电话[phone]，身份证{ID}"


def test_needs_a_key_and_a_role(client: TestClient, store: Store) -> None:
    """No key: 401; an agent: 403."""
    assert client.post("/v1/discover/scan", json={"text": "x"}).status_code == 401
    r = client.post("/v1/discover/scan", json={"text": "x"}, headers=store.auth("agent-li"))
    assert r.status_code == 403


def test_bad_input_names_the_field(client: TestClient, store: Store) -> None:
    """Too long a text, an unknown type, a confidence over 1: 422 problem+json naming the field."""
    auth = store.auth("sec-admin")
    for body, field in (
        ({"text": "x" * 200_001}, "text"),
        ({"text": "x", "types": ["dna"]}, "types"),
        ({"text": "x", "min_confidence": 2}, "min_confidence"),
    ):
        r = client.post("/v1/discover/scan", json=body, headers=auth)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text
