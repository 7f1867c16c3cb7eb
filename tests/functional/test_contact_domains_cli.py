"""``shieldwall domains`` end to end: the installed console script in a subprocess, no mocks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CLI = [str(Path(sys.executable).with_name("shieldwall")), "domains"]


def _run(
    args: list[str], stdin: bytes = b"", cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": "/usr/bin:/bin", "SHIELDWALL_HOME": str(cwd or Path.cwd())}
    return subprocess.run(
        CLI + args, input=stdin, capture_output=True, check=False, env=env, cwd=cwd
    )


def test_scan_stdin_writes_one_json_object_per_line(tmp_path: Path) -> None:
    """scan reads stdin and writes the contract fields per line; bad lines are errors, exit 0."""
    stdin = b"jd.com\nwww.jd.hk\njd-tuikuan.com\n\xff\xfe\njdsports.com\nxn--zz.com\n"
    done = _run(["scan", "--brand", "jd.com", "--brand", "jd.hk", "-"], stdin, tmp_path)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r.get("verdict", "error") for r in records] == [
        "official",
        "official",
        "lookalike",
        "error",
        "clean",
        "error",
    ]
    assert records[2]["brand"] == "jd" and "combosquatting" in records[2]["techniques"]
    assert {"input", "verdict", "brand", "techniques", "score"} <= set(records[0])
    assert "2 error" in done.stderr.decode()


def test_scan_file_with_brands_file(tmp_path: Path) -> None:
    """scan FILE --brands-file uses the file's brands, words and keywords."""
    brands = tmp_path / "brands.toml"
    brands.write_text(
        '[[brands]]\nname = "JD"\ndomains = ["jd.com"]\nwords = ["jingdong", "京东"]\n',
        encoding="utf-8",
    )
    names = tmp_path / "names.txt"
    names.write_text("京东退款.com\nhttps://jingdon.com/x\n", encoding="utf-8")
    done = _run(["scan", "--brands-file", str(brands), str(names)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r["verdict"] for r in records] == ["lookalike", "lookalike"]
    assert all(r["brand"] == "JD" for r in records)


def test_bad_options_exit_2_with_one_line(tmp_path: Path) -> None:
    """No brand, a bad brands file or a missing input file: one-line message, exit 2."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[[brands]]\nname = 'x'\n", encoding="utf-8")
    for args in (
        ["scan", "-"],
        ["scan", "--brands-file", str(bad), "-"],
        ["scan", "--brand", "jd.com", str(tmp_path / "missing.txt")],
        ["scan", "--brand", "not a domain", "-"],
    ):
        done = _run(args, cwd=tmp_path)
        assert done.returncode == 2, args
        message = done.stderr.decode().strip()
        assert message.startswith("error: ") and "\n" not in message, message


def test_permutations_watch_list(tmp_path: Path) -> None:
    """permutations prints unique punycode domains with their technique and brand."""
    done = _run(["permutations", "--brand", "taobao.com"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.decode().splitlines()]
    domains = [r["domain"] for r in records]
    assert len(domains) == len(set(domains)) > 300
    assert "taobao.com" not in domains
    assert all(d.isascii() for d in domains)
    assert {"homoglyph", "tld_swap", "combosquatting", "transposition"} <= {
        r["technique"] for r in records
    }
    text = _run(["permutations", "--brand", "taobao.com", "--format", "text"], cwd=tmp_path)
    assert text.stdout.decode().split() == domains
