"""A SoftHSM2 token of its own for one test: a temp config, a temp token directory, a fresh token.

SoftHSM2 reads ``SOFTHSM2_CONF`` when the PKCS#11 library is initialised (``C_Initialize``), and
python-pkcs11 loads one library per process, so after pointing the variable at this test's
config the library is re-initialised; a provider from an earlier test must have been closed.
The Makefile installs the Debian ``softhsm2`` package before ``make test`` runs pytest.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")


@dataclass(frozen=True)
class SoftToken:
    module: Path
    label: str
    pin: str
    so_pin: str
    conf: Path
    token_dir: Path


@contextmanager
def softhsm_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, label: str = "shieldwall-test"
) -> Iterator[SoftToken]:
    """A new initialised token labelled ``label``, visible to this process's PKCS#11 library."""
    util = shutil.which("softhsm2-util")
    if util is None or not MODULE.is_file():
        pytest.fail("SoftHSM2 is not installed: apt-get install softhsm2 (make test does)")
    token_dir = tmp_path / "softhsm-tokens"
    token_dir.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {token_dir}\nobjectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    token = SoftToken(MODULE, label, "2468-user", "1357-so", conf, token_dir)
    subprocess.run(
        [
            util,
            "--init-token",
            "--free",
            "--label",
            label,
            "--pin",
            token.pin,
            "--so-pin",
            token.so_pin,
        ],
        check=True,
        capture_output=True,
        env={"SOFTHSM2_CONF": str(conf), "PATH": "/usr/bin:/bin"},
    )
    import pkcs11

    pkcs11.lib(str(MODULE)).reinitialize()
    yield token
