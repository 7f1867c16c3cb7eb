"""How many times a request crosses into the thread pool: each crossing is a hand-off between
threads (a wake-up and a turn of the interpreter lock), so dependencies that do no I/O run on
the event loop and a sync route costs one crossing, its own."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from tests.functional.conftest import Store


def test_a_masked_read_crosses_into_the_thread_pool_once(
    store: Store, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET /v1/customers/{id} runs the vault's read in the pool and nothing else there: the
    services, the single-valued query check and the (cached) key check stay on the loop."""
    c = store.customers[0]
    h = store.auth("agent-li")
    opened = client.post(
        "/v1/tickets",
        json={"agent_id": "agent-li", "customer_id": c.customer_id},
        headers=store.auth("app"),
    )
    assert opened.status_code == 201
    url, params = f"/v1/customers/{c.customer_id}", {"purpose": "after_sales"}
    assert client.get(url, params=params, headers=h).status_code == 200  # the key is cached now
    crossed: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # FastAPI hands over a partial: of the dependency, or of a wrapper around the endpoint
        named = (
            func.keywords.get("function", func.func)
            if isinstance(func, functools.partial)
            else func
        )
        crossed.append(getattr(named, "__qualname__", repr(named)))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    read = client.get(url, params=params, headers=h)
    assert read.status_code == 200 and read.json()["reasons"] == ["via_ticket"]
    assert crossed == ["read_customer"], crossed
