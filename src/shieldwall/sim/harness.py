"""The simulator's view of shieldwall: its public HTTP API and CLI, nothing else.

:class:`Harness` creates a fresh SQLite home, writes the home's ``shieldwall.toml`` (the insider
watch on, the store's brand for the lookalike scanner, the API's wall-clock rate limits off), runs
:func:`shieldwall.wiring.initialize` and :func:`shieldwall.wiring.build` with a
:class:`~shieldwall.core.clock.ManualClock` so simulated days pass instantly, and serves
:func:`shieldwall.api.app.create_app` through ``fastapi.testclient.TestClient`` (real HTTP semantics
over ASGI: status codes, headers, problem+json bodies). The first admin is made as ``shieldwall
principals add`` makes it, at simulated time (:meth:`Harness.bootstrap_admin`); every other
principal, customer and order arrives through the API. CLI commands run in process through
:func:`shieldwall.cli.app.main` with ``SHIELDWALL_HOME`` pointing at the simulated home.

Besides that first admin, the one thing the simulator reaches into is the in-process watch's
:meth:`~shieldwall.trace.watch.runner.WatchRunner.flush`: it waits until the watch has processed
everything appended so far, so "what had shieldwall raised by simulated time T" has one answer.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

from shieldwall.api.app import create_app
from shieldwall.cli import common
from shieldwall.cli.app import main
from shieldwall.config import load_settings
from shieldwall.core.clock import ManualClock
from shieldwall.sim.errors import PrincipalSuspended, SimulationError
from shieldwall.wiring import Services, build, initialize

with warnings.catch_warnings():
    # Starlette asks for "httpx2" when its test client is imported; the client works as is and
    # the warning would be the first line a demo user sees.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

BRAND = "Jingxuan"
BRAND_DOMAIN = "jingxuan.com"
BRAND_WORDS = ("jingxuan", "jx", "京选")
STORE_NAME = "京选商城"
HOTLINE = "4008123456"
SMS_SENDER = "1069012345"


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_config(home: Path) -> None:
    """The home's config file and the brands file it names."""
    brands = home / "brands.toml"
    words = ", ".join(_toml_str(w) for w in BRAND_WORDS)
    brands.write_text(
        f'[[brands]]\nname = "{BRAND}"\ndomains = ["{BRAND_DOMAIN}"]\nwords = [{words}]\n',
        encoding="utf-8",
    )
    (home / "shieldwall.toml").write_text(
        f"store_name = {_toml_str(STORE_NAME)}\n"
        "[audit]\ncheckpoint_every = 5000\ncommit_linger_ms = 0\n"
        # simulated days pass in wall-clock seconds: a wall-clock request rate means nothing here
        "[api.rate_limits]\nenabled = false\n"
        "[contact.domains]\n"
        f"brands_file = {_toml_str(str(brands))}\n"
        "[trace.watch]\nenabled = true\ndrain_seconds = 0.02\npoll_seconds = 0.2\n"
        # the console, served later by another process, shows the world's login decisions
        '[guard.risk]\nhistory_backend = "database"\n',
        encoding="utf-8",
    )


@dataclass
class Response:
    """What the simulator keeps of an HTTP answer."""

    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Harness:
    """A fresh shieldwall under ``home``, driven through its API and CLI at simulated time."""

    home: Path
    clock: ManualClock
    services: Services
    client: TestClient
    keys: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    suspended: set[str] = field(default_factory=set)  # principals the security team suspended
    refused_suspended: int = 0  # their requests the API refused
    cli_calls: int = 0
    per_hour: Counter[int] = field(default_factory=Counter)  # requests by simulated UTC hour

    @classmethod
    @contextlib.contextmanager
    def open(cls, home: Path, start: datetime) -> Iterator[Harness]:
        if home.exists() and any(home.iterdir()):
            raise SimulationError(f"{home} is not empty; give a fresh --out directory")
        home.mkdir(parents=True, exist_ok=True)
        write_config(home)
        settings = load_settings({"SHIELDWALL_HOME": str(home)})
        clock = ManualClock(start)
        initialize(settings, clock)
        services = build(settings, clock)
        try:
            with TestClient(create_app(services), raise_server_exceptions=True) as client:
                yield cls(home, clock, services, client)
        finally:
            services.close()

    # -- HTTP ----------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        who: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> Response:
        """One request as ``who``; an answer outside ``expect`` stops the simulation."""
        h = {"Authorization": f"Bearer {self.keys[who]}", **(headers or {})}
        r = self.client.request(
            method, path, json=json_body, content=content, params=params, headers=h
        )
        self.requests += 1
        self.per_hour[int(self.clock.now().timestamp() // 3600)] += 1
        body: Any = r.json() if r.content else None
        if r.status_code == 401 and who in self.suspended:
            self.refused_suspended += 1
            raise PrincipalSuspended(who)
        if r.status_code not in expect:
            detail = body.get("detail") if isinstance(body, dict) else None
            raise SimulationError(f"{method} {path} as {who}: {r.status_code} {detail}")
        return Response(r.status_code, body)

    def get(self, path: str, who: str, **kw: Any) -> Response:
        return self.call("GET", path, who, **kw)

    def get_all(self, path: str, who: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a paged list route, following ``next_cursor`` page by page."""
        items: list[Any] = []
        query: dict[str, Any] = {**(params or {}), "limit": 500}
        while True:
            body = self.get(path, who, params=query).body
            items.extend(body["items"])
            if body["next_cursor"] is None:
                return items
            query["cursor"] = body["next_cursor"]

    def post(self, path: str, who: str, body: Any = None, **kw: Any) -> Response:
        return self.call("POST", path, who, json_body=body, **kw)

    def has_route(self, method: str, path: str) -> bool:
        """Does this build serve ``METHOD path``? Asked without credentials: a route that
        exists answers 401 (or 405 for another method), one that does not answers 404."""
        status: int = self.client.request(method, path).status_code
        return status != 404

    def bootstrap_admin(self, principal_id: str, unit: str) -> None:
        """The first admin, made the way ``shieldwall principals add`` makes it, but at
        simulated time: the CLI runs on the wall clock, and one audit entry dated today in a log
        of simulated days would be, to the watch, a record from the future (it moves the watch's
        day forward for good; see the report's notes)."""
        _, self.keys[principal_id] = self.services.custody.principals.add(
            principal_id, "admin", unit=unit
        )

    def add_principal(
        self,
        principal_id: str,
        role: str,
        unit: str | None,
        admin: str,
        display_name: str | None = None,
    ) -> None:
        body = {"principal_id": principal_id, "role": role, "unit": unit}
        if display_name is not None:
            body["display_name"] = display_name
        self.keys[principal_id] = self.post("/v1/principals", admin, body).body["api_key"]

    # -- the insider watch ---------------------------------------------------------------------

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until the in-process watch has processed every audit entry appended so far."""
        if not self.services.watch.flush(timeout):
            raise SimulationError("the insider watch did not catch up in time")

    # -- CLI -----------------------------------------------------------------------------------

    def cli(self, *argv: str) -> tuple[int, str, str]:
        """``shieldwall ARGV`` in process against this home: (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        old = os.environ.get("SHIELDWALL_HOME")
        os.environ["SHIELDWALL_HOME"] = str(self.home)
        common.settings.cache_clear()
        common.services.cache_clear()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(list(argv))
        finally:
            if common.services.cache_info().currsize:
                common.services().close()
            common.settings.cache_clear()
            common.services.cache_clear()
            if old is None:
                os.environ.pop("SHIELDWALL_HOME", None)
            else:
                os.environ["SHIELDWALL_HOME"] = old
        self.cli_calls += 1
        return code, out.getvalue(), err.getvalue()

    def cli_json(self, *argv: str) -> Any:
        code, out, err = self.cli(*argv, "--json")
        if code != 0:
            raise SimulationError(f"shieldwall {' '.join(argv)}: exit {code}: {err.strip()}")
        return json.loads(out)
