"""CPU time per masked read on PostgreSQL, in one process: a figure the machine's other load
disturbs less than requests per second over HTTP (``bench_http_read``).

Set-up: a schema of its own in the PostgreSQL database at 127.0.0.1:5432 (``test``; override with
``SHIELDWALL_BENCH_PG``), 50 generated customers, an agent with one open ticket per customer
(opened by a ``service`` principal). Then ``N`` reads (default 400) one after another, each timed
by the process's CPU clock (every thread):

- ``vault``: ``Vault.read_customer`` called directly (policy, ticket lookup, decryption, masking,
  the audit entry durable on PostgreSQL);
- ``http``: ``GET /v1/customers/{id}?purpose=after_sales`` through FastAPI's ``TestClient``
  (the whole app and its middleware; the client's own work is in the figure too).

``PROFILE=1`` runs both loops under cProfile instead (CPU figures then include the profiler's
own cost: read the top entries, not the times; the profiler's clock is the process's CPU time,
so waits on the server count for nothing) and writes the top 40 functions of each by internal
time and by cumulative time to ``bench/out/read_cpu.profile.txt`` (raw stats beside it,
``read_cpu.<loop>.prof``, for pstats' callers and callees).

To compare two versions of the code, alternate them, each run on a fresh schema:
``for i in 1 2 3; do PYTHONPATH=<git archive of the old commit>/src python bench/bench_read_cpu.py;
python bench/bench_read_cpu.py; done`` and take the median of the per-pair ratios.
"""

from __future__ import annotations

import cProfile
import io
import logging
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from bench._util import pg_schema, save, table
from shieldwall.api.app import create_app
from shieldwall.config import load_settings
from shieldwall.sim.people import PeopleFactory
from shieldwall.wiring import build, initialize

N = int(os.environ.get("N", "400"))
CUSTOMERS = 50
PROFILE = os.environ.get("PROFILE") == "1"
_profiles: dict[str, cProfile.Profile] = {}


def _profiled(name: str) -> cProfile.Profile | None:
    if not PROFILE:
        return None
    prof = _profiles[name] = cProfile.Profile(time.process_time)  # CPU, not waits
    prof.enable()
    return prof


def _write_profiles() -> None:
    out = io.StringIO()
    for name, prof in _profiles.items():
        for key in ("tottime", "cumulative"):
            out.write(f"==== {name}: {N} reads, top 40 by {key}\n")
            pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(40)
    path = Path(__file__).resolve().parent / "out" / "read_cpu.profile.txt"
    path.parent.mkdir(exist_ok=True)
    for name, prof in _profiles.items():  # for pstats' callers and callees
        prof.dump_stats(path.with_name(f"read_cpu.{name}.prof"))
    path.write_text(out.getvalue())
    print(f"profiles: {path}")


def main() -> None:
    logging.disable(logging.INFO)  # the access line of every request is not what is measured
    with pg_schema() as url:
        settings = load_settings(
            {
                "SHIELDWALL_HOME": tempfile.mkdtemp(prefix="sw-bench-cpu-"),
                "SHIELDWALL_DATABASE_URL": url,
            }
        )
        initialize(settings)
        svc = build(settings)
        try:
            people = PeopleFactory(3).customers(CUSTOMERS)
            rows = [
                (
                    n,
                    {
                        f: getattr(c, f)
                        for f in ("customer_id", "name", "phone", "email", "address", "national_id")
                    },
                )
                for n, c in enumerate(people, 1)
            ]
            assert svc.custody.importer.customers(rows).committed
            desk, _ = svc.custody.principals.add("helpdesk", "service")
            _, key = svc.custody.principals.add("agent-bench", "agent", unit="cs-1")
            for c in people:
                svc.custody.relations.open_ticket(
                    "agent-bench", c.customer_id, actor=desk, channel="api"
                )
            caller = svc.custody.principals.authenticate(key)
            ids = [c.customer_id for c in people]
            vault = svc.custody.vault
            for i in range(CUSTOMERS):  # warm: pool, caches, the audit log's cover
                vault.read_customer(caller, ids[i], "after_sales")
            prof = _profiled("vault")
            start = time.process_time()
            for i in range(N):
                vault.read_customer(caller, ids[i % CUSTOMERS], "after_sales")
            if prof:
                prof.disable()
            vault_ms = (time.process_time() - start) * 1000 / N
            headers = {"Authorization": f"Bearer {key}"}
            params = {"purpose": "after_sales"}
            with TestClient(create_app(svc)) as client:
                for i in range(CUSTOMERS):
                    assert (
                        client.get(
                            f"/v1/customers/{ids[i]}", params=params, headers=headers
                        ).status_code
                        == 200
                    )
                prof = _profiled("http")
                start = time.process_time()
                for i in range(N):
                    resp = client.get(
                        f"/v1/customers/{ids[i % CUSTOMERS]}", params=params, headers=headers
                    )
                    assert resp.status_code == 200, resp.text
                if prof:
                    prof.disable()
                http_ms = (time.process_time() - start) * 1000 / N
        finally:
            svc.close()
    load = os.getloadavg()[0]
    if PROFILE:
        _write_profiles()
        return  # profiled times are not figures
    print(f"CPU per masked read on PostgreSQL, {N} reads one after another (load {load:.1f})")
    table(
        [
            ("vault.read_customer", f"{vault_ms:.2f} ms"),
            ("GET over TestClient", f"{http_ms:.2f} ms"),
        ]
    )
    save("read_cpu", {"reads": N, "vault_cpu_ms": vault_ms, "http_cpu_ms": http_ms, "load1": load})


if __name__ == "__main__":
    main()
