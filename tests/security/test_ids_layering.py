"""Production code never imports the simulator (issue #10): only the ``simulate`` command and
the demo may."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import shieldwall

PACKAGE = Path(shieldwall.__file__).resolve().parent
ALLOWED = {PACKAGE / "cli" / "simulate.py", PACKAGE / "demo.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_production_module_imports_the_simulator() -> None:
    """No module outside shieldwall/sim (bar cli/simulate.py and demo.py) imports shieldwall.sim."""
    offenders = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "sim" not in path.relative_to(PACKAGE).parts[:1]
        and path not in ALLOWED
        and any(n == "shieldwall.sim" or n.startswith("shieldwall.sim.") for n in _imports(path))
    )
    assert offenders == []


def test_canaries_load_without_the_simulator() -> None:
    """Importing the release service (canaries included) leaves shieldwall.sim unloaded."""
    code = (
        "import sys, shieldwall.trace.releases.service, shieldwall.trace.attribution.file;"
        "print(sorted(m for m in sys.modules if m.startswith('shieldwall.sim')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"
