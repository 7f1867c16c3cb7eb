"""The CLI starts without the heavy libraries: importing its entry module, and ``shieldwall
--help``, load none of them (each command loads what it needs when it runs). Checked in a fresh
interpreter, where ``sys.modules`` holds only what start-up imported."""

from __future__ import annotations

import json
import re
import subprocess
import sys

# Libraries a command may need but start-up must not load: the database layer and its
# migrations, the web stack, the leak-file and report readers and writers, the scorers, the
# stream client, the crypto and phone-number libraries, and pydantic's settings models.
DEFERRED = frozenset(
    {
        "openpyxl",
        "PIL",
        "alembic",
        "sqlalchemy",
        "psycopg",
        "redis",
        "fastapi",
        "starlette",
        "uvicorn",
        "httpx",
        "nats",
        "rapidfuzz",
        "numpy",
        "scipy",
        "faker",
        "reportlab",
        "jinja2",
        "zxcvbn",
        "cryptography",
        "Cryptodome",
        "phonenumbers",
        "stdnum",
        "limits",
        "pydantic",
    }
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=600, check=False
    )


def test_importing_the_cli_loads_no_heavy_library() -> None:
    """``import shieldwall.cli.app`` (the console script's module) leaves every deferred
    library out of ``sys.modules``, while it does hold the CLI's own modules."""
    done = _run(
        "-c",
        "import json, sys, shieldwall.cli.app; print(json.dumps(sorted(sys.modules)))",
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert {"typer", "shieldwall.cli.custody", "shieldwall.cli.guard_passwords"} <= loaded
    assert sorted({m.split(".")[0] for m in loaded} & DEFERRED) == []


def test_help_loads_no_heavy_library_and_lists_every_group() -> None:
    """``shieldwall --help`` (``python -m shieldwall``) exits 0, names the command groups, and
    ``-X importtime`` shows none of the deferred libraries imported on the way."""
    done = _run("-X", "importtime", "-m", "shieldwall", "--help")
    assert done.returncode == 0, done.stderr
    for group in ("customers", "audit", "passwords", "domains", "scam", "trace", "worker"):
        assert re.search(rf"\b{group}\b", done.stdout), group
    imported = {
        m.group(1).split(".")[0]
        for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", done.stderr, re.M)
    }
    assert "typer" in imported  # the parse worked
    assert sorted(imported & DEFERRED) == []
