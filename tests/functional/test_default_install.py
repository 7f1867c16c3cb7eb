"""The default install (SQLite, in-process state) works without the optional extras: the CLI,
the API and the composition root import, and ``init``, an import and a masked read succeed with
psycopg and redis unimportable; configuring a feature without its extra fails in one line
naming the extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs real CLI commands in a fresh interpreter in which the extras' libraries cannot be
# imported; argv[1] is a JSON list of [env, args] steps, stdout a JSON list of [code, out, err].
BLOCKED_CLI = """
import contextlib, importlib.abc, io, json, os, sys

BLOCKED = ("psycopg", "psycopg2", "redis")


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked", name=name)
        return None


sys.meta_path.insert(0, Blocker())
import shieldwall.api.app
import shieldwall.wiring
from shieldwall.cli import common
from shieldwall.cli.app import main

results = []
for env, args in json.loads(sys.argv[1]):
    os.environ.update(env)
    common.settings.cache_clear()
    common.services.cache_clear()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    if common.services.cache_info().currsize:
        common.services().close()
    for k in env:
        del os.environ[k]
    results.append([code, out.getvalue(), err.getvalue()])
results.append(sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
print(json.dumps(results))
"""

# A customer worked by hand: GB 11643's example ID number (check digit X), a CN mobile.
CUSTOMERS = (
    "customer_id,name,phone,email,address,national_id\n"
    "C000001,张三丰,+8613812345678,zhang@example.com,北京市朝阳区建国路88号,11010519491231002X\n"
)


def _run_blocked(
    tmp_path: Path, steps: list[tuple[dict[str, str], list[str]]]
) -> list[tuple[int, str, str]]:
    """Run the CLI ``steps`` in one interpreter without the extras; each step's result."""
    script = tmp_path / "blocked_cli.py"
    script.write_text(BLOCKED_CLI, encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SHIELDWALL_DATABASE_URL", "SHIELDWALL_STATE_BACKEND")
    }
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(steps)],
        capture_output=True,
        text=True,
        env={**env, "SHIELDWALL_HOME": str(tmp_path / "home")},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *results, loaded = json.loads(done.stdout)
    assert loaded == [], f"an extra's library was imported: {loaded}"
    return [(code, out, err) for code, out, err in results]


@pytest.mark.slow
def test_default_paths_work_without_extras(tmp_path: Path) -> None:
    """init, customers import, principals add and a masked read run with psycopg and redis
    unimportable and never imported; a Redis backend or a PostgreSQL URL configured without
    its extra fails with one line naming the extra."""
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    read = ["customers", "show", "C000001", "--as", "sec-admin", "--purpose", "investigation"]
    add = ["principals", "add", "other-admin", "--role", "admin"]
    results = _run_blocked(
        tmp_path,
        [
            ({}, ["init"]),
            ({}, ["customers", "import", str(path)]),
            ({}, ["principals", "add", "sec-admin", "--role", "admin"]),
            ({}, [*read, "--reason", "checking the default install reads", "--json"]),
            ({"SHIELDWALL_STATE_BACKEND": "redis"}, add),
            ({"SHIELDWALL_DATABASE_URL": "postgresql+psycopg://127.0.0.1:5432/test"}, add),
        ],
    )
    for code, _, err in results[:4]:
        assert code == 0, err
    fields = json.loads(results[3][1])["fields"]
    assert fields["phone"] == {"view": "masked", "value": "138****5678"}
    assert fields["name"] == {"view": "masked", "value": "张**"}
    assert fields["national_id"] == {"view": "masked", "value": "110105********002X"}
    for (code, _, err), extra in zip(results[4:], ("redis", "postgres"), strict=True):
        lines = err.strip().splitlines()
        assert code == 1 and len(lines) == 1, err
        assert lines[0].startswith("error: ") and f"pip install 'shieldwall[{extra}]'" in lines[0]
