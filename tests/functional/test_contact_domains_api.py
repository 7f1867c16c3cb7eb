"""``POST /v1/domains/check`` through the real FastAPI app (SQLite home), no mocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.wiring import build, initialize

BRANDS = '[[brands]]\nname = "JD"\ndomains = ["jd.com", "jd.hk"]\nwords = ["jingdong", "京东"]\n'


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    brands = tmp_path / "brands.toml"
    brands.write_text(BRANDS, encoding="utf-8")
    settings = load_settings(
        {"SHIELDWALL_HOME": str(tmp_path / "home")},
        overrides={"contact": {"domains": {"brands_file": str(brands)}}},
    )
    initialize(settings)
    services = build(settings)
    _, key = services.custody.principals.add("app", "service", unit="store-app")
    with TestClient(create_app(services)) as client:
        yield client, {"Authorization": f"Bearer {key}"}
    services.close()


def test_check_needs_a_key(api: tuple[TestClient, dict[str, str]]) -> None:
    """Without an API key the route answers 401 problem+json."""
    client, _ = api
    response = client.post("/v1/domains/check", json={"names": ["jd.com"]})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_check_judges_each_name(api: tuple[TestClient, dict[str, str]]) -> None:
    """Configured brands are used; a bad name is an error entry and the others are judged."""
    client, auth = api
    names = ["item.jd.com", "jingdong-tuikuan.top", "xn--zz.com", "example.org", "京东客服.cn"]
    response = client.post("/v1/domains/check", json={"names": names}, headers=auth)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r.get("verdict", "error") for r in results] == [
        "official",
        "lookalike",
        "error",
        "clean",
        "lookalike",
    ]
    assert results[1]["brand"] == "JD" and "combosquatting" in results[1]["techniques"]
    assert "punycode" in results[2]["error"]


def test_brands_in_the_request_replace_the_configured(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    """Passing brands judges against those official domains instead."""
    client, auth = api
    body = {"names": ["paypa1.com", "jingdon.com"], "brands": ["paypal.com"]}
    results = client.post("/v1/domains/check", json=body, headers=auth).json()["results"]
    assert [r["verdict"] for r in results] == ["lookalike", "clean"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"names": []}, "names"),
        ({"names": ["a" * 3000]}, "names"),
        ({"names": ["jd.com"] * 1001}, "names"),
        ({"names": ["jd.com"], "colour": "red"}, "colour"),
        ({"names": ["jd.com"], "brands": ["not a domain"]}, "brands"),
    ],
)
def test_bad_requests_name_the_field(
    api: tuple[TestClient, dict[str, str]], body: dict[str, object], field: str
) -> None:
    """Malformed bodies get 422 problem+json naming the field."""
    client, auth = api
    response = client.post("/v1/domains/check", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert field in response.text
